"""``build_labels``: a task spec and a warehouse become labelled rows and an attrition table.

Each row is a stay at one index time. The population is filtered step by step; every step is
a boolean column, so the attrition table (rows before, removed, after each step) comes from
one aggregate query, and the labels stay a lazy Ibis expression that runs where the data is.

Worked example (see ``tests/tasks``): a stay from 1 March 10:00 to 5 March 12:00 and a new
emergency stay on 20 March give, for ``readmission_30d``, one row with
``index_time = 5 March 12:00`` and ``label = 1``; had the patient died in hospital, the row
would be counted under "death during the stay" in the attrition table instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis
import ibis.expr.datatypes as dt

from hopia.tasks._cohort import (
    DIED_CONCEPT,
    ER_CONCEPTS,
    age_band,
    age_years,
    care_units,
    code_matches,
    deaths,
    observation_ends,
    persons,
    seen_at,
    stays,
    unit_at_index,
)
from hopia.tasks._spec import TaskSpec, format_duration, visit_concept_ids

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import ibis.expr.types as ir
    import pandas as pd

    from hopia.warehouse import Warehouse

KEYS = ["visit_occurrence_id", "index_time"]
"""A label row is one stay at one index time."""

ERIP_CONCEPT = 262
END_OF_DAY = ibis.interval(seconds=86399)


@dataclass
class LabelSet:
    """Labelled rows of a task and how the population was narrowed down.

    Attributes
    ----------
    labels
        Ibis table ``person_id, visit_occurrence_id, index_time, label`` (0/1) and the task's
        subgroup columns (``sex``, ``age_band``, ``unit``), ordered by person, stay and time.
    attrition
        ``step, rows_before, rows_removed, rows_after`` (a step that adds rows, such as
        repeated index times, has a negative ``rows_removed``).
    task
        The task the labels were built for.
    """

    labels: ir.Table
    attrition: pd.DataFrame
    task: TaskSpec

    def to_pandas(self) -> pd.DataFrame:
        """The labels as a pandas DataFrame."""
        return self.labels.to_pandas()

    def to_parquet(self, path: str | Path) -> None:
        """Write the labels to a Parquet file."""
        import pyarrow.parquet as pq

        pq.write_table(self.labels.to_pyarrow(), str(path))


def build_labels(wh: Warehouse, task: TaskSpec) -> LabelSet:
    """Label every row of the task's population.

    Parameters
    ----------
    wh
        The warehouse (DuckDB, Spark, …): the work happens in its engine.
    task
        A :class:`TaskSpec`, e.g. from :func:`load_task`.

    Returns
    -------
    LabelSet
        ``.labels`` (lazy Ibis table) and ``.attrition`` (pandas DataFrame).

    Examples
    --------
    >>> from hopia.tasks import build_labels, load_task
    >>> labels = build_labels(wh, load_task("inhospital_mortality"))  # doctest: +SKIP
    >>> labels.attrition[["step", "rows_after"]]  # doctest: +SKIP
    """
    pop = task.population
    all_stays = stays(wh)
    typed_ids = visit_concept_ids(pop.visit_types)
    is_typed = all_stays.visit_concept_id.isin(typed_ids).fill_null(False)
    has_end = all_stays.end.notnull() & (all_stays.end >= all_stays.start)
    stay_counts = all_stays.aggregate(
        total=all_stays.count(),
        typed=is_typed.cast(dt.int64).sum(),
        valid=(is_typed & has_end).cast(dt.int64).sum(),
    ).execute()
    total, typed, valid = (int(stay_counts[c].iloc[0] or 0) for c in ("total", "typed", "valid"))
    attrition: list[tuple[str, int, int]] = [
        (f"visit type in {', '.join(map(str, pop.visit_types))}", total, typed),
        ("stay has an end on or after its start", typed, valid),
    ]
    population = all_stays.filter(is_typed & has_end)
    rows = _index_rows(population, task)
    units = care_units(wh, task.icu)
    # Intermediate results are cached in the engine: the expression stays small enough for
    # Ibis to compile quickly, and each stage is computed once.
    rows = _with_person_facts(wh, rows, task).cache()
    matches = _population_matches(wh, rows, task, units) | _outcome_matches(wh, rows, task, units)
    rows = _with_outcome(_with_matches(rows, matches), task)
    steps = _steps(rows, task)
    rows = rows.mutate(**dict(steps)).cache()
    flags = [name for name, _ in steps]

    counts = _cumulative_counts(rows, flags)
    before = counts["rows"]
    if task.index.every is not None:
        attrition.append(
            (
                f"index every {format_duration(task.index.every)} (up to {task.index.max_points} per stay)",
                valid,
                before,
            )
        )
    for name in flags:
        attrition.append((_STEP_TITLES.get(name, name), before, counts[name]))
        before = counts[name]

    kept = rows
    if flags:
        keep = rows[flags[0]]
        for name in flags[1:]:
            keep = keep & rows[name]
        kept = rows.filter(keep)
    label = kept.outcome_hit
    if task.censoring.competing_death == "positive" and "death" not in task.outcome.kinds:
        label = label | kept.competing_death
    kept = kept.mutate(label=label.cast(dt.int64))
    labels = _with_subgroups(kept, task, units)
    return LabelSet(labels=labels, attrition=_attrition_frame(attrition), task=task)


_STEP_TITLES = {
    "ok_age": "age in range at index",
    "ok_alive": "alive at index",
    "ok_in_stay": "still in hospital at index",
    "ok_no_death_in_stay": "no death during the stay",
    "ok_no_transfer": "not a transfer to another hospital or stay",
    "ok_before_icu": "before the stay's first ICU entry",
    "ok_include_codes": "has an inclusion code before index",
    "ok_exclude_codes": "has no exclusion code before index",
    "ok_competing_death": "no competing death in the window (censored)",
    "ok_followup": "follow-up covers the window (or outcome seen)",
}


def _index_rows(population: ir.Table, task: TaskSpec) -> ir.Table:
    """One row per index time: discharge + offset, or admission + offset (+ k × every)."""
    index = task.index
    if index.anchor == "discharge":
        return population.mutate(index_time=population.end + ibis.interval(seconds=index.offset))
    if index.every is None:
        return population.mutate(index_time=population.start + ibis.interval(seconds=index.offset))
    # an array unnested in the engine (a memtable would not survive Spark's cache path)
    repeated = population.mutate(point=ibis.range(0, index.max_points).unnest())
    shift = (repeated.point.cast(dt.int64) * index.every + index.offset).as_interval("s")
    return repeated.mutate(index_time=repeated.start + shift).drop("point")


def _with_person_facts(wh: Warehouse, rows: ir.Table, task: TaskSpec) -> ir.Table:
    """Add ``birth_time, sex, age, death_time, death_day, observation_end, window_end``."""
    people = persons(wh)
    rows = rows.left_join(people, "person_id").drop("person_id_right")
    died = deaths(wh)
    rows = rows.left_join(died, "person_id").drop("person_id_right")
    observed = observation_ends(wh).drop("observation_start")
    rows = rows.left_join(observed, "person_id").drop("person_id_right")
    if task.outcome.window == "stay":
        window_end = rows.end
        death_window_end = rows.end.truncate("D") + END_OF_DAY
    else:
        window_end = rows.index_time + ibis.interval(seconds=task.outcome.window)
        death_window_end = window_end
    return rows.mutate(
        age=age_years(rows.index_time, rows.birth_time),
        window_end=window_end,
        death_window_end=death_window_end,
        data_end=ibis.literal(_data_end(wh), dt.timestamp),
    )


def _data_end(wh: Warehouse) -> object:
    """The last second of data: the latest observation period end (else the latest visit end)."""
    period = wh.table("observation_period")
    last_day = period.observation_period_end_date.max().execute()
    if last_day is None or last_day != last_day:  # None or NaT
        visit = stays(wh)
        last = visit.end.max().execute()
        return None if last is None or last != last else last
    import pandas as pd

    return pd.Timestamp(last_day) + pd.Timedelta(seconds=86399)


def _any_in_window(
    rows: ir.Table, other: ir.Table, condition: Callable[[ir.Table], ir.BooleanValue]
) -> ir.Table:
    """``KEYS + [hit]``: whether a row of ``other`` (same person) satisfies ``condition(row, other)``."""
    left = rows.select(
        row_visit="visit_occurrence_id",
        row_time="index_time",
        row_person="person_id",
        row_end="end",
        row_window_end="window_end",
    )
    joined = left.inner_join(other, left.row_person == other.person_id)
    joined = joined.filter(condition(joined))
    return (
        joined.select(visit_occurrence_id="row_visit", index_time="row_time")
        .distinct()
        .mutate(hit=True)
    )


def _with_matches(rows: ir.Table, matches: dict[str, ir.Table]) -> ir.Table:
    """``rows`` plus one boolean column per entry of ``matches`` (all joined in one chain)."""
    if not matches:
        return rows
    joined = rows
    for name, hits in matches.items():
        right = hits.select(
            **{f"{name}__visit": "visit_occurrence_id", f"{name}__time": "index_time"}
        ).mutate(**{name: ibis.literal(True)})
        joined = joined.left_join(
            right,
            (rows.visit_occurrence_id == right[f"{name}__visit"])
            & (rows.index_time == right[f"{name}__time"]),
        )
    return joined.select(*rows.columns, **{name: joined[name].fill_null(False) for name in matches})


def _population_matches(
    wh: Warehouse, rows: ir.Table, task: TaskSpec, units: ir.Table
) -> dict[str, ir.Table]:
    """Rows that meet a population criterion needing another table (transfers, ICU, codes)."""
    pop = task.population
    matches: dict[str, ir.Table] = {}
    if pop.exclude_transfers:
        visits = stays(wh)
        gap = ibis.interval(seconds=pop.transfer_gap)
        following = visits.filter(visits.visit_concept_id.isin(visit_concept_ids(pop.visit_types)))
        matches["next_stay_soon"] = _any_in_window(
            rows,
            following,
            lambda j: (
                (j.visit_occurrence_id != j.row_visit)
                & (j.start >= j.row_end)
                & (j.start <= j.row_end + gap)
            ),
        )
    if pop.before_first_icu:
        icu = units.filter(units.is_icu)
        matches["icu_before_index"] = _any_in_window(
            rows,
            icu,
            lambda j: (j.visit_occurrence_id == j.row_visit) & (j.start <= j.row_time),
        )
    for name, patterns in (
        ("has_include_code", pop.include_codes),
        ("has_exclude_code", pop.exclude_codes),
    ):
        if patterns:
            events = wh.events()
            matching = events.filter(code_matches(events.code, patterns))
            matches[name] = _any_in_window(
                rows, matching, lambda j: seen_at(j.time, j.date_only, j.row_time)
            )
    return matches


def _outcome_matches(
    wh: Warehouse, rows: ir.Table, task: TaskSpec, units: ir.Table
) -> dict[str, ir.Table]:
    """Rows whose outcome event (one entry per event type that needs a join) is in the window."""
    visits = stays(wh)
    matches: dict[str, ir.Table] = {}
    for number, event in enumerate(task.outcome.any_of):
        name = f"outcome_{number}"
        if event.type == "icu_admission":
            icu = units.filter(units.is_icu)
            matches[name] = _any_in_window(
                rows, icu, lambda j: (j.start > j.row_time) & (j.start <= j.row_window_end)
            )
        elif event.type in ("readmission", "hospital_admission"):
            candidates = visits.filter(
                visits.visit_concept_id.isin(visit_concept_ids(event.visit_types))
            )
            if event.type == "readmission" and event.unplanned_only:
                source = candidates.admitted_from_source_value.upper()
                from_er = candidates.admitted_from_concept_id.isin(ER_CONCEPTS).fill_null(False)
                for word in event.emergency_sources:
                    from_er = from_er | source.contains(word.upper()).fill_null(False)
                candidates = candidates.filter(
                    (candidates.visit_concept_id == ERIP_CONCEPT) | from_er
                )
            strictly_after = event.type == "readmission"
            matches[name] = _any_in_window(
                rows,
                candidates,
                lambda j, strictly_after=strictly_after: (
                    (j.visit_occurrence_id != j.row_visit)
                    & ((j.start > j.row_time) if strictly_after else (j.start >= j.row_time))
                    & (j.start <= j.row_window_end)
                ),
            )
        elif event.type == "codes":
            events = wh.events()
            matching = events.filter(code_matches(events.code, event.codes))
            when = ibis.ifelse(matching.date_only, matching.time + END_OF_DAY, matching.time)
            matches[name] = _any_in_window(
                rows,
                matching.mutate(time=when),
                lambda j: (j.time > j.row_time) & (j.time <= j.row_window_end),
            )
    return matches


def _with_outcome(rows: ir.Table, task: TaskSpec) -> ir.Table:
    """Add ``outcome_hit``, ``death_in_window`` and ``competing_death`` (after the match joins)."""
    hit = ibis.literal(False)
    for number, event in enumerate(task.outcome.any_of):
        name = f"outcome_{number}"
        if event.type == "death":
            hit = hit | _death_in_window(rows)
        elif event.type == "stay_longer_than":
            longer = rows.end > rows.start + ibis.interval(seconds=event.duration)
            hit = hit | longer.fill_null(False)
        elif event.type == "hospital_admission":
            itself = rows.visit_concept_id.isin(visit_concept_ids(event.visit_types)).fill_null(
                False
            )
            hit = hit | rows[name] | itself
        else:
            hit = hit | rows[name]
    death_in_window = _death_in_window(rows)
    competing = ibis.literal(False) if "death" in task.outcome.kinds else death_in_window & ~hit
    return rows.mutate(outcome_hit=hit, death_in_window=death_in_window, competing_death=competing)


def _death_in_window(rows: ir.Table) -> ir.BooleanValue:
    return (
        (rows.death_time > rows.index_time) & (rows.death_time <= rows.death_window_end)
    ).fill_null(False)


def _steps(rows: ir.Table, task: TaskSpec) -> list[tuple[str, ir.BooleanValue]]:
    """The population and censoring steps, in order, as boolean columns (true = row kept)."""
    pop = task.population
    steps: list[tuple[str, ir.BooleanValue]] = []
    if pop.min_age is not None or pop.max_age is not None:
        ok = rows.age.notnull()
        if pop.min_age is not None:
            ok = ok & (rows.age >= pop.min_age)
        if pop.max_age is not None:
            ok = ok & (rows.age < pop.max_age + 1)
        steps.append(("ok_age", ok.fill_null(False)))
    if pop.exclude_death_in_stay:
        died = (rows.discharged_to_concept_id == DIED_CONCEPT).fill_null(False) | (
            rows.death_day <= rows.end.truncate("D")
        ).fill_null(False)
        steps.append(("ok_no_death_in_stay", ~died))
    alive = rows.death_time.isnull() | (rows.death_time > rows.index_time)
    steps.append(("ok_alive", alive.fill_null(False)))
    if task.index.anchor == "admission":
        steps.append(("ok_in_stay", (rows.index_time < rows.end).fill_null(False)))
    if pop.exclude_transfers:
        destination = rows.discharged_to_concept_id.isin(pop.transfer_destinations).fill_null(False)
        steps.append(("ok_no_transfer", ~(destination | rows.next_stay_soon)))
    if pop.before_first_icu:
        steps.append(("ok_before_icu", ~rows.icu_before_index))
    if pop.include_codes:
        steps.append(("ok_include_codes", rows.has_include_code))
    if pop.exclude_codes:
        steps.append(("ok_exclude_codes", ~rows.has_exclude_code))
    if task.censoring.competing_death == "exclude":
        steps.append(("ok_competing_death", ~rows.competing_death))
    followup = task.censoring.followup
    if followup != "none" and task.outcome.window != "stay":
        end = rows.observation_end if followup == "observation_period" else rows.data_end
        known = rows.outcome_hit | rows.death_in_window | end.isnull() | (end >= rows.window_end)
        steps.append(("ok_followup", known.fill_null(False)))
    return steps


def _cumulative_counts(rows: ir.Table, flags: list[str]) -> dict[str, int]:
    """Rows left after each step, all from one query."""
    metrics = {"rows": rows.count()}
    running = ibis.literal(True)
    for name in flags:
        running = running & rows[name]
        metrics[name] = running.cast(dt.int64).sum()
    frame = rows.aggregate(**metrics).execute()
    return {name: int(frame[name].iloc[0] or 0) for name in metrics}


def _with_subgroups(kept: ir.Table, task: TaskSpec, units: ir.Table) -> ir.Table:
    columns = {
        "person_id": kept.person_id,
        "visit_occurrence_id": kept.visit_occurrence_id,
        "index_time": kept.index_time,
        "label": kept.label,
    }
    if "sex" in task.subgroups:
        columns["sex"] = kept.sex.fill_null("unknown")
    if "age_band" in task.subgroups:
        columns["age_band"] = ibis.ifelse(
            kept.age.isnull(), "unknown", age_band(kept.age, task.age_bands)
        )
    labels = kept.select(**columns)
    if "unit" in task.subgroups:
        current = unit_at_index(labels, units, KEYS)
        labels = labels.left_join(current, KEYS).drop(
            "visit_occurrence_id_right", "index_time_right"
        )
        labels = labels.mutate(unit=labels.unit.fill_null("unknown"))
    return labels.order_by("person_id", "visit_occurrence_id", "index_time")


def _attrition_frame(steps: list[tuple[str, int, int]]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(steps, columns=["step", "rows_before", "rows_after"])
    frame["rows_removed"] = frame.rows_before - frame.rows_after
    return frame[["step", "rows_before", "rows_removed", "rows_after"]]


def index_outside_observation(wh: Warehouse, labels: ir.Table) -> int:
    """How many label rows have an index time outside the person's observation period(s)."""
    period = wh.table("observation_period")
    periods = period.select(
        person_id=period.person_id.cast(dt.int64),
        first_day=period.observation_period_start_date.cast(dt.timestamp),
        last_second=period.observation_period_end_date.cast(dt.timestamp) + END_OF_DAY,
    )
    rows = labels.select("person_id", *KEYS)
    covered = (
        rows.inner_join(
            periods,
            (rows.person_id == periods.person_id)
            & (rows.index_time >= periods.first_day)
            & (rows.index_time <= periods.last_second),
        )
        .select(*KEYS)
        .distinct()
    )
    total = rows.count().execute()
    return int(total) - int(covered.count().execute())
