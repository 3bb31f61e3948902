"""Event logs built from the warehouse, in the engine.

* **unit transfers**: every ``visit_detail`` row is an event named after its unit (care site
  source value, else its name), with its start and end;
* **ED steps, admission, discharge, imaging, surgery, treatments, screening steps**: the
  events of the warehouse's events view that match an activity rule
  (``hopia/pathways/activities.yaml``, or your own file with the same layout).

A case is a **stay** (``case="stay"``: a visit; an emergency visit directly followed by an
inpatient visit that names it as ``preceding_visit_occurrence_id`` is the same stay) or a
**person** (``case="person"``: every event of the person, e.g. screening pathways). Events
other than unit transfers get the unit the patient was in at that time. Case attributes
``visit_type``, ``age_band``, ``gender`` and ``diagnosis`` (first condition of the stay) are
repeated on every event so that logs can be filtered by them.

Examples
--------
>>> rules = load_activity_rules()
>>> [rule.activity for rule in rules][:3]
['ED arrival', 'ED triage', 'ED medical decision']
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.datatypes as dt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hopia.errors import InputError
from hopia.pathways._log import order_events
from hopia.warehouse._events import trim_text

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from hopia.warehouse import Warehouse

CaseKind = Literal["stay", "person"]
AGE_BANDS = (
    (0, 18, "0-17"),
    (18, 45, "18-44"),
    (45, 65, "45-64"),
    (65, 80, "65-79"),
    (80, 200, "80+"),
)
_UNIT_PREFIX = "UNIT/"


class ActivityRule(BaseModel):
    """Events of the events view that become one activity."""

    model_config = ConfigDict(extra="forbid")

    activity: str
    codes: list[str] = Field(default_factory=list)
    names: list[str] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)
    at: Literal["start", "end"] = "start"


def load_activity_rules(path: str | Path | None = None) -> list[ActivityRule]:
    """The activity rules of ``path`` (YAML with a ``rules`` list), or the built-in ones."""
    import yaml

    if path is None:
        text = resources.files("hopia.pathways").joinpath("activities.yaml").read_text("utf-8")
        place = "built-in activities.yaml"
    else:
        place = str(path)
        if not Path(path).is_file():
            raise InputError(place, "no such activity rules file")
        text = Path(path).read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) or {}
        return [ActivityRule.model_validate(rule) for rule in data.get("rules", [])]
    except (yaml.YAMLError, ValidationError, AttributeError) as error:
        raise InputError(place, f"expected a 'rules' list of activity rules: {error}") from error


def _rule_match(rule: ActivityRule, events: ir.Table) -> ir.BooleanValue:
    found = ibis.literal(False)
    exact = [code for code in rule.codes if not code.endswith("*")]
    if exact:
        found |= events.code.isin(exact)
    for prefix in (code[:-1] for code in rule.codes if code.endswith("*")):
        found |= events.code.startswith(prefix)
    for pattern in rule.names:
        found |= events.concept_name.fill_null("").re_search(f"(?i){pattern}")
    if rule.domains:
        found &= events.domain.isin(rule.domains)
    return found


def _concept_names(wh: Warehouse) -> ir.Table:
    concept = wh.table("concept")
    named = concept.select(
        concept_ref=concept.vocabulary_id.upper() + "/" + trim_text(concept.concept_code),
        concept_name=concept.concept_name,
    )
    return named.group_by("concept_ref").aggregate(concept_name=named.concept_name.min())


def _stay_of_visit(wh: Warehouse) -> ir.Table:
    """Visit id → stay id: an inpatient visit that follows an ED visit joins its stay."""
    visits = wh.table("visit_occurrence")
    previous = visits.select(
        previous_id=visits.visit_occurrence_id, previous_concept=visits.visit_concept_id
    )
    linked = visits.left_join(
        previous,
        (visits.preceding_visit_occurrence_id == previous.previous_id)
        & (previous.previous_concept == 9203),
    )
    return linked.select(
        visit_occurrence_id=linked.visit_occurrence_id.cast(dt.int64),
        stay_id=ibis.coalesce(linked.previous_id, linked.visit_occurrence_id).cast(dt.int64),
    )


def _first_code(facts: ir.Table, name: str) -> ir.Table:
    window = ibis.window(group_by="case_id", order_by=["time", "code"])
    ranked = facts.mutate(_rank=ibis.row_number().over(window))
    return ranked.filter(ranked._rank == 0).select("case_id", **{name: ranked.code.split("/")[1]})


def _case_facts(wh: Warehouse, events: ir.Table, case: CaseKind) -> ir.Table:
    """The visits and conditions of each case (``case_id, person_id, time, domain, code``)."""
    facts = events.filter(events.domain.isin(["visit", "condition"]))
    if case == "stay":
        facts = facts.inner_join(_stay_of_visit(wh), "visit_occurrence_id")
        facts = facts.mutate(case_id=facts.stay_id.cast(dt.string))
    else:
        facts = facts.mutate(case_id=facts.person_id.cast(dt.string))
    return facts.select("case_id", "person_id", "time", "domain", "code")


def _case_attributes(wh: Warehouse, log: ir.Table, facts: ir.Table) -> ir.Table:
    """``visit_type, age_band, gender, diagnosis`` of each case of ``log``."""
    person = wh.table("person")
    starts = log.group_by(["case_id", "person_id"]).aggregate(case_start=log.time.min())
    joined = starts.left_join(
        person.select("person_id", "year_of_birth", "gender_concept_id"), "person_id"
    )
    age = joined.case_start.year() - joined.year_of_birth
    age_band = ibis.cases(
        *(((age >= low) & (age < high), label) for low, high, label in AGE_BANDS), else_=None
    )
    gender = ibis.cases(
        (joined.gender_concept_id == 8507, "M"), (joined.gender_concept_id == 8532, "F"), else_=None
    )
    attributes = joined.select("case_id", age_band=age_band, gender=gender)
    visit_type = _first_code(facts.filter(facts.domain == "visit"), "visit_type")
    diagnosis = _first_code(facts.filter(facts.code.startswith("ICD10/")), "diagnosis")
    attributes = attributes.left_join(visit_type, "case_id").drop("case_id_right")
    return attributes.left_join(diagnosis, "case_id").drop("case_id_right")


def warehouse_log(
    wh: Warehouse,
    *,
    case: CaseKind = "stay",
    visit_types: Sequence[str] | None = None,
    rules: Sequence[ActivityRule] | None = None,
) -> ir.Table:
    """The event log of the warehouse's pathways (lazy Ibis table, see :mod:`hopia.pathways._log`).

    Parameters
    ----------
    wh
        An open warehouse.
    case
        ``"stay"`` (one case per stay) or ``"person"``.
    visit_types
        Keep only cases with a visit of these types (``ER``, ``IP``, ``ERIP``, ``OP``…).
    rules
        Activity rules (default: :func:`load_activity_rules`).

    Returns
    -------
    ibis.expr.types.Table
        The log with ``position`` computed (ties: unit transfers before other events, then
        activity name), plus columns ``person_id, domain, code, visit_type, age_band, gender,
        diagnosis``.
    """
    if case not in ("stay", "person"):
        raise InputError("case", f"expected stay or person, got {case!r}")
    rules = list(rules) if rules is not None else load_activity_rules()
    all_events = wh.events()
    names = _concept_names(wh)
    events = all_events.left_join(names, all_events.code == names.concept_ref).drop("concept_ref")
    is_unit = (events.domain == "visit_detail") & events.code.startswith(_UNIT_PREFIX)
    starts = [rule for rule in rules if rule.at == "start"]
    ends = [rule for rule in rules if rule.at == "end"]

    def first_match(chosen: list[ActivityRule]) -> ir.IntegerValue:
        """Index of the first matching rule (each rule's test appears once in the query)."""
        branches = [(_rule_match(rule, events), i) for i, rule in enumerate(chosen)]
        return ibis.cases(*branches, else_=None) if branches else ibis.null(dt.int64)

    def activity_of(index: ir.IntegerValue, chosen: list[ActivityRule]) -> ir.StringValue:
        branches = [(index == i, rule.activity) for i, rule in enumerate(chosen)]
        return ibis.cases(*branches, else_=None) if branches else ibis.null(dt.string)

    matched = events.mutate(
        _is_unit=is_unit,
        _start_rule=ibis.ifelse(is_unit, ibis.null(dt.int64), first_match(starts)),
        _end_rule=ibis.ifelse(is_unit, ibis.null(dt.int64), first_match(ends)),
    )
    matched = matched.filter(
        matched._is_unit | matched._start_rule.notnull() | matched._end_rule.notnull()
    )
    begins = matched.mutate(
        activity=ibis.ifelse(
            matched._is_unit,
            matched.code.substr(len(_UNIT_PREFIX)),
            activity_of(matched._start_rule, starts),
        ),
        # ties: an end (ED departure) before a start (admission) before a unit entry
        _kind=ibis.ifelse(matched._is_unit, 2, 1),
    )
    finished = matched.mutate(
        activity=activity_of(matched._end_rule, ends),
        time=matched.end_time,
        _is_unit=ibis.literal(False),
        _kind=ibis.literal(0),
    )
    mapped = begins.union(finished.select(*begins.columns), distinct=False)
    mapped = mapped.filter(mapped.activity.notnull())
    mapped = mapped.mutate(
        end_time=ibis.ifelse(mapped._is_unit, mapped.end_time, ibis.null(dt.timestamp)),
        unit=ibis.ifelse(mapped._is_unit, mapped.activity, ibis.null(dt.string)),
    )
    mapped = mapped.filter(mapped.time.notnull())
    if case == "stay":
        stays = _stay_of_visit(wh)
        mapped = mapped.inner_join(stays, "visit_occurrence_id")
        mapped = mapped.mutate(case_id=mapped.stay_id.cast(dt.string))
    else:
        mapped = mapped.mutate(case_id=mapped.person_id.cast(dt.string))
    columns = [
        "case_id",
        "person_id",
        "activity",
        "time",
        "end_time",
        "unit",
        "domain",
        "code",
        "_kind",
    ]
    mapped = _keep_first(mapped.select(*columns), ["case_id", "activity", "time"])
    mapped = _unit_at_time(mapped)
    facts = _case_facts(wh, all_events, case)
    log = mapped.left_join(_case_attributes(wh, mapped, facts), "case_id").drop("case_id_right")
    if visit_types:
        wanted = [f"VISIT/{kind.strip().upper()}" for kind in visit_types]
        chosen = facts.filter(facts.code.isin(wanted)).select("case_id").distinct()
        log = log.semi_join(chosen, "case_id")
    window = ibis.window(
        group_by=log.case_id, order_by=[log.time, log._kind, log.activity, log.code]
    )
    log = log.mutate(source_row=ibis.row_number().over(window)).drop("_kind")
    return order_events(log, tie_break="source")


def _keep_first(table: ir.Table, key: list[str]) -> ir.Table:
    """One row per ``key``: the first by kind, domain, code and end time (deterministic)."""
    window = ibis.window(
        group_by=key, order_by=[table._kind, table.domain, table.code, table.end_time, table.unit]
    )
    ranked = table.mutate(_copy=ibis.row_number().over(window))
    return ranked.filter(ranked._copy == 0).drop("_copy")


def _unit_at_time(mapped: ir.Table) -> ir.Table:
    """Give events without a unit the unit the person was in at that time (the latest stay
    started at or before it and not yet ended; for end events, the stay they end with)."""
    stays = mapped.filter(mapped.domain == "visit_detail").select(
        stay_person=mapped.person_id,
        stay_unit=mapped.unit,
        stay_start=mapped.time,
        stay_end=mapped.end_time,
    )
    others = mapped.filter(mapped.domain != "visit_detail")
    joined = others.left_join(
        stays,
        [
            others.person_id == stays.stay_person,
            # an end event (ED departure) belongs to the unit being left, others to the unit entered
            ibis.ifelse(
                others._kind == 0, stays.stay_start < others.time, stays.stay_start <= others.time
            ),
            stays.stay_end.isnull()
            | ibis.ifelse(
                others._kind == 0, others.time <= stays.stay_end, others.time < stays.stay_end
            ),
        ],
    )
    window = ibis.window(
        group_by=[joined.case_id, joined.activity, joined.time],
        order_by=[ibis.desc(joined.stay_start), joined.stay_unit],
    )
    ranked = joined.mutate(_match=ibis.row_number().over(window))
    located = ranked.filter(ranked._match == 0)
    located = located.mutate(unit=located.stay_unit).select(*mapped.columns)
    return mapped.filter(mapped.domain == "visit_detail").union(located, distinct=False)
