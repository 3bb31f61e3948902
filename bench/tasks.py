"""Benchmark: labels and features of every built-in task on a synthetic hospital.

Run: ``.venv/bin/python bench/tasks.py [--patients 100000] [--years 3] [--tasks NAME ...]``.
The synthetic hospital is generated once into ``bench/out/tasks/`` (kept between runs). Each
task runs in its own process, so the peak RSS (``resource.getrusage``, DuckDB included: it
runs in-process) is that task's alone. Prints rows, positives, features, stored values, wall
time of labels and of features, CPU time of both (all threads; less sensitive to other
jobs on the machine than wall time), peak memory and the load average after the task. Goal: <= 30 s and <= 4 GB per task on the
2-core development machine. Figures depend on the machine's load (it is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out" / "tasks"

CHILD = r"""
import json, resource, sys, time
from hopia.warehouse import open_warehouse
from hopia.tasks import build_labels, load_task
from hopia.features import FeatureSpec, tabularize
wh = open_warehouse(sys.argv[1], read_only=True)
if sys.argv[3]:
    wh.con.raw_sql(f"SET memory_limit = '{sys.argv[3]}'")
t0, c0 = time.perf_counter(), time.process_time()
labels = build_labels(wh, load_task(sys.argv[2]))
frame = labels.labels.to_pyarrow()
t1, c1 = time.perf_counter(), time.process_time()
matrix = tabularize(wh, labels, FeatureSpec(dtype=sys.argv[5]), block_rows=int(sys.argv[4]) or None)
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"rows": frame.num_rows, "positives": int(sum(frame.column("label").to_pylist())),
                  "features": matrix.shape[1], "stored": int(matrix.X.nnz),
                  "labels_s": t1 - t0, "features_s": t2 - t1, "cpu_s": c2 - c0,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--years", type=float, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--tasks", nargs="*", default=None)
    parser.add_argument(
        "--duckdb-memory", default="", help="DuckDB memory_limit, e.g. 6GB (it spills beyond)"
    )
    parser.add_argument(
        "--block-rows",
        type=int,
        default=0,
        help="label rows per block of tabularize (default: its own choice)",
    )
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    args = parser.parse_args()

    from hopia.tasks import list_tasks

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"synth_{args.patients}_{args.years:g}y_{args.seed}.duckdb"
    url = f"duckdb:///{path}"
    if not path.exists():
        from hopia.synth import synthesize

        start = time.perf_counter()
        synthesize(patients=args.patients, years=args.years, seed=args.seed, url=url).close()
        print(
            f"synthetic hospital: {args.patients:,} patients, {args.years:g} year(s), generated in {time.perf_counter() - start:.1f} s"
        )
    print(f"warehouse: {path}")
    header = f"{'task':<22}{'rows':>10}{'pos':>8}{'features':>10}{'stored':>12}{'labels s':>10}{'features s':>12}{'total s':>9}{'cpu s':>7}{'peak MB':>9}{'load':>6}"
    print(header)
    for name in args.tasks or list_tasks():
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                CHILD,
                url,
                name,
                args.duckdb_memory,
                str(args.block_rows),
                args.dtype,
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
            error = next((x for x in reversed(lines) if "Error" in x), lines[-1])
            print(f"{name:<22} failed: {error}")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        total = r["labels_s"] + r["features_s"]
        print(
            f"{name:<22}{r['rows']:>10,}{r['positives']:>8,}{r['features']:>10,}{r['stored']:>12,}"
            f"{r['labels_s']:>10.1f}{r['features_s']:>12.1f}{total:>9.1f}{r['cpu_s']:>7.1f}"
            f"{r['peak_rss_mb']:>9.0f}{os.getloadavg()[0]:>6.1f}"
        )


if __name__ == "__main__":
    main()
