"""Feature specs: which windows, which aggregates, which codes.

Examples
--------
>>> spec = FeatureSpec(windows=["24h", "all"], min_persons=2)
>>> spec.window_seconds()
{'24h': 86400, 'all': None}
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from hopia.errors import InputError
from hopia.tasks._spec import parse_duration, spec_error

Domain = Literal[
    "condition", "drug", "procedure", "measurement", "observation", "visit", "visit_detail"
]
ValueAggregate = Literal["last", "mean", "min", "max", "slope"]
Static = Literal["age", "sex", "unit", "hours_since_admission"]


def _window(value: str) -> str:
    if value != "all":
        try:
            parse_duration(value)
        except ValueError:
            raise ValueError(
                f"expected a window such as 24h, 7d, 365d or all, got {value!r}"
            ) from None
    return value


Window = Annotated[str, AfterValidator(_window)]
"""A look-back window: ``24h``, ``7d``, ``365d`` … or ``all`` (the whole history)."""


class FeatureSpec(BaseModel):
    """How label rows become features.

    Parameters
    ----------
    windows
        Look-back windows ``(index_time − w, index_time]``; ``all`` is the whole history.
    min_persons
        A code becomes features only when at least this many persons of the rows have it
        before their index time (ignored when :func:`tabularize` gets ``feature_names``).
    count_domains
        Domains whose codes are counted per window (``CODE|count|7d``).
    value_domains
        Domains whose numeric values get ``value_aggregates`` per window.
    value_aggregates
        Among ``last, mean, min, max, slope`` (slope: least-squares change per hour).
    time_since_last
        Add ``CODE|hours_since_last|all`` (hours from the code's last event to the index time).
    static
        Among ``age`` (years), ``sex`` (``sex=F``/``sex=M``), ``unit`` (``unit=REA``: the current
        care unit), ``hours_since_admission``.
    exclude_codes
        Codes never used (``ICD10/I21*`` matches by prefix); a task's outcome codes are added.
    dtype
        Of the matrix values.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    windows: list[Window] = Field(default=["24h", "7d", "365d", "all"], min_length=1)
    min_persons: int = Field(default=5, ge=1)
    count_domains: list[Domain] = [
        "condition",
        "drug",
        "procedure",
        "measurement",
        "observation",
        "visit",
        "visit_detail",
    ]
    value_domains: list[Domain] = ["measurement", "observation"]
    value_aggregates: list[ValueAggregate] = ["last", "mean", "min", "max", "slope"]
    time_since_last: bool = True
    static: list[Static] = ["age", "sex", "unit", "hours_since_admission"]
    exclude_codes: list[str] = []
    dtype: Literal["float32", "float64"] = "float64"

    def window_seconds(self) -> dict[str, int | None]:
        """Window label → seconds (``None`` for ``all``), in spec order without repeats."""
        return {w: (None if w == "all" else parse_duration(w)) for w in dict.fromkeys(self.windows)}

    def to_yaml(self) -> str:
        """The spec as YAML (what the model registry stores beside a model)."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)


def load_feature_spec(path: str | Path | None = None) -> FeatureSpec:
    """A feature spec from a YAML file (the default spec when ``path`` is ``None``)."""
    if path is None:
        return FeatureSpec()
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "feature spec file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise InputError(str(path), f"not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise InputError(
            str(path), f"expected a mapping of feature-spec keys, got {type(data).__name__}"
        )
    try:
        return FeatureSpec.model_validate(data)
    except ValidationError as error:
        raise spec_error(error, str(path)) from None
