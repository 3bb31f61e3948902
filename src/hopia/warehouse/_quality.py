"""Data-quality checks in the spirit of the OHDSI Data Quality Dashboard.

Each check counts the rows that violate a rule (numerator) among the rows it applies to
(denominator) and passes when the violating share is at most its threshold. Checks are
grouped as completeness, conformance and plausibility, and written once in Ibis.

Examples
--------
>>> from hopia.warehouse import open_warehouse
>>> results = run_quality_checks(open_warehouse("duckdb://:memory:"))
>>> results
[]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import ibis

from hopia.warehouse.vocab import LABS, VITALS

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from hopia.warehouse._connection import Warehouse

PLAUSIBLE_RANGES: dict[str, tuple[float, float]] = {
    VITALS["heart_rate"]: (20, 250),
    VITALS["respiratory_rate"]: (3, 70),
    VITALS["spo2"]: (40, 100),
    VITALS["temperature"]: (30, 43),
    VITALS["systolic_bp"]: (40, 280),
    VITALS["diastolic_bp"]: (15, 180),
    VITALS["glasgow"]: (3, 15),
    LABS["creatinine"]: (10, 2500),
    LABS["haemoglobin"]: (2, 25),
    LABS["sodium"]: (95, 190),
    LABS["potassium"]: (1, 10),
    LABS["glucose"]: (0.5, 60),
    LABS["lactate"]: (0, 30),
    LABS["platelets"]: (0, 2000),
}
"""Plausible value ranges (in the units of :mod:`hopia.warehouse.vocab`) for common vitals and labs."""


@dataclass
class CheckResult:
    """The outcome of one check."""

    name: str
    category: str
    table: str
    description: str
    violations: int
    rows: int
    threshold: float
    passed: bool

    @property
    def share(self) -> float:
        """Violating share of the rows checked."""
        return self.violations / self.rows if self.rows else 0.0

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (for ``--json``)."""
        return {**asdict(self), "share": round(self.share, 6)}


@dataclass(frozen=True)
class Check:
    """A rule: which rows it applies to and which of them violate it."""

    name: str
    category: str
    table: str
    description: str
    rows: Callable[[Warehouse], ir.Table]
    violates: Callable[[ir.Table], ir.BooleanValue]
    threshold: float = 0.0
    needs: tuple[str, ...] = ()


def _t(name: str) -> Callable[[Warehouse], ir.Table]:
    return lambda wh: wh.table(name)


def _with_person(name: str, date_col: str) -> Callable[[Warehouse], ir.Table]:
    def rows(wh: Warehouse) -> ir.Table:
        table = wh.table(name)
        person = wh.table("person").select("person_id", "year_of_birth")
        death = (
            wh.table("death")
            .group_by("person_id")
            .aggregate(death_date=lambda d: d.death_date.min())
        )
        joined = table.left_join(person, "person_id").left_join(death, "person_id")
        return joined.select(event_date=joined[date_col], year_of_birth=joined.year_of_birth,
                             death_date=joined.death_date, known_person=joined.year_of_birth.notnull())  # fmt: skip

    return rows


def _orphans(name: str, key: str, parent: str) -> Callable[[Warehouse], ir.Table]:
    def rows(wh: Warehouse) -> ir.Table:
        table = wh.table(name).filter(lambda t: t[key].notnull())
        ids = wh.table(parent).select(key).distinct().mutate(found=ibis.literal(True))
        return table.left_join(ids, key).select(found=lambda t: t.found.fill_null(False))

    return rows


def _duplicates(name: str, key: str) -> Callable[[Warehouse], ir.Table]:
    def rows(wh: Warehouse) -> ir.Table:
        counts = wh.table(name).group_by(key).aggregate(n=lambda t: t.count())
        return counts.select(n=counts.n)

    return rows


def _measurements(wh: Warehouse) -> ir.Table:
    events = wh.events()
    ranges = ibis.memtable(
        {
            "code": list(PLAUSIBLE_RANGES),
            "low": [r[0] for r in PLAUSIBLE_RANGES.values()],
            "high": [r[1] for r in PLAUSIBLE_RANGES.values()],
        }
    )
    measured = events.filter(events.domain == "measurement", events.value.notnull())
    return measured.join(ranges, "code")


_CLINICAL = {
    "visit_occurrence": ("visit_start_date", "visit_end_date"),
    "visit_detail": ("visit_detail_start_date", "visit_detail_end_date"),
    "condition_occurrence": ("condition_start_date", "condition_end_date"),
    "drug_exposure": ("drug_exposure_start_date", "drug_exposure_end_date"),
    "procedure_occurrence": ("procedure_date", None),
    "measurement": ("measurement_date", None),
    "observation": ("observation_date", None),
}
_KEYS = {
    "person": "person_id", "visit_occurrence": "visit_occurrence_id", "visit_detail": "visit_detail_id",
    "condition_occurrence": "condition_occurrence_id", "drug_exposure": "drug_exposure_id",
    "procedure_occurrence": "procedure_occurrence_id", "measurement": "measurement_id",
    "observation": "observation_id", "note": "note_id", "care_site": "care_site_id",
}  # fmt: skip


_THIS_YEAR = __import__("datetime").date.today().year


def _ends_before_start(start: str, end: str) -> Callable[[ir.Table], ir.BooleanValue]:
    return lambda t: t[end] < t[start]


def _checks() -> list[Check]:
    checks = [
        Check("person_year_of_birth", "completeness", "person", "persons with a plausible year of birth (1880 to today)",
              _t("person"), lambda t: t.year_of_birth.isnull() | (t.year_of_birth < 1880) | (t.year_of_birth > _THIS_YEAR)),
        Check("person_gender", "completeness", "person", "persons with a gender concept",
              _t("person"), lambda t: t.gender_concept_id.isnull() | (t.gender_concept_id == 0), threshold=0.05),
        Check("visit_end_date", "completeness", "visit_occurrence", "visits with an end date",
              _t("visit_occurrence"), lambda t: t.visit_end_date.isnull(), threshold=0.05),
        Check("events_coded", "completeness", "events", "events with a concept or source code",
              lambda wh: wh.events(), lambda t: t.code.endswith("/UNKNOWN"), threshold=0.05),
        Check("plausible_values", "plausibility", "measurement", "vital signs and labs within plausible ranges",
              _measurements, lambda t: (t.value < t.low) | (t.value > t.high), threshold=0.01),
    ]  # fmt: skip
    for table, key in _KEYS.items():
        checks.append(Check(f"{table}_unique_id", "conformance", table, f"{key} is unique",
                            _duplicates(table, key), lambda t: t.n > 1))  # fmt: skip
    for table, (start, end) in _CLINICAL.items():
        checks.append(Check(f"{table}_person_exists", "conformance", table, "person_id refers to a person",
                            _orphans(table, "person_id", "person"), lambda t: ~t.found))  # fmt: skip
        if table not in ("visit_occurrence",):
            checks.append(Check(f"{table}_visit_exists", "conformance", table, "visit_occurrence_id refers to a visit",
                                _orphans(table, "visit_occurrence_id", "visit_occurrence"), lambda t: ~t.found,
                                threshold=0.01))  # fmt: skip
        if end:
            checks.append(Check(f"{table}_dates_ordered", "plausibility", table, "end date is not before start date",
                                _t(table), _ends_before_start(start, end), threshold=0.001))  # fmt: skip
        checks.append(Check(f"{table}_after_birth", "plausibility", table, "no event before the year of birth",
                            _with_person(table, start),
                            lambda t: t.known_person & (t.event_date.year() < t.year_of_birth), threshold=0.001))  # fmt: skip
        checks.append(Check(f"{table}_before_death", "plausibility", table, "no event more than 1 day after death",
                            _with_person(table, start),
                            lambda t: t.death_date.notnull() & (t.event_date > t.death_date + ibis.interval(days=1)),
                            threshold=0.001))  # fmt: skip
    return checks


def run_quality_checks(wh: Warehouse, only: str | None = None) -> list[CheckResult]:
    """Run every check that applies to the tables the warehouse holds.

    Parameters
    ----------
    wh
        The warehouse.
    only
        Keep only the checks of this category (completeness, conformance, plausibility).
    """
    if not wh.has_table("person"):
        return []
    results = []
    for check in _checks():
        if only and check.category != only:
            continue
        rows = check.rows(wh)
        violations = check.violates(rows).cast("int64").sum().fill_null(0)
        counts = rows.aggregate(rows=rows.count(), violations=violations).execute().iloc[0]
        total, bad = int(counts["rows"]), int(counts["violations"])
        share = bad / total if total else 0.0
        results.append(CheckResult(check.name, check.category, check.table, check.description, bad, total,
                                   check.threshold, share <= check.threshold))  # fmt: skip
    return results
