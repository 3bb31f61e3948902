"""Replacement of identifying spans: tags, or consistent fake values under a secret key.

The same real value always gets the same surrogate (a keyed HMAC of the value picks it), so
a name keeps one fake name across every note; dates move by the person's own offset and keep
their written form.

Examples
--------
>>> from hopia.privacy._entities import Entity
>>> s = Surrogates(b"a secret key of thirty-two bytes")
>>> e = [Entity(4, 10, "NOM", "Dupont"), Entity(14, 24, "DATE", "12/03/2024")]
>>> out = s.replace("Mme Dupont le 12/03/2024", e, "p1")
>>> out == s.replace("Mme Dupont le 12/03/2024", e, "p1") and "Dupont" not in out
True
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Sequence

from hopia.privacy._entities import Entity
from hopia.privacy.pipes.dates.dates import shift_date
from hopia.privacy.pipes.nir import nir_key

FAKE_SURNAMES = [
    "Aubrac",
    "Belval",
    "Corbin",
    "Darmont",
    "Estienne",
    "Fargeot",
    "Gallois",
    "Hérault",
    "Issartel",
    "Jourdan",
    "Kervella",
    "Lagarde",
    "Maréchal",
    "Névoux",
    "Orcel",
    "Pradier",
    "Quérel",
    "Ravenel",
    "Sorbier",
    "Tavernier",
    "Vauclair",
    "Wendling",
    "Ysern",
    "Zeller",
    "Abadie",
    "Bréval",
    "Castagne",
    "Delorme",
    "Escoffier",
    "Fauvel",
    "Granger",
    "Houdart",
    "Lacombe",
    "Morvan",
    "Noirot",
    "Paillard",
    "Rouvier",
    "Sauvade",
    "Terrasse",
    "Valade",
]
FAKE_FIRST_NAMES = [
    "Adèle",
    "Blanche",
    "Capucine",
    "Daphné",
    "Eugénie",
    "Flore",
    "Gaëlle",
    "Honorine",
    "Irène",
    "Judith",
    "Lise",
    "Maud",
    "Nina",
    "Ophélie",
    "Perrine",
    "Rachel",
    "Solène",
    "Tiphaine",
    "Ursule",
    "Viviane",
    "Aimé",
    "Basile",
    "Côme",
    "Désiré",
    "Elouan",
    "Firmin",
    "Gaspard",
    "Honoré",
    "Isidore",
    "Joachim",
    "Lazare",
    "Marin",
    "Nestor",
    "Octave",
    "Prosper",
    "Rodolphe",
    "Sylvain",
    "Tanguy",
    "Ulysse",
    "Vianney",
]
FAKE_STREETS = (
    "rue des Capucines", "avenue des Platanes", "rue du Colombier", "allée des Érables",
    "chemin des Saules", "rue de la Forge", "impasse des Glycines", "place des Halles",
    "rue des Mésanges", "boulevard des Ormes",
)  # fmt: skip
FAKE_CITIES = (
    "Valmont-sur-Meuse", "Bréville", "Saint-Aubin-des-Prés", "Montval", "Roncourt",
    "Haut-Mesnil", "Clairefontaine-lès-Bois", "Vauchamps", "Belrupt", "Lormont-le-Haut",
)  # fmt: skip


def tag_text(text: str, entities: Sequence[Entity]) -> str:
    """``text`` with each span replaced by ``<LABEL>``."""
    out, last = [], 0
    for e in entities:
        out.append(text[last : e.start])
        out.append(f"<{e.label}>")
        last = e.end
    out.append(text[last:])
    return "".join(out)


def _fold(value: str) -> str:
    flat = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return " ".join(flat.lower().replace("-", " ").split())


def _case_like(word: str, model: str) -> str:
    return word.upper() if model.isupper() and len(model) > 1 else word


class Surrogates:
    """Consistent fake values and per-person date offsets, derived from a secret key.

    Parameters
    ----------
    key : bytes
        The secret (``HOPIA_SECRET`` or a key file); without it no one can link a surrogate
        back to its value or recompute an offset.
    max_shift_days : int, default 365
        Dates move by a per-person offset in ``[-max_shift_days, max_shift_days]``, never 0.
    """

    def __init__(self, key: bytes, *, max_shift_days: int = 365) -> None:
        if len(key) < 16:
            raise ValueError("the pseudonymisation key must be at least 16 bytes")
        self._key = key
        self.max_shift_days = max_shift_days

    def digest(self, *parts: str) -> int:
        """A keyed 256-bit integer for ``parts`` (HMAC-SHA256)."""
        message = "\x1f".join(parts).encode()
        return int.from_bytes(hmac.new(self._key, message, hashlib.sha256).digest(), "big")

    def pseudonym(self, person_id: object) -> int:
        """The person's pseudonymous id: a positive 63-bit integer."""
        return self.digest("person", str(person_id)) >> 193 or 1

    def date_offset(self, person_id: object) -> int:
        """The person's date shift in days (same for every table and every note)."""
        span = self.max_shift_days
        offset = self.digest("shift", str(person_id)) % (2 * span) - span
        return offset if offset < 0 else offset + 1

    def _pick(self, label: str, value: str, choices: Sequence[str]) -> str:
        return choices[self.digest(label, _fold(value)) % len(choices)]

    def _digits(self, label: str, value: str, keep: int = 0) -> str:
        stream = str(self.digest(label, _fold(value)))
        out, k, seen = [], 0, 0
        for char in value:
            if char.isalnum():
                seen += 1
                if seen <= keep:
                    out.append(char)
                else:
                    out.append(stream[k % len(stream)])
                    k += 1
            else:
                out.append(char)
        return "".join(out)

    def surrogate(self, entity: Entity, person_id: object) -> str:
        """The fake value written in place of ``entity``."""
        label, value = entity.label, entity.text
        if label == "NOM":
            return _case_like(self._pick(label, value, FAKE_SURNAMES), value)
        if label == "PRENOM":
            if value.endswith("."):
                return self._pick(label, value, FAKE_FIRST_NAMES)[0] + "."
            return _case_like(self._pick(label, value, FAKE_FIRST_NAMES), value)
        if label in ("DATE", "DATE_NAISSANCE"):
            return shift_date(value, self.date_offset(person_id)) or f"<{label}>"
        if label == "TEL":
            keep = 4 if value.lstrip().startswith(("+", "00")) else 2
            return self._digits(label, value, keep=keep)
        if label == "MAIL":
            first = _fold(self._pick("PRENOM", value, FAKE_FIRST_NAMES)).replace(" ", "")
            last = _fold(self._pick("NOM", value, FAKE_SURNAMES)).replace(" ", "")
            return f"{first}.{last}@exemple.fr"
        if label == "SECU":
            fake = self._digits(label, value.replace("A", "0").replace("B", "0"), keep=1)
            alnum = [i for i, c in enumerate(fake) if c.isalnum()]
            if len(alnum) == 15:
                key = f"{nir_key(''.join(fake[i] for i in alnum[:13])):02d}"
                chars = list(fake)
                chars[alnum[13]], chars[alnum[14]] = key[0], key[1]
                fake = "".join(chars)
            return fake
        if label in ("IPP", "NDA"):
            return self._digits(label, value)
        if label == "ADRESSE":
            number = self.digest("number", _fold(value)) % 120 + 1
            return f"{number} {self._pick(label, value, FAKE_STREETS)}"
        if label == "VILLE":
            return self._pick(label, value, FAKE_CITIES)
        if label == "ZIP":
            return value[:2] + "000" if value[:2].isdigit() else "00000"
        if label == "HOPITAL":
            return f"Centre hospitalier de {self._pick('VILLE', value, FAKE_CITIES)}"
        return f"<{label}>"

    def replace(self, text: str, entities: Sequence[Entity], person_id: object = None) -> str:
        """``text`` with each span replaced by its surrogate."""
        out, last = [], 0
        for e in entities:
            out.append(text[last : e.start])
            out.append(self.surrogate(e, person_id))
            last = e.end
        out.append(text[last:])
        return "".join(out)
