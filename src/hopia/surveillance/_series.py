"""Daily or weekly counts of emergency visits per syndrome, computed in the warehouse.

A syndrome (``syndromes.yaml``, shipped with the package) is a list of codes: CIM-10
diagnoses ``ICD10/...`` and chief complaints ``MOTIF/...``, exact or as prefixes
(``ICD10/J10*``). An emergency visit — an event ``VISIT/ER`` or ``VISIT/ERIP`` — counts for a
syndrome when a condition event (diagnosis) or an observation event ``MOTIF/...`` (chief
complaint) of the same ``visit_occurrence_id`` matches. Age is the calendar year of the
visit minus the year of birth.

One Ibis query flags every visit for every syndrome and counts them per period (and age
band), so all syndromes × age bands come out of a single pass, on DuckDB or Spark alike.

Examples
--------
>>> sorted(load_syndromes())[:3]
['asthma', 'bronchiolitis', 'covid']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

    from hopia.warehouse import Warehouse

EMERGENCY_VISIT_CODES = ("VISIT/ER", "VISIT/ERIP")
STRATA = ("age_band", "commune", "unit")
"""How series can be split: age band, commune of residence, emergency unit."""
FREQUENCIES = {"day": 365, "week": 52}


@dataclass(frozen=True)
class Syndrome:
    """A syndromic group: its name, label and codes (``*`` ends a prefix)."""

    name: str
    label: str
    codes: tuple[str, ...]


@lru_cache(maxsize=1)
def _definitions() -> dict:
    text = resources.files("hopia.surveillance").joinpath("syndromes.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def load_syndromes() -> dict[str, Syndrome]:
    """The syndromes shipped with hopia, by name.

    Examples
    --------
    >>> load_syndromes()["ili"].codes[0]
    'ICD10/J09*'
    """
    spec = _definitions()["syndromes"]
    return {
        name: Syndrome(name, entry.get("label", name), tuple(entry["codes"]))
        for name, entry in spec.items()
    }


def age_band_bounds() -> list[int]:
    """Lower bounds of the age bands (years)."""
    return list(_definitions()["age_bands"])


def age_band_labels(bounds: list[int] | None = None) -> list[str]:
    """Labels such as ``<2``, ``2-14``, ``75+`` for the bands starting at ``bounds``.

    Examples
    --------
    >>> age_band_labels([0, 2, 15, 75])
    ['<2', '2-14', '15-74', '75+']
    """
    bounds = age_band_bounds() if bounds is None else bounds
    labels = []
    for i, low in enumerate(bounds):
        high = bounds[i + 1] - 1 if i + 1 < len(bounds) else None
        if high is None:
            labels.append(f"{low}+")
        elif low == 0:
            labels.append(f"<{high + 1}")
        else:
            labels.append(f"{low}-{high}")
    return labels


def _matches(code: ir.StringValue, patterns: tuple[str, ...]) -> ir.BooleanValue:
    import ibis

    conditions = [code.startswith(p[:-1]) if p.endswith("*") else code == p for p in patterns]
    return ibis.or_(*conditions) if conditions else ibis.literal(False)


def syndromic_counts(
    wh: Warehouse,
    syndromes: list[str] | None = None,
    *,
    freq: str = "week",
    by_age: bool = False,
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Counts of emergency visits per period for every syndrome (one query).

    Parameters
    ----------
    wh : the warehouse.
    syndromes : names from :func:`load_syndromes` (default: all).
    freq : ``"day"`` or ``"week"`` (weeks start on Monday).
    by_age : also split by age band (same as ``"age_band"`` in ``by``).
    by : strata among :data:`STRATA`: ``"age_band"``; ``"commune"`` (the city of the
        person's address, ``location.city``); ``"unit"`` (the emergency visit's care site,
        ``care_site_source_value``). Persons or visits without one are in ``"unknown"``.

    Returns
    -------
    pandas.DataFrame
        Long table ``syndrome, [strata…,] date, observed, visits`` with every period from
        the first to the last emergency visit (zero where nothing happened) for every
        combination of strata seen in the data; ``visits`` is the number of emergency
        visits of the period (all causes, same strata).

    Examples
    --------
    >>> table = syndromic_counts(wh, ["ili"], by=["unit"])  # doctest: +SKIP
    >>> list(table.columns)  # doctest: +SKIP
    ['syndrome', 'unit', 'date', 'observed', 'visits']
    """
    if freq not in FREQUENCIES:
        raise ValueError(f"freq must be 'day' or 'week', got {freq!r}")
    strata = _strata(by, by_age)
    known = load_syndromes()
    names = list(known) if syndromes is None else list(syndromes)
    for name in names:
        if name not in known:
            raise ValueError(f"unknown syndrome {name!r}; known: {', '.join(known)}")
    events = wh.events()
    visits = events.filter(
        events.code.isin(EMERGENCY_VISIT_CODES) & events.visit_occurrence_id.notnull()
    )
    visits = visits.group_by("visit_occurrence_id").aggregate(
        time=visits.time.min(), person_id=visits.person_id.min()
    )
    coded = events.filter(
        events.visit_occurrence_id.notnull()
        & (
            (events.domain == "condition")
            | ((events.domain == "observation") & events.code.startswith("MOTIF/"))
        )
    )
    flags = coded.group_by("visit_occurrence_id").aggregate(
        **{
            f"s_{name}": _matches(coded.code, known[name].codes).cast("int64").max()
            for name in names
        }
    )
    joined = visits.left_join(flags, visits.visit_occurrence_id == flags.visit_occurrence_id)
    joined = joined.drop("visit_occurrence_id_right")
    joined = _with_strata(wh, joined, strata)
    keys = {
        "date": joined.time.truncate("D" if freq == "day" else "W").cast("date"),
        **{name: joined[name] for name in strata},
    }
    grouped = joined.group_by(**keys).aggregate(
        visits=joined.count(),
        **{name: joined[f"s_{name}"].fill_null(0).sum() for name in names},
    )
    table = grouped.to_pandas()
    return _complete(table, names, freq, strata)


def _strata(by: Sequence[str], by_age: bool) -> list[str]:
    """The strata asked for, in the order of :data:`STRATA`, each once."""
    asked = set(by) | ({"age_band"} if by_age else set())
    unknown = sorted(asked - set(STRATA))
    if unknown:
        raise ValueError(f"unknown stratum {unknown[0]!r}; expected some of {', '.join(STRATA)}")
    return [name for name in STRATA if name in asked]


def _with_strata(wh: Warehouse, visits: ir.Table, strata: list[str]) -> ir.Table:
    """Add a text column per stratum to the emergency visits (``"unknown"`` where missing)."""
    import ibis

    from hopia.warehouse._events import trim_text

    if "age_band" in strata or "commune" in strata:
        person = wh.table("person").select("person_id", "year_of_birth", "location_id")
        visits = visits.left_join(person, visits.person_id == person.person_id)
        visits = visits.drop("person_id_right")
    if "age_band" in strata:
        age = visits.time.year() - visits.year_of_birth
        bounds, labels = age_band_bounds(), age_band_labels()
        band = ibis.cases(
            *[
                (age >= low, label)
                for low, label in reversed(list(zip(bounds, labels, strict=True)))
            ],
            else_="unknown",
        )
        visits = visits.mutate(age_band=band)
    if "commune" in strata:
        location = wh.table("location")
        location = location.select(place_id="location_id", city=trim_text(location.city))
        visits = visits.left_join(location, visits.location_id == location.place_id)
        city = visits.city
        visits = visits.mutate(
            commune=ibis.ifelse(city.isnull() | (city == ""), "unknown", city)
        ).drop("place_id", "city")
    if "unit" in strata:
        stay = wh.table("visit_occurrence").select("visit_occurrence_id", "care_site_id")
        site = wh.table("care_site")
        site = site.select(
            site_id="care_site_id",
            site=trim_text(site.care_site_source_value.fill_null(site.care_site_name)),
        )
        stay = stay.left_join(site, stay.care_site_id == site.site_id)
        stay = stay.select(stay_id="visit_occurrence_id", site="site")
        visits = visits.left_join(stay, visits.visit_occurrence_id == stay.stay_id)
        site_name = visits.site
        visits = visits.mutate(
            unit=ibis.ifelse(site_name.isnull() | (site_name == ""), "unknown", site_name)
        ).drop("stay_id", "site")
    return visits


def _complete(table: pd.DataFrame, names: list[str], freq: str, strata: list[str]) -> pd.DataFrame:
    """Long format with every period present (zeros filled) for every combination of strata
    seen, sorted by syndrome, strata, date."""
    import pandas as pd

    columns = ["syndrome", *strata, "date", "observed", "visits"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    table["date"] = pd.to_datetime(table["date"])
    step = "D" if freq == "day" else "7D"
    calendar = pd.date_range(table["date"].min(), table["date"].max(), freq=step)
    groups = strata or ["_all"]
    if not strata:
        table = table.assign(_all="all")
    combos = table[groups].drop_duplicates()
    combos = combos.sort_values(
        groups, key=lambda c: c.map(_band_order) if c.name == "age_band" else c, kind="stable"
    )
    index = pd.MultiIndex.from_frame(
        combos.merge(pd.DataFrame({"date": calendar}), how="cross")[[*groups, "date"]]
    )
    wide = table.groupby([*groups, "date"])[["visits", *names]].sum().reindex(index, fill_value=0)
    parts = []
    for name in names:
        part = (
            wide[["visits"]]
            .assign(observed=wide[name].astype("int64"), syndrome=name)
            .reset_index()
        )
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    long["visits"] = long["visits"].astype("int64")
    long["date"] = long["date"].dt.date
    # stable sort on syndrome only: strata and dates are already in order within each part
    return long[columns].sort_values("syndrome", kind="stable").reset_index(drop=True)


def _band_order(label: str) -> int:
    labels = age_band_labels()
    return labels.index(label) if label in labels else len(labels)
