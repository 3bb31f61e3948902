"""Wall time and peak memory of the synthetic hospital (10,000 and 100,000 patients, 3 years).

Run: ``.venv/bin/python bench/synth.py [--write]``. Each size runs in its own process so the
peak RSS (``resource.getrusage``) is that size's alone. ``--write`` also writes the tables into
a DuckDB warehouse (``write_warehouse``) and times it. Goal: 100,000 patients in <= 60 s and
<= 4 GB. Figures depend on the machine's load (the 2-core development machine is shared).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from hopia.synth import generate_hospital
t1 = time.perf_counter()
hospital = generate_hospital(patients=int(sys.argv[1]), years=3, seed=42)
t2 = time.perf_counter()
write_s = None
if sys.argv[2]:
    from hopia.warehouse import write_warehouse
    write_warehouse(hospital.tables, sys.argv[2], extra=hospital.extra, source=hospital.source).close()
    write_s = time.perf_counter() - t2
rows = sum(t.num_rows for t in hospital.tables.values())
print(json.dumps({"import_s": t1 - t0, "generate_s": t2 - t1, "write_s": write_s, "rows": rows,
                  "measurements": hospital.tables["measurement"].num_rows,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--write", action="store_true", help="also write a DuckDB warehouse")
    args = parser.parse_args()
    print("synthetic CHRU, 3 years, seed 42 (measured on a shared 2-core machine: expect noise)")
    print(
        f"{'patients':>9} {'rows':>11} {'import s':>9} {'generate s':>11} {'write s':>8} {'peak RSS MB':>12}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            url = f"duckdb:///{tmp}/synth_{size}.duckdb" if args.write else ""
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(size), url],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            write = f"{r['write_s']:8.1f}" if r["write_s"] is not None else f"{'-':>8}"
            print(
                f"{size:>9} {r['rows']:>11,} {r['import_s']:>9.1f} {r['generate_s']:>11.1f} {write} {r['peak_rss_mb']:>12.0f}"
            )
            goal = size >= 100_000
            if goal:
                ok = r["generate_s"] <= 60 and r["peak_rss_mb"] <= 4096
                print(f"{'':>9} goal (<= 60 s generation, <= 4 GB): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
