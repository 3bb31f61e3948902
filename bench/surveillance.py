"""Time farrington-flexible (Noufaily et al. 2013) on many weekly series of ten years.

    python bench/surveillance.py                # 10,000 series × 520 weeks (the issue's figure)
    python bench/surveillance.py --series 200   # a smaller run; figures scale linearly

Prints the wall and CPU time, the models fitted per second and the peak memory (max RSS); the
chunks of models run on ``HOPIA_THREADS`` worker processes (CPU and memory include them). The series
are negative binomial with a yearly season and a few planted outbreaks (seeded). Every
monitored week (t >= 264, so 257 per series) needs its own reweighted quasi-Poisson fits;
they are fitted in batches with R's IRLS iterations, their sums in closed form over runs of
weeks (see docs/surveillance.md).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np


def make_series(n_series: int, weeks: int, seed: int) -> np.ndarray:
    """Seasonal negative binomial counts (mean 2–60) with a few planted outbreaks."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    level = rng.uniform(2.0, 60.0, size=(n_series, 1))
    season = np.exp(
        rng.uniform(0.2, 0.8, size=(n_series, 1))
        * np.cos(2 * np.pi * (t - rng.integers(0, 52, (n_series, 1))) / 52)
    )
    mean = level * season
    outbreak = rng.random((n_series, weeks)) < 0.01
    mean = np.where(outbreak, mean * 3.0, mean)
    size = 10.0
    return rng.negative_binomial(size, size / (size + mean)).astype(float)


def _children_cpu() -> float:
    """User + system seconds of the finished worker processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=520)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from hopia.settings import get_settings
    from hopia.surveillance import NOUFAILY_2013, farrington_flexible

    counts = make_series(args.series, args.weeks, args.seed)
    start, cpu_start, cpu_children = time.perf_counter(), time.process_time(), _children_cpu()
    result = farrington_flexible(counts, **NOUFAILY_2013)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu_start + _children_cpu() - cpu_children
    models = int(result.monitored.sum())
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    workers = get_settings().threads
    alarms = int(np.nansum(result.alarm))
    print(
        f"farrington-flexible: {args.series} series × {args.weeks} weeks, {models} monitored weeks"
    )
    print(f"wall time      {wall:.1f} s ({models / wall:,.0f} weeks/s)")
    print(
        f"CPU time       {cpu:.1f} s (user + system, worker processes included; HOPIA_THREADS="
        f"{workers}; wall > CPU / workers when the machine is shared)"
    )
    print(
        f"peak memory    {peak_mib:,.0f} MiB (max RSS of the process); largest worker"
        f" {worker_mib:,.0f} MiB (0 with one worker)"
    )
    print(f"alarms         {alarms} ({alarms / models:.2%} of monitored weeks)")
    if args.series < 10_000:
        scale = 10_000 / args.series
        print(f"extrapolated to 10,000 series: {wall * scale:.0f} s wall, {cpu * scale:.0f} s CPU")


if __name__ == "__main__":
    main()
