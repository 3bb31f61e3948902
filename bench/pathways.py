"""Pathway mining at scale: hopia's DFG + variants against pm4py's ``discover_dfg`` + ``get_variants``.

Run: ``.venv/bin/python bench/pathways.py [--events 1000000] [--patients 20000]``.

1. The log: the stay log (``hopia pathways log``) of a synthetic hospital (``--patients``
   patients, 3 years), its cases copied under new case ids until the log has at least
   ``--events`` events (the synthetic hospital of that size alone would take longer to
   generate than the benchmark runs). Written as Parquet for hopia and as pm4py's CSV.
2. pm4py 2.7 is installed by this script into a throwaway venv under ``bench/out/`` and run
   in its own process: read the CSV (not timed), ``format_dataframe`` + ``discover_dfg`` +
   ``get_variants`` (timed).
3. hopia runs in its own process: open the Parquet log, ``variants`` (one query, one pass
   over the log: each case summarised by an integer key, its first steps packed into one
   int64, cases grouped by key, only the distinct variants spelt out; cached in DuckDB) and
   the frequency map from them (``variant_directly_follows``: the same counts as
   ``directly_follows``) executed to Arrow (timed; DuckDB, ``HOPIA_THREADS`` threads,
   ``memory_limit`` 4 GB; imports, settings and the engine's start-up — the connection the
   log is opened on — not timed, as pm4py's side is warmed by reading the CSV). The DFG with
   waiting times (mean, median, p90) is timed apart, against pm4py's
   ``discover_performance_dfg``.
4. The DFG counts and the variant counts must be identical; both wall times (and the CPU
   time of each process, all threads) and both peak RSS (``VmHWM`` of each process) are
   printed, with the ratio. Each tool runs ``--repeat`` times (default 3), alternated, and
   the medians are reported. Goal: >= 10x.

The development machine is a shared 2-core box: figures measured there are under load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "pathways"
VENV = HERE / "out" / "pm4py-venv"
PM4PY = "pm4py==2.7.23.11"

PEAK_RSS = r"""
def peak_rss_mb():
    # VmHWM is this process's own peak (ru_maxrss would carry the parent's peak across fork+exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
"""

HOPIA_CHILD = (
    PEAK_RSS
    + r"""
import json, sys, time
import ibis
from hopia.pathways import directly_follows, read_log, variant_directly_follows, variants
from hopia.settings import get_settings
# warm up (imports, settings, DuckDB start) as pm4py's side is warmed by read_csv
con = ibis.duckdb.connect()
con.raw_sql(f"SET threads = {get_settings().threads}; SET memory_limit = '4GB'")
con.sql("SELECT 1 AS x").to_pyarrow()
t0, cpu0 = time.perf_counter(), time.process_time()
log = read_log(sys.argv[1], con=con)  # opens the Parquet file (a view); the data is read below
found = variants(log).cache()  # one scan of the log: the map's counts come from the variants
var = found.to_pyarrow().to_pydict()
dfg = variant_directly_follows(found).to_pyarrow().to_pydict()
elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
t1 = time.perf_counter()
full = directly_follows(log).to_pyarrow()
full_s = time.perf_counter() - t1
json.dump({
    "seconds": elapsed,
    "cpu_seconds": cpu,
    "dfg_with_waits_s": full_s,
    "peak_rss_mb": peak_rss_mb(),
    "dfg": {f"{s}\x1f{t}": int(c) for s, t, c in zip(dfg["source"], dfg["target"], dfg["count"])},
    "variants": {v: int(c) for v, c in zip(var["variant"], var["cases"])},
}, open(sys.argv[2], "w"))
"""
)

PM4PY_CHILD = (
    PEAK_RSS
    + r"""
import json, sys, time
import pandas as pd
import pm4py
frame = pd.read_csv(sys.argv[1], keep_default_na=False, dtype={"case:concept:name": str, "concept:name": str},
                    usecols=["case:concept:name", "concept:name", "time:timestamp"])
frame["time:timestamp"] = pd.to_datetime(frame["time:timestamp"])
loaded_rss = peak_rss_mb()
t0, cpu0 = time.perf_counter(), time.process_time()
frame = pm4py.format_dataframe(frame, case_id="case:concept:name", activity_key="concept:name",
                               timestamp_key="time:timestamp")
dfg, start, end = pm4py.discover_dfg(frame)
found = pm4py.get_variants(frame)
elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
t1 = time.perf_counter()
pm4py.discover_performance_dfg(frame)
performance_s = time.perf_counter() - t1
variants = {}
for key, value in found.items():
    name = ",".join(key) if isinstance(key, tuple) else str(key)
    variants[name] = value if isinstance(value, int) else len(value)
json.dump({
    "seconds": elapsed,
    "cpu_seconds": cpu,
    "dfg_with_waits_s": performance_s,
    "peak_rss_mb": peak_rss_mb(),
    "loaded_rss_mb": loaded_rss,
    "pm4py": pm4py.__version__,
    "dfg": {f"{s}\x1f{t}": int(c) for (s, t), c in dfg.items()},
    "variants": variants,
}, open(sys.argv[2], "w"))
"""
)


def build_log(events: int, patients: int, seed: int) -> tuple[Path, Path, dict[str, int]]:
    """The benchmark log (Parquet for hopia, CSV for pm4py), built once and reused."""
    import ibis
    import pyarrow as pa
    import pyarrow.compute as pc

    from hopia.pathways import export_csv, order_events, warehouse_log, write_log
    from hopia.synth import generate_hospital
    from hopia.warehouse import write_warehouse

    parquet = OUT / f"log_{events}_{patients}_{seed}.parquet"
    csv = parquet.with_suffix(".csv")
    if parquet.exists() and csv.exists():
        import pyarrow.parquet as pq

        table = pq.read_table(parquet, columns=["case_id"])
        return (
            parquet,
            csv,
            {"events": table.num_rows, "cases": pc.count_distinct(table["case_id"]).as_py()},
        )
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    hospital = generate_hospital(patients=patients, years=3, seed=seed)
    warehouse = OUT / "bench_warehouse.duckdb"
    warehouse.unlink(missing_ok=True)
    wh = write_warehouse(hospital.tables, f"duckdb:///{warehouse}", source="bench/pathways.py")
    base = (
        warehouse_log(wh)
        .select("case_id", "activity", "time", "end_time", "unit", "position")
        .to_pyarrow()
    )
    wh.close()
    warehouse.unlink(missing_ok=True)
    copies = -(-events // base.num_rows)
    parts = []
    for copy in range(copies):
        # a copy keeps the cases' events and order; only the case id changes
        ids = pc.binary_join_element_wise(base["case_id"], pa.scalar(f"#{copy}"), "")
        parts.append(base.set_column(0, "case_id", ids))
    table = pa.concat_tables(parts)
    # source_row = position inside the case, so ties keep the stay log's order in both tools
    table = table.append_column("source_row", table["position"]).drop_columns(["position"])
    con = ibis.duckdb.connect()
    log = order_events(con.create_table("log", table))
    write_log(log, parquet)
    export_csv(log, csv)
    print(
        f"built the log: {table.num_rows:,} events = {copies} copies of the {patients:,}-patient "
        f"synthetic hospital's stay log ({base.num_rows:,} events) in {time.perf_counter() - started:.0f} s"
    )
    return (
        parquet,
        csv,
        {"events": table.num_rows, "cases": pc.count_distinct(table["case_id"]).as_py()},
    )


def pm4py_python() -> Path:
    python = VENV / "bin" / "python"
    if (
        not python.exists()
        or subprocess.run([python, "-c", "import pm4py"], capture_output=True).returncode
    ):
        print(f"installing {PM4PY} into {VENV} (throwaway venv) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", PM4PY], check=True)
    return python


def run_child(python: Path | str, code: str, data: Path, result: Path) -> dict:
    env = dict(os.environ, OMP_WAIT_POLICY="passive")
    subprocess.run([str(python), "-c", code, str(data), str(result)], check=True, env=env)
    return json.loads(result.read_text())


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each tool (alternated)")
    args = parser.parse_args()
    parquet, csv, size = build_log(args.events, args.patients, args.seed)
    python = pm4py_python()
    runs: dict[str, list[dict]] = {"hopia": [], "pm4py": []}
    for _ in range(max(1, args.repeat)):
        # alternated, so that both tools see the same (shared, loaded) machine
        runs["hopia"].append(run_child(sys.executable, HOPIA_CHILD, parquet, OUT / "hopia.json"))
        runs["pm4py"].append(run_child(python, PM4PY_CHILD, csv, OUT / "pm4py.json"))
    ours, theirs = runs["hopia"][-1], runs["pm4py"][-1]
    same_dfg = all(run["dfg"] == theirs["dfg"] for run in runs["hopia"])
    same_variants = all(run["variants"] == theirs["variants"] for run in runs["hopia"])
    figures = {
        tool: {
            key: _median([run[key] for run in tool_runs])
            for key in ("seconds", "cpu_seconds", "peak_rss_mb", "dfg_with_waits_s")
        }
        for tool, tool_runs in runs.items()
    }
    threads = os.environ.get("HOPIA_THREADS", str(os.cpu_count()))
    print(f"log: {size['events']:,} events, {size['cases']:,} cases, {len(ours['dfg'])} DFG edges, "
          f"{len(ours['variants'])} variants")  # fmt: skip
    print(
        f"medians of {len(runs['hopia'])} alternated runs per tool; measured on a shared "
        "2-core machine under load: expect noise"
    )
    print(
        f"{'tool':<26} {'DFG + variants s':>17} {'(CPU s)':>8} {'peak RSS MB':>12} "
        f"{'DFG with waits s':>17}"
    )
    names = {"hopia": f"hopia (DuckDB, {threads} thr.)", "pm4py": f"pm4py {theirs['pm4py']}"}
    for tool, name in names.items():
        row = figures[tool]
        print(
            f"{name:<26} {row['seconds']:>17.2f} {row['cpu_seconds']:>8.2f} "
            f"{row['peak_rss_mb']:>12.0f} {row['dfg_with_waits_s']:>17.2f}"
        )
    print(
        "wall times per run: "
        + "; ".join(
            f"{tool} " + ", ".join(f"{run['seconds']:.2f}" for run in tool_runs)
            for tool, tool_runs in runs.items()
        )
    )
    print(
        f"(pm4py's RSS after reading the CSV, before timing: {theirs['loaded_rss_mb']:.0f} MB; "
        "CPU s = process CPU time, all threads; 'DFG with waits' = hopia's directly_follows "
        "with mean/median/p90 vs pm4py's discover_performance_dfg)"
    )
    ratio = figures["pm4py"]["seconds"] / figures["hopia"]["seconds"]
    cpu_ratio = figures["pm4py"]["cpu_seconds"] / figures["hopia"]["cpu_seconds"]
    print(
        f"speed-up: {ratio:.1f}x wall, {cpu_ratio:.1f}x CPU  "
        f"(goal >= 10x: {'met' if ratio >= 10 else 'NOT met'})"
    )
    print(f"DFG counts identical: {same_dfg}; variant counts identical: {same_variants}")
    if not (same_dfg and same_variants):
        raise SystemExit("results differ")


if __name__ == "__main__":
    main()
