"""Calendar effects and epidemics: when people come to the emergency department.

Baseline arrivals follow a daily weight (winter +12 %, Monday busiest, Sunday quietest) and
an hour-of-day curve. Epidemics add *excess* ED arrivals on top of the baseline, each with
the reasons of its syndrome; their true periods and sizes go to ``synth_truth.outbreaks``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hopia.synth._arrow import DAY, HOUR
from hopia.synth._catalogue import REASON_INDEX, SYNDROMES

HOUR_WEIGHTS = np.array(
    [
        2,
        1.5,
        1.2,
        1,
        0.9,
        0.9,
        1.2,
        2,
        3.5,
        5,
        5.8,
        6,
        5.6,
        5.5,
        5.6,
        5.6,
        5.6,
        5.6,
        5.5,
        5,
        4.5,
        4,
        3.4,
        2.7,
    ]
)
HOUR_WEIGHTS = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
WEEKDAY_WEIGHTS = np.array([1.12, 1.02, 1.0, 0.99, 1.0, 0.95, 0.92])  # Monday … Sunday

# syndrome → (kind, excess cases per 1,000 persons per occurrence, width in days, ages)
_OUTBREAK_SHAPES = {
    "ili": ("seasonal", 12.0, 12.0, (0, 100)),
    "bronchiolitis": ("seasonal", 6.0, 16.0, (0, 2)),
    "gastroenteritis": ("seasonal", 5.0, 14.0, (0, 100)),
    "asthma": ("seasonal", 2.0, 8.0, (2, 40)),
    "covid": ("wave", 10.0, 20.0, (20, 100)),
    "heat": ("heat", 2.0, 0.0, (70, 100)),
}
_SEASONAL_PEAK = {
    "ili": 30,
    "bronchiolitis": -25,
    "gastroenteritis": 5,
    "asthma": 258,
}  # day of year


@dataclass
class Outbreak:
    syndrome: str
    kind: str
    start_day: int  # days since the window start
    end_day: int
    expected: np.ndarray  # expected excess cases per day of the window


@dataclass
class EpidemicArrivals:
    person: np.ndarray  # 0-based person index
    time: np.ndarray  # seconds
    reason: np.ndarray  # REASONS index
    outbreak: np.ndarray  # index into the outbreak list


def daily_weights(start: int, n_days: int) -> np.ndarray:
    """Relative volume of baseline ED arrivals on each day of the window."""
    days = start // DAY + np.arange(n_days)
    date = days.astype("datetime64[D]")
    day_of_year = (date - date.astype("datetime64[Y]")).astype(np.int64)
    winter = 1 + 0.12 * np.cos(2 * np.pi * (day_of_year - 15) / 365.25)
    weekday = WEEKDAY_WEIGHTS[(days + 3) % 7]  # 1970-01-01 was a Thursday
    return winter * weekday


def arrival_hours(n: int, rng: np.random.Generator) -> np.ndarray:
    """Seconds after midnight, following the ED's hour-of-day curve."""
    hour = rng.choice(24, size=n, p=HOUR_WEIGHTS)
    return hour * HOUR + rng.integers(0, HOUR, n)


def plan_outbreaks(start: int, n_days: int, rng: np.random.Generator) -> list[Outbreak]:
    """Seasonal waves each winter, one COVID-like wave, one gastro cluster, summer heat waves."""
    first = np.datetime64(start // DAY, "D")
    first_year = int(first.astype("datetime64[Y]").astype(np.int64)) + 1970
    last_year = first_year + n_days // 365 + 1
    grid = np.arange(n_days)
    outbreaks: list[Outbreak] = []

    def year_offset(year: int) -> int:
        return int((np.datetime64(f"{year}-01-01") - first).astype(np.int64))

    def add(syndrome: str, kind: str, centre: float, width: float, shape: str) -> None:
        if shape == "gauss":
            curve = np.exp(-0.5 * ((grid - centre) / width) ** 2)
            lo, hi, full = centre - 2 * width, centre + 2 * width, width * np.sqrt(2 * np.pi)
        else:  # flat block of `width` days from `centre`
            curve = ((grid >= centre) & (grid < centre + width)).astype(float)
            lo, hi, full = centre, centre + width - 1, width
        lo, hi = max(0, int(np.floor(lo))), min(n_days - 1, int(np.ceil(hi)))
        if lo > hi or curve.sum() < 0.5 * full:  # mostly outside the window: not planted
            return
        outbreaks.append(Outbreak(syndrome, kind, lo, hi, curve / curve.sum()))

    for syndrome, peak in _SEASONAL_PEAK.items():
        width = _OUTBREAK_SHAPES[syndrome][2]
        for year in range(first_year - 1, last_year + 1):
            centre = year_offset(year) + peak + rng.normal(0, 10)
            add(syndrome, "seasonal", centre, width * rng.uniform(0.8, 1.2), "gauss")
    covid_centre = n_days * rng.uniform(0.3, 0.6)
    add("covid", "wave", covid_centre, _OUTBREAK_SHAPES["covid"][2], "gauss")
    years = list(range(first_year, last_year))
    cluster_year = years[int(rng.integers(0, max(1, min(len(years), n_days // 365))))]
    cluster_start = year_offset(cluster_year) + rng.integers(110, 280)
    if cluster_start + 12 >= n_days:
        cluster_start = int(rng.integers(0, max(1, n_days - 12)))
    add("gastroenteritis", "cluster", cluster_start, float(rng.integers(7, 12)), "block")
    for i, year in enumerate(years):
        if i == 0 or rng.random() < 0.6:
            add(
                "heat",
                "heat",
                year_offset(year) + rng.integers(185, 225),
                float(rng.integers(5, 10)),
                "block",
            )
    return outbreaks


def epidemic_arrivals(
    outbreaks: list[Outbreak],
    n_people: int,
    birth: np.ndarray,
    start: int,
    rng: np.random.Generator,
) -> EpidemicArrivals:
    """Draw the excess ED arrivals of every outbreak (persons of the right age, right days)."""
    order = np.argsort(birth, kind="stable")
    sorted_birth = birth[order]
    persons, times, reasons, ids = [], [], [], []
    for k, outbreak in enumerate(outbreaks):
        _, per_thousand, _, (age_lo, age_hi) = _OUTBREAK_SHAPES[outbreak.syndrome]
        if outbreak.kind == "cluster":
            per_thousand = 3.0
        counts = rng.poisson(outbreak.expected * per_thousand * n_people / 1000)
        day = np.repeat(np.arange(len(counts)), counts)
        time = start + day * DAY + arrival_hours(len(day), rng)
        # persons born between time - age_hi and time - age_lo (a month old at least)
        lo = np.searchsorted(sorted_birth, time - age_hi * 365.25 * DAY)
        hi = np.searchsorted(sorted_birth, time - max(age_lo * 365.25, 30) * DAY)
        ok = hi > lo
        pick = lo + np.floor(rng.random(len(day)) * (hi - lo)).astype(np.int64)
        mix = SYNDROMES[outbreak.syndrome]
        weights = np.array([w for _, w in mix])
        reason = np.array([REASON_INDEX[r] for r, _ in mix])[
            rng.choice(len(mix), size=len(day), p=weights / weights.sum())
        ]
        persons.append(order[pick[ok]])
        times.append(time[ok])
        reasons.append(reason[ok])
        ids.append(np.full(int(ok.sum()), k))
    return EpidemicArrivals(
        person=np.concatenate(persons).astype(np.int64) if persons else np.zeros(0, np.int64),
        time=np.concatenate(times).astype(np.int64) if times else np.zeros(0, np.int64),
        reason=np.concatenate(reasons).astype(np.int32) if reasons else np.zeros(0, np.int32),
        outbreak=np.concatenate(ids).astype(np.int32) if ids else np.zeros(0, np.int32),
    )
