"""Benchmark: person-level bootstrap of a full evaluation (goal: 1,000 resamples of 100,000
predictions in 10 s or less).

One call of ``evaluate_predictions`` computes, for every resample, AUROC, AUPRC, Brier score,
calibration intercept and slope (logistic fits), ECE, the calibration curve, the decision
curve (99 thresholds) and sensitivity / specificity / PPV / NPV at 5 thresholds. For scale,
the script also times the usual way of doing it — a Python loop calling scikit-learn's
``roc_auc_score`` and ``average_precision_score`` on each resample (AUROC and AUPRC only) —
on a few resamples and extrapolates to 1,000.

Usage::

    .venv/bin/python bench/evaluate.py [--rows 100000] [--persons 60000] [--resamples 1000]

Figures depend on the machine's load (it was shared with other jobs when measured).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--persons", type=int, default=60_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--loop-resamples", type=int, default=20)
    args = parser.parse_args()

    from hopia.evaluation import evaluate_predictions

    rng = np.random.default_rng(0)
    n = args.rows
    person = rng.integers(0, args.persons, n)
    logit = rng.normal(-2.0, 1.2, n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    p = 1 / (1 + np.exp(-(0.9 * logit + rng.normal(0, 0.5, n))))

    started, cpu_started = time.perf_counter(), time.process_time()
    evaluation = evaluate_predictions(y, p, person=person, n_resamples=args.resamples, seed=1)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    auroc = evaluation.metric("auroc")
    slope = evaluation.metric("calibration_slope")
    print(f"rows {n:,}, persons {evaluation.counts['n_persons']:,}, events {y.sum():,}")
    print(
        f"hopia evaluate_predictions: {args.resamples} person-level resamples, all metrics: "
        f"{elapsed:.2f} s wall, {cpu:.2f} s CPU (peak RSS {peak:.0f} MiB)"
    )
    print(f"  AUROC {auroc[0]:.4f} [{auroc[1]:.4f}, {auroc[2]:.4f}]")
    print(f"  calibration slope {slope[0]:.3f} [{slope[1]:.3f}, {slope[2]:.3f}]")

    from sklearn.metrics import average_precision_score, roc_auc_score

    persons_unique, inverse = np.unique(person, return_inverse=True)
    rows_of = np.split(np.argsort(inverse, kind="stable"), np.cumsum(np.bincount(inverse))[:-1])
    started = time.perf_counter()
    for _ in range(args.loop_resamples):
        drawn = rng.integers(0, persons_unique.size, persons_unique.size)
        rows = np.concatenate([rows_of[k] for k in drawn])
        roc_auc_score(y[rows], p[rows])
        average_precision_score(y[rows], p[rows])
    loop = (time.perf_counter() - started) / args.loop_resamples * args.resamples
    print(
        f"python loop with scikit-learn (AUROC + AUPRC only), extrapolated from "
        f"{args.loop_resamples} resamples: {loop:.1f} s for {args.resamples}"
    )
    print(f"ratio loop / hopia: {loop / elapsed:.1f}x (hopia also computes calibration and curves)")


if __name__ == "__main__":
    main()
