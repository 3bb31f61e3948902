"""Conformance of each case to a reference pathway written in YAML.

A reference pathway is a list of ordered steps. Each step names the activities that count
as doing it, may be optional, and may have a time target relative to another step::

    name: sepsis-cases
    title: IV antibiotics within 1 hour of sepsis triage
    steps:
      - name: sepsis_triage
        activities: [ER Sepsis Triage]
      - name: antibiotics
        activities: [IV Antibiotics]
        within: {minutes: 60, after: sepsis_triage}

For every case and step, hopia takes the first occurrence of the step and reports whether a
required step was **missed**, whether it came **out of order** (before a step listed earlier
that did occur), and whether it was **late** (later than its target after the reference
step; not judged when the reference step did not occur).

Examples
--------
>>> import datetime as dt, ibis
>>> from hopia.pathways._log import order_events
>>> t0 = dt.datetime(2024, 1, 1, 8)
>>> log = order_events(ibis.memtable({
...     "case_id": ["A", "A", "B"], "activity": ["Triage", "Antibiotics", "Triage"],
...     "time": [t0, t0 + dt.timedelta(minutes=90), t0], "source_row": [0, 1, 2]}))
>>> spec = ReferencePathway.model_validate({"name": "demo", "steps": [
...     {"name": "triage", "activities": ["Triage"]},
...     {"name": "antibiotics", "activities": ["Antibiotics"], "within": {"minutes": 60, "after": "triage"}}]})
>>> result = check_conformance(log, spec).order_by(["case_id", "step_index"]).execute()
>>> result[["case_id", "step", "status"]].values.tolist()
[['A', 'triage', 'done'], ['A', 'antibiotics', 'late'], ['B', 'triage', 'done'], ['B', 'antibiotics', 'missed']]
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.datatypes as dt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hopia.errors import InputError
from hopia.pathways._log import seconds_between

if TYPE_CHECKING:
    import ibis.expr.types as ir

Period = Literal["day", "week", "month", "quarter", "year"]
_PERIOD_UNITS = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}
BUILTIN_PATHWAYS = ("stroke", "sepsis", "sepsis-cases")


class TimeTarget(BaseModel):
    """The step must happen within this delay after another step."""

    model_config = ConfigDict(extra="forbid")

    after: str = Field(description="Name of the reference step.")
    minutes: float | None = Field(default=None, gt=0)
    hours: float | None = Field(default=None, gt=0)
    days: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_delay(self) -> TimeTarget:
        given = [v for v in (self.minutes, self.hours, self.days) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of minutes, hours, days")
        return self

    @property
    def seconds(self) -> float:
        """The target in seconds."""
        if self.minutes is not None:
            return self.minutes * 60
        if self.hours is not None:
            return self.hours * 3600
        return float(self.days or 0) * 86400


class Step(BaseModel):
    """One step of a reference pathway."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    activities: list[str] = Field(min_length=1, description="Activities that count as this step.")
    optional: bool = False
    within: TimeTarget | None = None
    description: str = ""

    @field_validator("activities", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class ReferencePathway(BaseModel):
    """A reference pathway: ordered steps with optional steps and time targets."""

    model_config = ConfigDict(extra="forbid")

    name: str
    title: str = ""
    description: str = ""
    source: str = Field(default="", description="Guideline the targets come from.")
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> ReferencePathway:
        names = [step.name for step in self.steps]
        if len(set(names)) != len(names):
            raise ValueError(f"step names must be unique, got {names}")
        for step in self.steps:
            if step.within is not None:
                if step.within.after not in names:
                    raise ValueError(
                        f"step {step.name}: within.after names no step ({step.within.after!r})"
                    )
                if step.within.after == step.name:
                    raise ValueError(f"step {step.name}: a step cannot be timed after itself")
        return self


def load_pathway(source: str | Path) -> ReferencePathway:
    """Read a reference pathway from a YAML file, or a built-in one by name.

    Examples
    --------
    >>> [step.name for step in load_pathway("sepsis-cases").steps][-1]
    'antibiotics'
    """
    import yaml

    path = Path(source)
    if str(source) in BUILTIN_PATHWAYS:
        text = (
            resources.files("hopia.pathways")
            .joinpath("reference", f"{source}.yaml")
            .read_text("utf-8")
        )
        place = f"built-in pathway {source}"
    elif path.is_file():
        text, place = path.read_text(encoding="utf-8"), str(path)
    else:
        raise InputError(
            str(source), f"no such file, and not a built-in pathway ({', '.join(BUILTIN_PATHWAYS)})"
        )
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError(place, f"not valid YAML: {error}", line=line) from error
    try:
        return ReferencePathway.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise InputError(place, first["msg"], field=field or None) from error


def _case_unit(log: ir.Table) -> ir.Table:
    """The unit of each case's first event that has one."""
    with_unit = log.filter(log.unit.notnull())
    window = ibis.window(group_by=with_unit.case_id, order_by=[with_unit.position])
    ranked = with_unit.mutate(_rank=ibis.row_number().over(window))
    return ranked.filter(ranked._rank == 0).select("case_id", case_unit=ranked.unit)


def check_conformance(log: ir.Table, pathway: ReferencePathway) -> ir.Table:
    """Per case and step: occurred, missed, out of order, late, and the delay to the target.

    Returns
    -------
    ibis.expr.types.Table
        ``case_id, case_start, case_unit, step_index, step, optional, time, delay_seconds,
        target_seconds, missed, out_of_order, late, status, case_conforming`` — ``status`` is
        one of ``missed`` (required step absent), ``skipped`` (optional step absent),
        ``out_of_order``, ``late``, ``on_time`` (met its target) or ``done``.
    """
    firsts = {
        f"_t{i}": log.time.min(where=log.activity.isin(step.activities))
        for i, step in enumerate(pathway.steps)
    }
    cases = log.group_by("case_id").aggregate(case_start=log.time.min(), **firsts)
    cases = cases.left_join(_case_unit(log), "case_id").drop("case_id_right")
    index = {step.name: i for i, step in enumerate(pathway.steps)}
    parts = []
    for i, step in enumerate(pathway.steps):
        when = cases[f"_t{i}"]
        occurred = when.notnull()
        earlier_after = ibis.literal(False)
        for j in range(i):
            before = cases[f"_t{j}"]
            earlier_after |= before.notnull() & (before > when)
        out_of_order = occurred & earlier_after
        if step.within is not None:
            reference = cases[f"_t{index[step.within.after]}"]
            delay = seconds_between(when, reference)
            target = ibis.literal(step.within.seconds, dt.float64)
            late = ibis.ifelse(
                occurred & reference.notnull(), delay > target, ibis.null(dt.boolean)
            )
        else:
            delay = ibis.null(dt.float64)
            target = ibis.null(dt.float64)
            late = ibis.null(dt.boolean)
        missed = ~occurred & ibis.literal(not step.optional)
        status = ibis.cases(
            (missed, "missed"),
            (~occurred, "skipped"),
            (out_of_order, "out_of_order"),
            (late.fill_null(False), "late"),
            (late.notnull(), "on_time"),
            else_="done",
        )
        parts.append(
            cases.select(
                "case_id",
                "case_start",
                "case_unit",
                step_index=ibis.literal(i, dt.int64),
                step=ibis.literal(step.name, dt.string),
                optional=ibis.literal(step.optional, dt.boolean),
                time=when,
                delay_seconds=delay.cast(dt.float64),
                target_seconds=target,
                missed=missed,
                out_of_order=out_of_order,
                late=late.cast(dt.boolean),
                status=status,
            )
        )
    steps = parts[0]
    for part in parts[1:]:
        steps = steps.union(part, distinct=False)
    failing = steps.missed | steps.out_of_order | steps.late.fill_null(False)
    window = ibis.window(group_by=steps.case_id)
    return steps.mutate(case_conforming=~failing.any().over(window))


def conformance_rates(
    checked: ir.Table, *, by: Sequence[str] = (), period: Period = "month"
) -> ir.Table:
    """Rates of missed, out-of-order and late steps per group (unit, period) and step.

    Parameters
    ----------
    checked
        The result of :func:`check_conformance`.
    by
        Any of ``"unit"`` (the case's first unit) and ``"period"`` (the case's start,
        truncated to ``period``).
    period
        ``day``, ``week``, ``month``, ``quarter`` or ``year``.

    Returns
    -------
    ibis.expr.types.Table
        ``<by…>, step, cases, occurred, missed, out_of_order, late, judged, missed_rate,
        out_of_order_rate, late_rate, conforming_rate``. The row with ``step = "(pathway)"``
        counts whole cases: ``conforming_rate`` is the share of cases with no failing step.
        ``late_rate`` is over the cases where the delay could be judged.
    """
    groups: list[str] = []
    table = checked
    for name in by:
        if name == "unit":
            table = table.mutate(unit=table.case_unit)
        elif name == "period":
            if period not in _PERIOD_UNITS:
                raise InputError(
                    "period", f"expected one of {', '.join(_PERIOD_UNITS)}, got {period!r}"
                )
            table = table.mutate(period=table.case_start.truncate(_PERIOD_UNITS[period]).date())
        else:
            raise InputError("by", f"expected unit or period, got {name!r}")
        groups.append(name)

    def count(flag: ir.BooleanValue) -> ir.IntegerValue:
        return flag.fill_null(False).cast(dt.int64).sum()

    per_step = table.group_by([*groups, "step_index", "step"]).aggregate(
        cases=table.count(),
        occurred=count(table.time.notnull()),
        missed=count(table.missed),
        out_of_order=count(table.out_of_order),
        late=count(table.late),
        judged=count(table.late.notnull()),
        conforming=count(~(table.missed | table.out_of_order | table.late.fill_null(False))),
    )
    first_step = table.filter(table.step_index == 0)
    per_case = first_step.aggregate(
        by=groups, cases=first_step.count(), conforming=count(first_step.case_conforming)
    )
    no_count = ibis.null(dt.int64)
    per_case = per_case.mutate(
        step_index=ibis.literal(-1, dt.int64),
        step=ibis.literal("(pathway)", dt.string),
        occurred=no_count,
        missed=no_count,
        out_of_order=no_count,
        late=no_count,
        judged=no_count,
    )
    rows = per_step.union(per_case.select(*per_step.columns), distinct=False)

    def rate(numerator: ir.IntegerValue, denominator: ir.IntegerValue) -> ir.FloatingValue:
        return ibis.ifelse(
            denominator > 0, numerator.cast(dt.float64) / denominator, ibis.null(dt.float64)
        )

    rows = rows.mutate(
        missed_rate=rate(rows.missed, rows.cases),
        out_of_order_rate=rate(rows.out_of_order, rows.cases),
        late_rate=rate(rows.late, rows.judged),
        conforming_rate=rate(rows.conforming, rows.cases),
    )
    return rows.order_by([*groups, "step_index"]).drop("step_index", "conforming")
