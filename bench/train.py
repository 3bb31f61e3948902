"""Benchmark: ``hopia train`` for every built-in task on a synthetic hospital.

Run: ``.venv/bin/python bench/train.py [--patients 100000] [--years 1] [--model lightgbm]
[--tasks NAME ...] [--resamples 1000]``.

The synthetic hospital is the one ``bench/tasks.py`` uses (``bench/out/tasks/``, generated
once and kept). Each task is trained in its own process (labels → features → temporal split
→ fit with calibration → evaluation with 1,000 person-level bootstrap resamples, beside the
clinical baseline → registry under ``bench/out/train/models``). Prints rows, features, fit
time, total time, peak memory, AUROC with its 95 % CI and the baseline's AUROC. Threads:
``HOPIA_THREADS`` (default: all cores). Figures depend on the machine's load (it is shared).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"

CHILD = r"""
import json, resource, sys, time
from hopia.models import train_task
t0 = time.perf_counter()
r = train_task(sys.argv[2], model=sys.argv[3], warehouse=sys.argv[1], models_dir=sys.argv[4],
               n_resamples=int(sys.argv[5]), seed=42)
total = time.perf_counter() - t0
m = r.metrics["summary"]
manifest = json.loads((r.path / "manifest.json").read_text())
print(json.dumps({"rows": r.evaluation.counts["n_rows"], "features": manifest["n_features"],
                  "train_rows": r.metrics["train_counts"]["n_rows"],
                  "fit_s": manifest["training_seconds"], "total_s": total,
                  "auroc": [m["auroc"], m["auroc_lower"], m["auroc_upper"]],
                  "baseline": m.get("baseline"), "baseline_auroc": m.get("baseline_auroc"),
                  "beats": m.get("beats_baseline"),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--years", type=float, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--model", default="lightgbm", choices=["lightgbm", "logistic"])
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--tasks", nargs="*", default=None)
    args = parser.parse_args()

    from hopia.tasks import list_tasks

    (OUT / "tasks").mkdir(parents=True, exist_ok=True)
    path = OUT / "tasks" / f"synth_{args.patients}_{args.years:g}y_{args.seed}.duckdb"
    url = f"duckdb:///{path}"
    if not path.exists():
        from hopia.synth import synthesize

        start = time.perf_counter()
        synthesize(patients=args.patients, years=args.years, seed=args.seed, url=url).close()
        print(
            f"synthetic hospital: {args.patients:,} patients, {args.years:g} year(s), "
            f"generated in {time.perf_counter() - start:.1f} s"
        )
    models_dir = OUT / "train" / "models"
    print(f"warehouse: {path}; model: {args.model}; {args.resamples} bootstrap resamples")
    print(
        f"{'task':<22}{'test rows':>10}{'train rows':>11}{'features':>9}{'fit s':>8}{'total s':>9}"
        f"{'peak MB':>9}  AUROC (95 % CI)        baseline"
    )
    for name in args.tasks or list_tasks():
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                CHILD,
                url,
                name,
                args.model,
                str(models_dir),
                str(args.resamples),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines() or ["(no message)"]
            print(f"{name:<22} failed: {lines[-1]}")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        auroc = "{:.3f} ({:.3f}–{:.3f})".format(*r["auroc"])
        baseline = "—"
        if r["baseline"]:
            verdict = "beaten" if r["beats"] else "not beaten"
            baseline = f"{r['baseline']} {r['baseline_auroc']:.3f} ({verdict})"
        train_rows = f"{r['train_rows']:,}" if r["train_rows"] is not None else "masked"
        print(
            f"{name:<22}{r['rows'] or 0:>10,}{train_rows:>11}{r['features']:>9,}{r['fit_s']:>8.1f}"
            f"{r['total_s']:>9.1f}{r['peak_rss_mb']:>9.0f}  {auroc:<22} {baseline}"
        )


if __name__ == "__main__":
    main()
