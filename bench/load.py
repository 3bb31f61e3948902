"""Load time and peak memory of the warehouse loaders.

Run: ``.venv/bin/python bench/load.py`` — prints, for the MIMIC-IV demo OMOP folder, the
Eunomia GiBleed zip and the Synthea FHIR bundles, the wall time of a complete load (files →
published DuckDB warehouse) and the peak resident memory of a child process doing only that.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "external"

_CHILD = r"""
import json, resource, sys, time
kind, source, url = sys.argv[1:4]
start = time.perf_counter()
if kind == "omop":
    from hopia.warehouse._omop import load_omop
    rows = sum(load_omop(source, url).rows.values())
else:
    from pathlib import Path
    from hopia.warehouse import write_warehouse
    from hopia.warehouse._fhir import fhir_to_omop
    tables = fhir_to_omop([Path(source)])
    write_warehouse(tables, url)
    rows = sum(t.num_rows for t in tables.values())
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rows": rows,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(kind: str, source: Path, repeat: int = 3) -> dict[str, float]:
    best: dict[str, float] | None = None
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as folder:
            out = subprocess.run(
                [sys.executable, "-c", _CHILD, kind, str(source), f"duckdb:///{folder}/w.duckdb"],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            figures = json.loads(out.stdout.strip().splitlines()[-1])
            if best is None or figures["seconds"] < best["seconds"]:
                best = figures
    assert best is not None
    return best


def main() -> None:
    cases = [
        ("MIMIC-IV demo OMOP (100 persons)", "omop", SHARED / "mimic-iv-demo-omop-0.9"),
        (
            "Eunomia GiBleed 5.3 zip (2,694 persons)",
            "omop",
            SHARED / "eunomia-gibleed/GiBleed_5.3_csv.zip",
        ),
        ("Synthea FHIR R4, 32 bundles (30 persons)", "fhir", SHARED / "synthea-fhir-r4-smart"),
    ]
    print(f"{'data set':45} {'rows':>9} {'wall s':>8} {'rows/s':>10} {'peak MiB':>9}")
    for label, kind, source in cases:
        f = run(kind, source)
        print(
            f"{label:45} {f['rows']:>9,} {f['seconds']:>8.2f} {f['rows'] / f['seconds']:>10,.0f} {f['peak_mib']:>9.0f}"
        )
    print(
        f"(best of 3; peak = max RSS of the loading process, Python + DuckDB; cores: 2; load avg {__import__('os').getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
