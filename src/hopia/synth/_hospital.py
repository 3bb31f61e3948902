"""The synthetic CHRU: generate every OMOP table and the ground truth, or write a warehouse."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa

from hopia.errors import InputError
from hopia.synth._arrow import DAY, HOUR, dates, ints, labels, omop_table, timestamps
from hopia.synth._catalogue import CATALOGUE, UNIT_INDEX, UNITS, code_index
from hopia.synth._clinical import conditions, deaths, drugs, observations, procedures
from hopia.synth._cohorts import plan_cohorts
from hopia.synth._epidemics import epidemic_arrivals, plan_outbreaks
from hopia.synth._frames import concat, length
from hopia.synth._measurements import measurements
from hopia.synth._notes import notes
from hopia.synth._pathway_delays import pathway_delay_truth, plan_pathway_delays
from hopia.synth._people import People, make_people
from hopia.synth._stays import OP, Stays, plan_stays
from hopia.synth._visits import EHR, VisitIds, build_visits

STEPS = (
    "people",
    "epidemics",
    "stays",
    "visits",
    "diagnoses",
    "drugs",
    "measurements",
    "notes",
    "truth",
)


@dataclass
class SyntheticHospital:
    """The generated hospital: OMOP tables and ``synth_truth`` tables (Arrow).

    ``tables`` is keyed by OMOP table name; ``truth`` by truth table name (write it as
    ``extra={"synth_truth." + name: table}``).
    """

    tables: dict[str, pa.Table]
    truth: dict[str, pa.Table]
    seed: int
    source: str = ""
    summary: dict[str, int] = field(default_factory=dict)

    @property
    def extra(self) -> dict[str, pa.Table]:
        """The truth tables keyed ``synth_truth.<name>`` as ``write_warehouse`` expects."""
        return {f"synth_truth.{name}": table for name, table in self.truth.items()}


def generate_hospital(
    patients: int = 20_000,
    years: float = 3,
    seed: int = 42,
    start: str | date = "2022-01-01",
    progress: Callable[[str], None] | None = None,
) -> SyntheticHospital:
    """Generate a synthetic French university hospital (CHRU) with planted signals.

    Parameters
    ----------
    patients
        Number of persons (each has at least one contact with the hospital).
    years
        Length of the window, from ``start``.
    seed
        Same seed, same tables (byte for byte).
    start
        First day of the window (ISO date).
    progress
        Called with the name of each step when it is done (for progress bars).

    Returns
    -------
    SyntheticHospital
        OMOP tables and ``synth_truth`` tables.

    Examples
    --------
    >>> hospital = generate_hospital(patients=300, years=1, seed=1)
    >>> sorted(hospital.tables)[:3]
    ['care_site', 'cdm_source', 'concept']
    >>> hospital.tables["person"].num_rows
    300
    """
    if patients < 50:
        raise InputError("--patients", f"expected at least 50 patients, got {patients}")
    if not 0.25 <= years <= 20:
        raise InputError("--years", f"expected between 0.25 and 20 years, got {years}")
    try:
        first_day = np.datetime64(str(start), "D")
    except ValueError:
        raise InputError(
            "--start", f"expected an ISO date like 2022-01-01, got {start!r}"
        ) from None
    begin = int(first_day.astype("datetime64[s]").astype(np.int64))
    end = begin + round(years * 365.25) * DAY
    done = progress or (lambda step: None)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(12)]

    people = make_people(patients, begin, end, rngs[0])
    done("people")
    outbreaks = plan_outbreaks(begin, (end - begin) // DAY, rngs[1])
    epidemics = epidemic_arrivals(outbreaks, patients, people.birth, begin, rngs[1])
    done("epidemics")
    steps, invitations, cohort_truth = plan_cohorts(people, begin, end, rngs[2])
    cohort_visits = {k: steps[k] for k in ("person", "start", "end", "kind", "unit", "cohort")}
    cohort_visits["cohort_row"] = np.arange(length(steps))
    stays = plan_stays(people, begin, end, epidemics, len(outbreaks), cohort_visits, rngs[3])
    stays = _everyone_seen(people, stays, begin, end, rngs[4])
    done("stays")
    visits, details, ids, _ = build_visits(stays, people.person_id)
    done("visits")
    extra = _cohort_rows(stays, ids, steps, invitations)
    # its own stream: planting the delays changes no other draw
    timed = plan_pathway_delays(stays.ed, rngs[10])
    tables: dict[str, pa.Table] = {
        "visit_occurrence": visits,
        "visit_detail": details,
        "condition_occurrence": conditions(people, stays, ids, rngs[5], extra["condition"]),
        "procedure_occurrence": procedures(people, stays, ids, extra["procedure"], rngs[6], timed),
        "observation": observations(people, stays, ids, extra["observation"]),
        "death": deaths(people, stays),
    }
    done("diagnoses")
    tables["drug_exposure"] = drugs(people, stays, ids, end, rngs[7], extra["drug"], timed)
    done("drugs")
    tables["measurement"] = measurements(people, stays, ids, extra["measurement"], rngs[8])
    done("measurements")
    tables["note"], note_phi = notes(people, stays, ids, rngs[9])
    done("notes")
    tables.update(_reference_tables(people, patients, years, seed, str(first_day)))
    tables["observation_period"] = _observation_periods(people, tables)
    truth = {
        "outbreaks": _outbreak_truth(outbreaks, stays, begin),
        "stay_risk": _stay_truth(people, stays, ids),
        "person_risk": _person_truth(people),
        "identity": _identity_truth(people),
        "note_phi": note_phi,
        "pathway_delays": pathway_delay_truth(stays.ed, timed, ids.ed, people.person_id),
        **cohort_truth,
    }
    done("truth")
    source = (
        f"hopia synth --patients {patients} --years {years:g} --seed {seed} --start {first_day}"
    )
    summary = {name: table.num_rows for name, table in tables.items()}
    return SyntheticHospital(tables, truth, seed, source, summary)


def synthesize(
    patients: int = 20_000,
    years: float = 3,
    seed: int = 42,
    start: str | date = "2022-01-01",
    url: str | None = None,
    progress: Callable[[str], None] | None = None,
):
    """Generate the synthetic hospital and write it as the warehouse at ``url`` (atomically).

    Examples
    --------
    Write 2,000 patients over three years into a DuckDB warehouse::

        wh = synthesize(patients=2_000, years=3, seed=3, url="duckdb:///hopia-data/warehouse.duckdb")
    """
    from hopia.warehouse import write_warehouse

    hospital = generate_hospital(patients, years, seed, start, progress)
    return write_warehouse(hospital.tables, url, extra=hospital.extra, source=hospital.source)


def _everyone_seen(
    people: People, stays: Stays, start: int, end: int, rng: np.random.Generator
) -> Stays:
    """A person with no contact at all gets one clinic visit (everyone is a patient)."""
    seen = np.zeros(len(people), bool)
    for frame in (stays.ed, stays.ip, stays.ambulatory):
        seen[frame["person"]] = True
    person = np.flatnonzero(~seen)
    first = np.maximum(start, people.birth[person] + DAY)
    day = (first + rng.random(len(person)) * np.maximum(end - 2 * DAY - first, DAY)) // DAY * DAY
    weekday = (day // DAY + 3) % 7
    t = (
        day
        + np.where(weekday >= 5, (7 - weekday) * DAY, 0)
        + 9 * HOUR
        + rng.integers(0, 7 * HOUR, len(person))
    )
    t = np.where(t >= end - DAY, day + 9 * HOUR, t)
    child = people.age_at(t, person) < 16
    extra = {
        "person": person, "start": t, "end": t + 30 * 60, "kind": np.full(len(person), OP),
        "unit": np.where(child, UNIT_INDEX["PEDIA"], UNIT_INDEX["MED_INT"]),
        "cohort": np.zeros(len(person), np.int64), "cohort_row": np.full(len(person), -1),
    }  # fmt: skip
    stays.ambulatory = concat([stays.ambulatory, extra])
    return stays


def _cohort_rows(
    stays: Stays, ids: VisitIds, steps: dict, invitations: dict
) -> dict[str, dict[str, np.ndarray]]:
    """Codes recorded at the cohort visits that were kept, by table."""
    amb = stays.ambulatory
    kept = np.flatnonzero(amb["cohort"] > 0)
    row = amb["cohort_row"][kept]
    visit, person, t = ids.ambulatory[kept], amb["person"][kept], amb["start"][kept]
    out: dict[str, dict[str, np.ndarray]] = {}

    def rows(codes: np.ndarray, **more: np.ndarray) -> dict[str, np.ndarray]:
        has = codes >= 0
        base = {
            "visit": visit[has],
            "person": person[has],
            "code": codes[has].astype(np.int64),
            "time": t[has] + 5 * 60,
        }
        return base | {k: v[has] for k, v in more.items()}

    out["procedure"] = rows(steps["procedure"][row])
    cond = rows(steps["condition"][row])
    out["condition"] = cond
    obs1 = rows(
        steps["observation"][row],
        value=np.full(len(row), np.nan),
        detail=np.zeros(len(row), np.int64),
    )
    obs2 = rows(
        steps["observation2"][row],
        value=np.full(len(row), np.nan),
        detail=np.zeros(len(row), np.int64),
    )
    alive = (
        invitations["time"]
        < np.where(stays.death_time >= 0, stays.death_time, np.iinfo(np.int64).max)[
            invitations["person"]
        ]
    )
    n_inv = int(alive.sum())
    inv = {
        "visit": np.zeros(n_inv, np.int64), "person": invitations["person"][alive],
        "code": np.full(n_inv, code_index("DEPISTAGE", "INVITATION")), "time": invitations["time"][alive],
        "value": np.full(n_inv, np.nan), "detail": np.zeros(n_inv, np.int64),
    }  # fmt: skip
    out["observation"] = concat([obs1, obs2, inv])
    drug = rows(steps["drug"][row])
    drug["start"] = drug.pop("time")
    drug["stop"] = drug["start"] + 90 * DAY
    limit = np.where(stays.death_time >= 0, stays.death_time - HOUR, np.iinfo(np.int64).max)[
        drug["person"]
    ]
    drug["stop"] = np.maximum(np.minimum(drug["stop"], limit), drug["start"])
    drug["supply"] = np.full(len(drug["visit"]), 90)
    out["drug"] = drug
    meas = []
    for name, vocabulary, code, unit in (
        ("tms", "UHDRS", "TMS", "{score}"),
        ("tfc", "UHDRS", "TFC", "{score}"),
        ("cag", "CAG", "REPEATS", "{repeats}"),
    ):
        value = steps[name][row]
        codes = np.where(np.isnan(value), -1, code_index(vocabulary, code))
        m = rows(
            codes,
            value=value,
            unit=np.full(len(row), code_index("UCUM", unit)),
            detail=np.zeros(len(row), np.int64),
        )
        meas.append(m)
    out["measurement"] = concat(meas)
    return out


def _reference_tables(
    people: People, patients: int, years: float, seed: int, first_day: str
) -> dict[str, pa.Table]:
    n = len(people)
    birth = people.birth.astype("datetime64[s]")
    day = birth.astype("datetime64[D]")
    hospital_location = n + 1
    person = omop_table(
        "person",
        {
            "person_id": ints(people.person_id),
            "gender_concept_id": ints(np.where(people.female, 8532, 8507)),
            "year_of_birth": ints(day.astype("datetime64[Y]").astype(np.int64) + 1970),
            "month_of_birth": ints(day.astype("datetime64[M]").astype(np.int64) % 12 + 1),
            "day_of_birth": ints((day - day.astype("datetime64[M]")).astype(np.int64) + 1),
            "birth_datetime": timestamps(people.birth),
            "race_concept_id": ints(np.zeros(n)),
            "ethnicity_concept_id": ints(np.zeros(n)),
            "location_id": ints(people.person_id),
            "person_source_value": pa.array(people.ipp),
            "gender_source_value": labels(people.female.astype(int), ["M", "F"]),
        },
        n,
    )
    location = omop_table(
        "location",
        {
            "location_id": ints(np.arange(1, n + 2)),
            "address_1": pa.array(
                np.r_[people.address, ["29 avenue du Maréchal de Lattre de Tassigny"]]
            ),
            "city": pa.array(np.r_[people.city, ["Nancy"]]),
            "zip": pa.array(np.r_[people.zip, ["54000"]]),
            "country_source_value": pa.array(["France"] * (n + 1)),
        },
        n + 1,
    )
    care_site = omop_table(
        "care_site",
        {
            "care_site_id": ints(np.arange(1, len(UNITS) + 1)),
            "care_site_name": pa.array([u.name for u in UNITS]),
            "location_id": ints(np.full(len(UNITS), hospital_location)),
            "care_site_source_value": pa.array([u.code for u in UNITS]),
            "place_of_service_source_value": pa.array(["CHRU de Nancy"] * len(UNITS)),
        },
        len(UNITS),
    )
    concept = omop_table(
        "concept",
        {
            "concept_id": ints(np.array([c.concept_id for c in CATALOGUE])),
            "concept_name": pa.array([c.name for c in CATALOGUE]),
            "domain_id": pa.array([c.domain for c in CATALOGUE]),
            "vocabulary_id": pa.array([c.vocabulary for c in CATALOGUE]),
            "concept_class_id": pa.array(
                ["Visit" if c.domain == "Visit" else "Local" for c in CATALOGUE]
            ),
            "standard_concept": pa.array(["S"] * len(CATALOGUE)),
            "concept_code": pa.array([c.code for c in CATALOGUE]),
            "valid_start_date": pa.array([date(1970, 1, 1)] * len(CATALOGUE), pa.date32()),
            "valid_end_date": pa.array([date(2099, 12, 31)] * len(CATALOGUE), pa.date32()),
        },
        len(CATALOGUE),
    )
    cdm_source = omop_table(
        "cdm_source",
        {
            "cdm_source_name": pa.array(["hopia synthetic CHRU"]),
            "cdm_source_abbreviation": pa.array(["hopia-synth"]),
            "cdm_holder": pa.array(["hopia"]),
            "source_description": pa.array(
                [
                    f"Synthetic French CHRU: {patients} patients, {years:g} years from {first_day}, seed {seed}"
                ]
            ),
            "cdm_version": pa.array(["5.4"]),
            "vocabulary_version": pa.array(["hopia-synth local vocabularies"]),
        },
        1,
    )
    return {
        "person": person,
        "location": location,
        "care_site": care_site,
        "concept": concept,
        "cdm_source": cdm_source,
    }


def _observation_periods(people: People, tables: dict[str, pa.Table]) -> pa.Table:
    """One period per person, from the first to the last day with data."""
    n = len(people)
    lo = np.full(n + 1, np.iinfo(np.int32).max, np.int64)
    hi = np.full(n + 1, np.iinfo(np.int32).min, np.int64)
    spans = (
        ("visit_occurrence", "visit_start_date", "visit_end_date"),
        ("observation", "observation_date", "observation_date"),
        ("drug_exposure", "drug_exposure_start_date", "drug_exposure_end_date"),
    )
    for name, first, last in spans:
        table = tables[name]
        pid = table["person_id"].to_numpy()
        a = table[first].cast(pa.int32()).to_numpy().astype(np.int64)
        b = table[last].cast(pa.int32()).fill_null(0).to_numpy().astype(np.int64)
        b = np.maximum(a, b)
        np.minimum.at(lo, pid, a)
        np.maximum.at(hi, pid, b)
    ids = people.person_id
    return omop_table(
        "observation_period",
        {
            "observation_period_id": ints(ids),
            "person_id": ints(ids),
            "observation_period_start_date": pa.array(lo[ids].astype(np.int32), pa.int32()).cast(
                pa.date32()
            ),
            "observation_period_end_date": pa.array(hi[ids].astype(np.int32), pa.int32()).cast(
                pa.date32()
            ),
            "period_type_concept_id": ints(np.full(n, EHR)),
        },
        n,
    )


def _outbreak_truth(outbreaks: list, stays: Stays, start: int) -> pa.Table:
    return pa.table(
        {
            "syndrome": pa.array([o.syndrome for o in outbreaks], pa.string()),
            "start_date": dates(np.array([start + o.start_day * DAY for o in outbreaks], np.int64)),
            "end_date": dates(np.array([start + o.end_day * DAY for o in outbreaks], np.int64)),
            "kind": pa.array([o.kind for o in outbreaks], pa.string()),
            "excess_cases": ints(stays.outbreaks_kept),
        }
    )


def _stay_truth(people: People, stays: Stays, ids: VisitIds) -> pa.Table:
    ip = stays.ip
    return pa.table(
        {
            "visit_occurrence_id": ints(ids.ip),
            "person_id": ints(people.person_id[ip["person"]]),
            "severity": pa.array(np.round(ip["severity"], 4)),
            "frailty": pa.array(np.round(people.frailty[ip["person"]], 4)),
            "p_death": pa.array(np.round(ip["p_death"], 5)),
            "p_readmission_30d": pa.array(np.round(ip["p_readmission"], 5)),
            "died": pa.array(ip["died"]),
            "icu": pa.array(ip["icu"]),
            "readmission_planted": pa.array(ip["readmission_planted"]),
            "deterioration_datetime": timestamps(
                ip["deterioration"], valid=ip["deterioration"] >= 0
            ),
        }
    ).sort_by("visit_occurrence_id")


def _person_truth(people: People) -> pa.Table:
    columns = {
        "person_id": ints(people.person_id),
        "frailty": pa.array(np.round(people.frailty, 4)),
    }
    columns |= {name: pa.array(flags) for name, flags in people.comorbidity.items()}
    return pa.table(columns)


def _identity_truth(people: People) -> pa.Table:
    return pa.table(
        {
            "person_id": ints(people.person_id),
            "nom": pa.array(people.surname),
            "prenom": pa.array(people.first_name),
            "nir": pa.array(people.nir),
            "ipp": pa.array(people.ipp),
            "address": pa.array(people.address),
            "zip": pa.array(people.zip),
            "city": pa.array(people.city),
            "phone": pa.array(people.phone),
            "email": pa.array(people.email),
            "birth_date": dates(people.birth),
        }
    )


__all__ = ["STEPS", "SyntheticHospital", "generate_hospital", "synthesize"]
