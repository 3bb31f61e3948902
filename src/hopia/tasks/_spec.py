"""Task specs: a prediction task written as data (YAML), checked by pydantic.

A task says which stays form the population, when the prediction is made (the index time),
what counts as the outcome and over which window, how rows without enough follow-up or with
a competing death are handled, and which subgroup columns come with the labels.

Examples
--------
>>> from hopia.tasks import load_task
>>> task = load_task("long_stay_7d")
>>> task.index.anchor, task.index.offset
('admission', 86400)
>>> parse_duration("7d")
604800
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from hopia.errors import InputError
from hopia.warehouse.vocab import VISIT_CONCEPTS

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_VISIT_CODES = {code: concept_id for concept_id, code in VISIT_CONCEPTS.items()}


def parse_duration(text: object) -> int:
    """Seconds in a duration written ``30m``, ``24h``, ``7d``, ``2w`` (or ``0``).

    Examples
    --------
    >>> parse_duration("24h"), parse_duration("90m"), parse_duration(0)
    (86400, 5400, 0)
    """
    if isinstance(text, bool):
        raise ValueError(f"expected a duration such as 24h or 7d, got {text!r}")
    if isinstance(text, int) and text == 0:
        return 0
    match = _DURATION.match(str(text)) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"expected a duration such as 30m, 24h, 7d or 2w, got {text!r}")
    return round(float(match.group(1)) * _UNITS[match.group(2)])


def format_duration(seconds: int) -> str:
    """The shortest ``<n><unit>`` spelling of a number of seconds (``86400`` → ``1d``)."""
    for unit in ("w", "d", "h", "m"):
        if seconds and seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


def _duration_or_raw(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value  # already seconds (a spec built in Python or dumped by to_yaml)
    return parse_duration(value)


Duration = Annotated[int, BeforeValidator(_duration_or_raw), Field(ge=0)]
"""A duration in seconds, written ``24h`` / ``7d`` in YAML."""


def _visit_type(value: object) -> object:
    if isinstance(value, str) and value.upper().removeprefix("VISIT/") in _VISIT_CODES:
        return value.upper().removeprefix("VISIT/")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    known = ", ".join(_VISIT_CODES)
    raise ValueError(f"expected a visit type ({known}) or an OMOP visit_concept_id, got {value!r}")


VisitType = Annotated[str | int, BeforeValidator(_visit_type)]
"""A visit type code (``IP``, ``ER``, ``ERIP``…) or a raw OMOP ``visit_concept_id``."""


def visit_concept_ids(types: list[str | int]) -> list[int]:
    """The ``visit_concept_id`` values of visit types (``IP`` → 9201)."""
    return sorted({_VISIT_CODES[t] if isinstance(t, str) else t for t in types})


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IcuUnits(_Spec):
    """Which care units are intensive care.

    A unit counts as ICU when its name (``care_site_source_value``, else ``care_site_name``)
    is one of ``units``, or contains one of ``name_contains`` (case-insensitive), or when the
    ``visit_detail_concept_id`` is one of ``visit_detail_concepts``. The default suits both
    the synthetic hospital (REA, USIC) and MIMIC (``… Intensive Care Unit (MICU)``).
    """

    units: list[str] = ["REA", "USIC", "USC"]
    name_contains: list[str] = ["ICU", "Intensive Care", "Réanimation", "Soins intensifs"]
    visit_detail_concepts: list[int] = [32037]


class Population(_Spec):
    """Which stays (and index times) are labelled."""

    visit_types: list[VisitType] = Field(min_length=1)
    min_age: float | None = Field(default=None, ge=0)
    max_age: float | None = Field(default=None, ge=0)
    exclude_death_in_stay: bool = False
    exclude_transfers: bool = False
    transfer_gap: Duration = 6 * 3600
    transfer_destinations: list[int] = [8717, 38004279]
    before_first_icu: bool = False
    include_codes: list[str] = []
    exclude_codes: list[str] = []

    @model_validator(mode="after")
    def _ages_in_order(self) -> Population:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError(f"min_age ({self.min_age}) must not exceed max_age ({self.max_age})")
        return self


class IndexTime(_Spec):
    """When the prediction is made: ``anchor`` + ``offset``, repeated ``every`` (up to ``max_points``)."""

    anchor: Literal["admission", "discharge"]
    offset: Duration = 0
    every: Duration | None = None
    max_points: int = Field(default=1, ge=1, le=1000)

    @model_validator(mode="after")
    def _repeat_from_admission(self) -> IndexTime:
        if self.every is not None and self.anchor != "admission":
            raise ValueError("every (repeated index times) needs anchor: admission")
        if self.every == 0:
            raise ValueError("every must be a positive duration such as 12h")
        return self


class Death(_Spec):
    """Death (any cause)."""

    type: Literal["death"]


class Readmission(_Spec):
    """A new stay of one of ``visit_types``; ``unplanned_only`` keeps stays that came through
    the emergency department: visit type ERIP, ``admitted_from_concept_id`` an emergency room
    (9203, 8870), or ``admitted_from_source_value`` containing one of ``emergency_sources``
    (case-insensitive; ``URGENC`` matches the French "urgences")."""

    type: Literal["readmission"]
    visit_types: list[VisitType] = ["IP", "ERIP"]
    unplanned_only: bool = False
    emergency_sources: list[str] = ["EMERG", "URGENC"]


class IcuAdmission(_Spec):
    """Entry into an intensive care unit (see ``icu``)."""

    type: Literal["icu_admission"]


class LongStay(_Spec):
    """The stay lasts longer than ``duration`` (admission to discharge)."""

    type: Literal["stay_longer_than"]
    duration: Duration


class HospitalAdmission(_Spec):
    """Admission to hospital: the visit itself is of ``visit_types``, or such a stay starts in the window."""

    type: Literal["hospital_admission"]
    visit_types: list[VisitType] = ["IP", "ERIP"]


class Codes(_Spec):
    """Any event whose code matches one of ``codes`` (``ICD10/I21*`` matches by prefix)."""

    type: Literal["codes"]
    codes: list[str] = Field(min_length=1)


OutcomeEvent = Annotated[
    Death | Readmission | IcuAdmission | LongStay | HospitalAdmission | Codes,
    Field(discriminator="type"),
]


def _window(value: object) -> object:
    return "stay" if value == "stay" else _duration_or_raw(value)


class Outcome(_Spec):
    """The outcome: any of ``any_of`` in ``(index_time, index_time + window]``.

    ``window: stay`` ends the window at discharge (deaths on the discharge day count).
    """

    any_of: list[OutcomeEvent] = Field(min_length=1)
    window: Annotated[int | Literal["stay"], BeforeValidator(_window)]

    @model_validator(mode="after")
    def _stay_window_fits(self) -> Outcome:
        kinds = {event.type for event in self.any_of}
        if self.window == "stay" and kinds & {"readmission", "hospital_admission"}:
            raise ValueError("window: stay cannot hold a readmission or admission; give a duration")
        return self

    @property
    def kinds(self) -> set[str]:
        """The outcome event types."""
        return {event.type for event in self.any_of}


class Censoring(_Spec):
    """Rows whose outcome cannot be known.

    ``competing_death``: what a death in the window without the outcome means
    (``negative``: label 0, ``exclude``: drop the row, ``positive``: label 1).
    ``followup``: when a row without the outcome (and without death) is dropped because its
    window is not fully observed. ``data_end``: the window ends after the last day of data
    (the latest observation period end; administrative censoring). ``observation_period``:
    the window ends after the person's own last observation day. ``none``: never.
    """

    competing_death: Literal["negative", "exclude", "positive"] = "negative"
    followup: Literal["none", "data_end", "observation_period"] = "none"


Subgroup = Literal["sex", "age_band", "unit"]


class TaskSpec(_Spec):
    """A prediction task.

    Examples
    --------
    >>> spec = TaskSpec.model_validate({
    ...     "name": "demo", "description": "Death within 2 days of admission.",
    ...     "population": {"visit_types": ["IP"]},
    ...     "index": {"anchor": "admission"},
    ...     "outcome": {"any_of": [{"type": "death"}], "window": "2d"}})
    >>> spec.outcome.window
    172800
    """

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")
    description: str = Field(min_length=1)
    population: Population
    index: IndexTime
    outcome: Outcome
    censoring: Censoring = Censoring()
    subgroups: list[Subgroup] = ["sex", "age_band", "unit"]
    age_bands: list[int] = Field(default=[18, 45, 65, 80], min_length=1)
    icu: IcuUnits = IcuUnits()

    @model_validator(mode="after")
    def _bands_ascending(self) -> TaskSpec:
        if sorted(set(self.age_bands)) != list(self.age_bands):
            raise ValueError(f"age_bands must be strictly increasing, got {self.age_bands}")
        return self

    def outcome_codes(self) -> list[str]:
        """Code patterns that define the outcome: kept out of the features of this task."""
        patterns = [
            code
            for event in self.outcome.any_of
            if isinstance(event, Codes)
            for code in event.codes
        ]
        if "death" in self.outcome.kinds:
            patterns.append("DEATH")
        return patterns

    def to_yaml(self) -> str:
        """The spec as YAML, durations spelled ``24h``/``7d`` (round-trips through :func:`load_task`)."""
        data = _durations_as_text(self.model_dump(mode="json"), ())
        return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True)


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings (descriptions) as ``|`` blocks."""


def _str_block(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_block)


_DURATION_KEYS = {"offset", "every", "transfer_gap", "window", "duration"}


def _durations_as_text(value: Any, path: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {k: _durations_as_text(v, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_durations_as_text(v, path) for v in value]
    if (
        path
        and path[-1] in _DURATION_KEYS
        and isinstance(value, int)
        and not isinstance(value, bool)
    ):
        return format_duration(value) if value else "0h"
    return value


def _builtin_dir() -> Path:
    return Path(str(resources.files("hopia.tasks") / "builtin"))


def list_tasks() -> list[str]:
    """Names of the built-in tasks.

    Examples
    --------
    >>> "readmission_30d" in list_tasks()
    True
    """
    return sorted(path.stem for path in _builtin_dir().glob("*.yaml"))


def load_task(name_or_path: str | Path) -> TaskSpec:
    """A built-in task by name, or a task YAML file by path.

    Raises
    ------
    InputError
        Unknown name, unreadable YAML, or a spec that does not validate (the message names
        the key and what was expected).

    Examples
    --------
    >>> load_task("inhospital_mortality").outcome.window
    'stay'
    """
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        builtin = _builtin_dir() / f"{name_or_path}.yaml"
        if not builtin.exists():
            raise InputError(
                str(name_or_path),
                f"no such task; built-in tasks are {', '.join(list_tasks())}, or give a .yaml path",
            )
        path = builtin
    if not path.is_file():
        raise InputError(str(path), "task file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError(
            str(path), f"not valid YAML: {getattr(error, 'problem', error)}", line=line
        ) from None
    return task_from_dict(data, place=str(path))


def task_from_dict(data: object, place: str = "task") -> TaskSpec:
    """Validate a mapping as a :class:`TaskSpec`; errors become :class:`InputError` naming the key."""
    if not isinstance(data, dict):
        raise InputError(place, f"expected a mapping of task keys, got {type(data).__name__}")
    try:
        return TaskSpec.model_validate(data)
    except ValidationError as error:
        raise spec_error(error, place) from None


def spec_error(error: ValidationError, place: str) -> InputError:
    """An :class:`InputError` from a pydantic error: each problem's key path and what was expected."""
    problems: list[tuple[str, str]] = []
    for item in error.errors():
        parts = item["loc"]
        loc = ".".join(
            str(p) for i, p in enumerate(parts) if not _is_union_tag(p, parts[i - 1] if i else None)
        )
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check the spelling)"
        elif item["type"] == "missing":
            message = "required key is missing"
        elif item["type"] not in ("value_error", "union_tag_invalid") and "input" in item:
            message = f"{message}, got {item['input']!r}"
        problems.append((loc, message))
    if len(problems) == 1:
        loc, message = problems[0]
        return InputError(place, message, field=loc or None)
    return InputError(
        place, "; ".join(f"{loc}: {message}" if loc else message for loc, message in problems)
    )


def _is_union_tag(part: object, previous: object) -> bool:
    """Pydantic puts union branch names in error paths; a reader wants only the YAML keys."""
    if not isinstance(part, str):
        return False
    if isinstance(previous, int) and part in _OUTCOME_TYPES:
        return True
    return part in {"int", "str"} or part.startswith(("literal[", "function-"))


_OUTCOME_TYPES = {
    "death",
    "readmission",
    "icu_admission",
    "stay_longer_than",
    "hospital_admission",
    "codes",
}
