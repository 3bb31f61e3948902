"""``GET /surveillance/{syndromes,series/{syndrome},alarms}``: syndromic surveillance of the
emergency department (aggregates, any signed-in role).

Every syndrome's daily or weekly counts of emergency visits, overall and per age band, run
through one detection method of :mod:`hopia.surveillance` in one batch, cached per warehouse
version. An age band's count is a count of a small group: below ``min_cell`` it is masked,
with complementary masking so that no masked count can be recovered from the overall series
(published unmasked: it describes the whole department).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel

from hopia.serve.deps import CurrentUser, State, WarehouseDep
from hopia.serve.schemas import Problem

if TYPE_CHECKING:
    import pandas as pd

    from hopia.serve._state import ServeState
    from hopia.warehouse import Warehouse

router = APIRouter(prefix="/surveillance", tags=["surveillance"])

Method = Literal[
    "ears-c1", "ears-c2", "ears-c3", "cusum", "cusum-negbin",
    "farrington-1996", "farrington-flexible", "serfling",
]  # fmt: skip
Frequency = Literal["day", "week"]
MethodQuery = Annotated[Method, Query(description="Detection method.")]
FrequencyQuery = Annotated[Frequency, Query(description="Daily or weekly counts.")]
SyndromeName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="Syndrome name.")]
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": Problem}, 503: {"model": Problem}}
_PERIODS_PER_MASK = 64  # periods masked together (each period's bands form one equation)


class SyndromeInfo(BaseModel):
    """A syndromic group and the codes that define it (``*`` ends a prefix)."""

    name: str
    label: str
    codes: list[str]


class SurveillancePoint(BaseModel):
    """One period: the count (null when masked), the upper bound and the alarm (null when
    the period is not monitored)."""

    period: dt.date
    observed: int | None
    upperbound: float | None
    alarm: bool | None


class SyndromeSeries(BaseModel):
    """A syndrome's series for one age band (``all``: every age)."""

    syndrome: str
    label: str
    age_band: str
    method: Method
    freq: Frequency
    masked_below: int
    age_bands: list[str]
    points: list[SurveillancePoint]


class OpenAlarm(BaseModel):
    """An alarm raised in one of the last periods."""

    syndrome: str
    age_band: str
    period: dt.date
    observed: int | None
    upperbound: float | None


class OpenAlarms(BaseModel):
    """The alarms of the last ``last`` periods, latest first."""

    method: Method
    freq: Frequency
    last: int
    masked_below: int
    alarms: list[OpenAlarm]


def _mask_bands(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """``observed`` of the age bands masked below ``threshold`` (``masked`` column added)."""
    import pandas as pd

    from hopia.privacy import suppress_small_counts

    flags = []
    bands = table[table["age_band"] != "all"]
    for syndrome, part in bands.groupby("syndrome", sort=False):
        wide = part.pivot(index="age_band", columns="date", values="observed")
        hidden = pd.DataFrame(False, index=wide.index, columns=wide.columns)
        for start in range(0, wide.shape[1], _PERIODS_PER_MASK):
            # Rows are bands, columns periods; each period's total (the overall count) is
            # published, band totals over time are not.
            dates = wide.columns[start : start + _PERIODS_PER_MASK]
            block = wide[dates].reset_index(drop=True)
            block.columns = range(len(dates))
            out = suppress_small_counts(block, list(block.columns), threshold=threshold)
            hidden[dates] = out.isna().to_numpy()
        long = hidden.stack().rename("masked").reset_index()
        flags.append(long.assign(syndrome=syndrome))
    if flags:
        table = table.merge(pd.concat(flags), on=["syndrome", "age_band", "date"], how="left")
    else:
        table = table.assign(masked=False)
    masked = table["masked"].fillna(False).astype(bool)
    table["observed"] = table["observed"].astype("Int64").mask(masked, pd.NA)
    return table.drop(columns="masked")


def surveillance_table(state: ServeState, wh: Warehouse, method: str, freq: str) -> pd.DataFrame:
    """Every syndrome × age band with bounds and alarms, masked, cached per warehouse version."""
    from hopia.surveillance import syndromic_detection

    cache = state.warehouses.cache_of(wh)
    key = ("surveillance", method, freq, state.config.min_cell)
    cached = cache.get(key)
    if cached is not None:
        return cached
    table = _mask_bands(syndromic_detection(wh, method=method, freq=freq), state.config.min_cell)
    cache[key] = table
    return table


def _number(value: Any) -> float | None:
    import pandas as pd

    return None if pd.isna(value) else float(value)


def _count(value: Any) -> int | None:
    import pandas as pd

    return None if pd.isna(value) else int(value)


def syndrome_series(
    state: ServeState, wh: Warehouse, syndrome: str, method: str, freq: str, age_band: str
) -> SyndromeSeries:
    """One syndrome's series; 404 for an unknown syndrome or age band."""
    from hopia.surveillance._series import load_syndromes

    known = load_syndromes()
    if syndrome not in known:
        raise HTTPException(status_code=404, detail=f"no syndrome called {syndrome!r}")
    table = surveillance_table(state, wh, method, freq)
    rows = table[table["syndrome"] == syndrome]
    bands = list(dict.fromkeys(rows["age_band"]))
    if bands and age_band not in bands:
        raise HTTPException(status_code=404, detail=f"no age band {age_band!r}")
    rows = rows[rows["age_band"] == age_band]
    points = [
        SurveillancePoint(
            period=row.date,
            observed=_count(row.observed),
            upperbound=_number(row.upperbound),
            alarm=None if _number(row.alarm) is None else bool(row.alarm),
        )
        for row in rows.itertuples()
    ]
    return SyndromeSeries(
        syndrome=syndrome,
        label=known[syndrome].label,
        age_band=age_band,
        method=method,  # type: ignore[arg-type]
        freq=freq,  # type: ignore[arg-type]
        masked_below=state.config.min_cell,
        age_bands=bands,
        points=points,
    )


def open_alarms(state: ServeState, wh: Warehouse, method: str, freq: str, last: int) -> OpenAlarms:
    """The alarms of the last ``last`` periods (age bands' counts masked)."""
    from hopia.surveillance._alarms import open_alarms as recent

    table = surveillance_table(state, wh, method, freq)
    alarms = [
        OpenAlarm(
            syndrome=row.syndrome,
            age_band=row.age_band,
            period=row.period,
            observed=_count(row.observed),
            upperbound=_number(row.upperbound),
        )
        for row in recent(table, last=last).itertuples()
    ]
    return OpenAlarms(
        method=method,  # type: ignore[arg-type]
        freq=freq,  # type: ignore[arg-type]
        last=last,
        masked_below=state.config.min_cell,
        alarms=alarms,
    )


@router.get("/syndromes", response_model=list[SyndromeInfo], responses={401: {"model": Problem}})
def syndromes(user: CurrentUser) -> list[SyndromeInfo]:
    """The syndromic groups hopia watches."""
    from hopia.surveillance._series import load_syndromes

    return [
        SyndromeInfo(name=s.name, label=s.label, codes=list(s.codes))
        for s in load_syndromes().values()
    ]


@router.get(
    "/series/{syndrome}",
    response_model=SyndromeSeries,
    responses={**_ERRORS, 404: {"model": Problem}},
)
def series(
    syndrome: SyndromeName,
    user: CurrentUser,
    state: State,
    wh: WarehouseDep,
    method: MethodQuery = "ears-c2",
    freq: FrequencyQuery = "day",
    age_band: Annotated[str, Query(max_length=16, description="Age band, or `all`.")] = "all",
) -> SyndromeSeries:
    """Counts of emergency visits for a syndrome, with the method's upper bound and alarms."""
    return syndrome_series(state, wh, syndrome, method, freq, age_band)


@router.get("/alarms", response_model=OpenAlarms, responses=_ERRORS)
def alarms(
    user: CurrentUser,
    state: State,
    wh: WarehouseDep,
    method: MethodQuery = "ears-c2",
    freq: FrequencyQuery = "day",
    last: Annotated[int, Query(ge=1, le=366, description="Latest periods to look at.")] = 7,
) -> OpenAlarms:
    """Alarms raised in the last periods, for every syndrome, overall and per age band."""
    return open_alarms(state, wh, method, freq, last)
