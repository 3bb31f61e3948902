"""The people of the synthetic hospital: age, sex, identity, address, NIR, latent health."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.dtypes import StringDType

from hopia.synth import _lexicon as lex
from hopia.synth._arrow import DAY

YEAR = 365.25 * DAY
S = StringDType()

# Share of each 5-year age band (0-4 … 95-99) among the hospital's patients, mid-window.
AGE_PYRAMID = np.array(
    [8, 4, 4, 4.5, 5, 5.5, 5.5, 5.5, 5.5, 6, 6, 6, 6, 6, 6, 5, 4.5, 3.5, 1.8, 0.6], dtype=float
)
AGE_PYRAMID /= AGE_PYRAMID.sum()

# log-odds of each chronic condition: intercept, per year of age (adults only)
_COMORBIDITY_MODEL = {
    "hypertension": (-4.2, 0.060),
    "diabetes": (-5.0, 0.045),
    "heart_failure": (-8.5, 0.085),
    "copd": (-6.8, 0.055),
    "ckd": (-7.5, 0.070),
    "atrial_fibrillation": (-8.5, 0.080),
    "dementia": (-12.0, 0.120),
    "cancer": (-6.5, 0.050),
}


@dataclass
class People:
    """Columns of the person table and of ``synth_truth.identity`` (one row per person)."""

    person_id: np.ndarray
    female: np.ndarray  # bool
    birth: np.ndarray  # seconds since 1970 (birth datetime)
    frailty: np.ndarray  # latent N(0, 1): drives contacts, comorbidities and readmission
    comorbidity: dict[str, np.ndarray]  # name → bool
    surname: np.ndarray  # StringDType
    first_name: np.ndarray
    address: np.ndarray
    zip: np.ndarray
    city: np.ndarray
    phone: np.ndarray  # ten digits, e.g. 0612345678
    email: np.ndarray  # "" when none
    nir: np.ndarray  # 15 characters (13 + key)
    ipp: np.ndarray  # 10 digits

    def __len__(self) -> int:
        return len(self.person_id)

    def age_at(self, seconds: np.ndarray, index: np.ndarray) -> np.ndarray:
        """Age in years of persons ``index`` at ``seconds``."""
        return (seconds - self.birth[index]) / YEAR


def nir_key(nir13: np.ndarray) -> np.ndarray:
    """The NIR control key: ``97 − (n mod 97)``, with 2A → 19 and 2B → 18 (Corsica).

    Examples
    --------
    >>> import numpy as np
    >>> from numpy.dtypes import StringDType
    >>> nir_key(np.array(["1850354395123", "2690299350012", "1852A12345678"], dtype=StringDType())).tolist()
    [56, 50, 63]
    """
    text = np.asarray(nir13, dtype=StringDType())
    text = np.strings.replace(np.strings.replace(text, "2A", "19"), "2B", "18")
    numbers = text.astype(np.int64)
    return 97 - numbers % 97


def make_people(n: int, start: int, end: int, rng: np.random.Generator) -> People:
    """Draw ``n`` persons whose ages follow :data:`AGE_PYRAMID` at the middle of the window."""
    middle = (start + end) / 2
    band = rng.choice(len(AGE_PYRAMID), size=n, p=AGE_PYRAMID)
    age = band * 5 + rng.random(n) * 5
    birth = (middle - age * YEAR).astype(np.int64) // 60 * 60
    female = rng.random(n) < 0.52
    frailty = rng.standard_normal(n)
    comorbidity: dict[str, np.ndarray] = {}
    adult = age >= 18
    for name, (intercept, slope) in _COMORBIDITY_MODEL.items():
        logit = intercept + slope * age + 0.5 * frailty
        comorbidity[name] = adult & (rng.random(n) < 1 / (1 + np.exp(-logit)))
    anaemia_logit = (
        -4.5 + 0.03 * age + 0.8 * comorbidity["ckd"] + 0.8 * comorbidity["cancer"] + 0.5 * frailty
    )
    comorbidity["anaemia"] = rng.random(n) < 1 / (1 + np.exp(-anaemia_logit))

    surnames = np.array(lex.SURNAMES, dtype=S)
    firsts_f = np.array(lex.FIRST_NAMES_F, dtype=S)
    firsts_m = np.array(lex.FIRST_NAMES_M, dtype=S)
    surname_i = rng.integers(0, len(surnames), n)
    first_i = rng.integers(0, max(len(firsts_f), len(firsts_m)), n)
    first = np.where(female, firsts_f[first_i % len(firsts_f)], firsts_m[first_i % len(firsts_m)])
    surname = surnames[surname_i]

    weights = np.array([c[3] for c in lex.COMMUNES])
    commune = rng.choice(len(lex.COMMUNES), size=n, p=weights / weights.sum())
    city = np.array([c[0] for c in lex.COMMUNES], dtype=S)[commune]
    zip_code = np.array([c[1] for c in lex.COMMUNES], dtype=S)[commune]
    house = rng.integers(1, 140, n).astype(S)
    street = np.array(lex.STREETS, dtype=S)[rng.integers(0, len(lex.STREETS), n)]
    address = np.strings.add(np.strings.add(house, " "), street)

    mobile = rng.random(n) < 0.6
    prefix = np.where(mobile, np.where(rng.random(n) < 0.7, "06", "07"), "03").astype(S)
    phone = np.strings.add(prefix, np.strings.zfill(rng.integers(0, 10**8, n).astype(S), 8))

    ascii_f = np.array([lex.ascii_lower(w) for w in lex.FIRST_NAMES_F], dtype=S)
    ascii_m = np.array([lex.ascii_lower(w) for w in lex.FIRST_NAMES_M], dtype=S)
    ascii_surname = np.array([lex.ascii_lower(w) for w in lex.SURNAMES], dtype=S)[surname_i]
    ascii_first = np.where(female, ascii_f[first_i % len(ascii_f)], ascii_m[first_i % len(ascii_m)])
    domain = np.array(lex.MAIL_DOMAINS, dtype=S)[rng.integers(0, len(lex.MAIL_DOMAINS), n)]
    local = np.strings.add(np.strings.add(ascii_first, "."), ascii_surname)
    with_digits = rng.random(n) < 0.3
    local = np.where(with_digits, np.strings.add(local, rng.integers(1, 99, n).astype(S)), local)
    email = np.strings.add(np.strings.add(local, "@"), domain)
    email = np.where(rng.random(n) < 0.7, email, np.array("", dtype=S))

    birth_date = birth.astype("datetime64[s]").astype("datetime64[D]")
    birth_year = birth_date.astype("datetime64[Y]").astype(np.int64) + 1970
    birth_month = birth_date.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dept_weights = np.array([d[1] for d in lex.BIRTH_DEPARTMENTS])
    dept = np.array([d[0] for d in lex.BIRTH_DEPARTMENTS], dtype=S)[
        rng.choice(len(dept_weights), size=n, p=dept_weights / dept_weights.sum())
    ]
    commune_code = np.where(dept == "99", rng.integers(100, 450, n), rng.integers(1, 600, n))
    nir13 = np.strings.add(np.where(female, "2", "1").astype(S), _pad(birth_year % 100, 2))
    nir13 = np.strings.add(np.strings.add(nir13, _pad(birth_month, 2)), dept)
    nir13 = np.strings.add(
        np.strings.add(nir13, _pad(commune_code, 3)), _pad(rng.integers(1, 1000, n), 3)
    )
    nir = np.strings.add(nir13, _pad(nir_key(nir13), 2))
    ipp = _pad(8_000_000_000 + rng.permutation(n) * 7 + rng.integers(0, 7, n), 10)

    return People(
        person_id=np.arange(1, n + 1, dtype=np.int64),
        female=female,
        birth=birth,
        frailty=frailty,
        comorbidity=comorbidity,
        surname=surname,
        first_name=first,
        address=address,
        zip=zip_code,
        city=city,
        phone=phone,
        email=email,
        nir=nir,
        ipp=ipp,
    )


def _pad(values: np.ndarray, width: int) -> np.ndarray:
    return np.strings.zfill(np.asarray(values).astype(np.int64).astype(S), width)
