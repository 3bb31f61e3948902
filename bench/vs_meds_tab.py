"""Benchmark: hopia's labels + features against ACES + MEDS-Tab on the same MEDS data.

Run: ``.venv/bin/python bench/vs_meds_tab.py [--patients 10000] [--years 1]``.

A synthetic hospital is exported to MEDS (``hopia.warehouse.export_meds``). The peers run in
their own throwaway venv under ``bench/out/medstab-venv`` (``meds-tab``, ``es-aces``,
``polars<2``, installed with pip on first use; never hopia dependencies), each step in a
subprocess:

* ACES extracts the task "death within 7 days, predicted 24 h after an inpatient
  admission" (``VISIT/IP`` or ``VISIT/ERIP``; no death before the prediction time);
* MEDS-Tab describes the codes, then tabularises static and time-series features for the
  ACES prediction times (windows 1d, 7d, 365d, full; code count, value count, sum, min, max;
  codes seen at least ``--min-count`` times; ``static/first`` is left out: the export has no
  valued static codes). With ``input_label_dir`` the tabularisation computes the features at
  the ACES prediction times only; the later ``meds-tab-cache-task`` step (which selects the
  rows again for model training) is not run: in meds-tab 0.2.0 it fails on these label
  matrices with "label_df event_ids must be valid indexes into a sparse matrix".

hopia builds the same task (``build_labels`` with an equivalent spec: the visit types IP and
ERIP, index = admission + 24 h, outcome = death within 7 days, no age limit) and its default
features (windows 24h, 7d, 365d, all: counts, last, mean, min, max, slope, hours since last,
plus age, sex, unit, hours since admission; codes of at least ``--min-count`` persons) in one
subprocess. The MEDS export has no discharge times, so ACES cannot require the patient to be
still in hospital at the prediction time, as hopia does: the label agreement is measured on
the (person, prediction time) pairs both produce, and the row counts of both are printed.

Printed: wall time and peak RSS (``resource.getrusage(RUSAGE_CHILDREN)``, read in a wrapper
process around each tool, so each figure is that tool's own largest process) of each side,
their ratio, the row counts and the label agreement. Measured on the shared 2-core
development machine: figures move with its load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out" / "vs_meds_tab"
VENV = Path(__file__).resolve().parent / "out" / "medstab-venv"
PEERS = ["meds-tab", "es-aces", "polars<2"]

ACES_TASK = """\
predicates:
  admission:
    code: {regex: "^VISIT/(IP|ERIP)$"}
  death:
    code: MEDS_DEATH
trigger: admission
windows:
  gap:
    start: trigger
    end: start + 24h
    start_inclusive: false
    end_inclusive: true
    has:
      death: (None, 0)
  target:
    start: gap.end
    end: start + 7d
    start_inclusive: false
    end_inclusive: true
    label: death
    index_timestamp: start
"""

HOPIA_TASK = {
    "name": "death_7d_after_day1",
    "description": "Death within 7 days, predicted 24 hours after an inpatient admission.",
    "population": {"visit_types": ["IP", "ERIP"]},
    "index": {"anchor": "admission", "offset": "24h"},
    "outcome": {"any_of": [{"type": "death"}], "window": "7d"},
    "subgroups": [],
}

# Runs a command and reports its wall time and the peak RSS of its process tree's largest
# process (getrusage of the children of this wrapper).
WRAPPER = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
if done.returncode:
    sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
print(json.dumps({"rc": done.returncode, "wall_s": wall, "peak_rss_mb": peak}))
"""

HOPIA_CHILD = r"""
import json, sys
import pyarrow as pa, pyarrow.parquet as pq
from hopia.warehouse import open_warehouse
from hopia.tasks import build_labels, task_from_dict
from hopia.features import FeatureSpec, tabularize
wh = open_warehouse(sys.argv[1], read_only=True)
labels = build_labels(wh, task_from_dict(json.loads(sys.argv[2])))
matrix = tabularize(wh, labels, FeatureSpec(min_persons=int(sys.argv[4])))
frame = labels.labels.select("person_id", "index_time", "label").to_pyarrow()
pq.write_table(frame, sys.argv[3])
print(json.dumps({"rows": matrix.shape[0], "features": matrix.shape[1], "stored": int(matrix.X.nnz)}))
"""


def ensure_venv() -> Path:
    """The peers' venv (created and filled with pip on first use)."""
    python = VENV / "bin" / "python"
    if (
        not (VENV / "bin" / "meds-tab-describe").exists()
        or not (VENV / "bin" / "aces-cli").exists()
    ):
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *PEERS], capture_output=True, text=True
        )
        if done.returncode:
            sys.exit(f"pip install {' '.join(PEERS)} failed:\n{done.stderr[-3000:]}")
    return python


def timed(command: list[str], env: dict[str, str] | None = None) -> dict:
    """Wall time and peak RSS of ``command`` (run under the wrapper)."""
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *command], capture_output=True, text=True, env=env
    )
    if done.returncode:
        sys.exit(f"wrapper failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["rc"]:
        sys.exit(f"{' '.join(command[:3])} … failed:\n{done.stderr[-4000:]}")
    return result


def export(patients: int, years: float, seed: int) -> tuple[str, Path]:
    """The synthetic warehouse URL and its MEDS export laid out as ``data/<split>/0.parquet``."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from hopia.warehouse import export_meds, open_warehouse
    from hopia.warehouse._export import split_of

    OUT.mkdir(parents=True, exist_ok=True)
    tag = f"{patients}_{years:g}y_{seed}"
    path = OUT / f"synth_{tag}.duckdb"
    url = f"duckdb:///{path}"
    if not path.exists():
        from hopia.synth import synthesize

        synthesize(patients=patients, years=years, seed=seed, url=url).close()
    meds = OUT / f"meds_{tag}"
    if not (meds / "data" / "train").is_dir():
        flat = OUT / f"meds_flat_{tag}"
        shutil.rmtree(flat, ignore_errors=True)
        with open_warehouse(url, read_only=True) as wh:
            export_meds(wh, flat)
        shutil.rmtree(meds, ignore_errors=True)
        shutil.copytree(flat / "metadata", meds / "metadata")
        table = pq.read_table(flat / "data" / "0.parquet")
        subjects = table.column("subject_id").to_numpy()
        splits = {s: split_of(int(s)) for s in set(subjects.tolist())}
        split = [splits[s] for s in subjects.tolist()]
        for name in ("train", "tuning", "held_out"):
            (meds / "data" / name).mkdir(parents=True)
            part = table.filter(pc.equal(pa_array(split), name))
            pq.write_table(part, meds / "data" / name / "0.parquet")
        shutil.rmtree(flat)
    return url, meds


def pa_array(values: list[str]):
    import pyarrow as pa

    return pa.array(values, pa.string())


def run_peers(python: Path, meds: Path, min_count: int) -> tuple[dict, Path]:
    """ACES then MEDS-Tab; returns the summed figures and the ACES labels folder."""
    import pyarrow.parquet as pq

    bin_dir = python.parent
    work = OUT / "peer_run"
    shutil.rmtree(work, ignore_errors=True)
    (work / "labels").mkdir(parents=True)
    task = work / "task.yaml"
    task.write_text(ACES_TASK)
    steps: list[tuple[str, dict]] = []
    for split in ("train", "tuning", "held_out"):
        out = work / "labels" / split / "0.parquet"
        out.parent.mkdir(parents=True)
        steps.append(
            (
                f"aces {split}",
                timed(
                    [
                        str(bin_dir / "aces-cli"),
                        "data.standard=meds",
                        f"data.path={meds / 'data' / split / '0.parquet'}",
                        f"config_path={task}",
                        f"cohort_dir={work}",
                        "cohort_name=death_7d",
                        f"output_filepath={out}",
                    ]
                ),
            )
        )
    tab = work / "tab"
    # the work folder is new; do_overwrite=True would make a later step delete codes.parquet
    common = [
        f"input_dir={meds / 'data'}",
        f"output_dir={tab}",
        f"tabularization.min_code_inclusion_count={min_count}",
        "tabularization.window_sizes=[1d,7d,365d,full]",
        "tabularization.aggs=[static/present,code/count,value/count,value/sum,value/min,value/max]",
    ]
    labelled = [*common, f"input_label_dir={work / 'labels'}"]
    steps.append(("meds-tab describe", timed([str(bin_dir / "meds-tab-describe"), *common[:2]])))
    steps.append(
        ("meds-tab static", timed([str(bin_dir / "meds-tab-tabularize-static"), *labelled]))
    )
    steps.append(
        (
            "meds-tab time series",
            timed([str(bin_dir / "meds-tab-tabularize-time-series"), *labelled]),
        )
    )
    for name, r in steps:
        print(f"  {name:<24}{r['wall_s']:>9.1f} s{r['peak_rss_mb']:>9.0f} MB")
    rows = sum(pq.read_metadata(p).num_rows for p in (work / "labels").glob("*/0.parquet"))
    total = {
        "wall_s": sum(r["wall_s"] for _, r in steps),
        "peak_rss_mb": max(r["peak_rss_mb"] for _, r in steps),
        "rows": rows,
    }
    return total, work / "labels"


def agreement(hopia_labels: Path, aces_labels: Path) -> tuple[int, float]:
    """Pairs (person, prediction time) found by both, and the share with the same label."""
    import pandas as pd

    ours = pd.read_parquet(hopia_labels).rename(
        columns={"person_id": "subject_id", "index_time": "prediction_time"}
    )
    theirs = pd.concat(pd.read_parquet(p) for p in sorted(aces_labels.glob("*/0.parquet")))
    for frame in (ours, theirs):
        frame["prediction_time"] = frame["prediction_time"].astype("datetime64[us]")
    both = ours.merge(theirs, on=["subject_id", "prediction_time"], how="inner")
    if both.empty:
        return 0, float("nan")
    same = both["label"].astype(bool) == both["boolean_value"].astype(bool)
    return len(both), float(same.mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--years", type=float, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--min-count", type=int, default=10)
    args = parser.parse_args()

    python = ensure_venv()
    start = time.perf_counter()
    url, meds = export(args.patients, args.years, args.seed)
    print(
        f"synthetic hospital {args.patients:,} patients, {args.years:g} y; MEDS at {meds} "
        f"(prepared in {time.perf_counter() - start:.0f} s); measured under load on a shared 2-core machine"
    )
    print("ACES + MEDS-Tab:")
    peers, aces_labels = run_peers(python, meds, args.min_count)
    hopia_labels = OUT / "hopia_labels.parquet"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    ours = timed(
        [
            sys.executable,
            "-c",
            HOPIA_CHILD,
            url,
            json.dumps(HOPIA_TASK),
            str(hopia_labels),
            str(args.min_count),
        ],
        env=env,
    )
    import pyarrow.parquet as pq

    hopia_rows = pq.read_metadata(hopia_labels).num_rows
    matched, same = agreement(hopia_labels, aces_labels)
    print(f"{'':<24}{'wall s':>9}{'peak MB':>10}{'rows':>10}")
    print(
        f"{'ACES + MEDS-Tab':<24}{peers['wall_s']:>9.1f}{peers['peak_rss_mb']:>10.0f}{peers['rows']:>10,}"
    )
    print(f"{'hopia':<24}{ours['wall_s']:>9.1f}{ours['peak_rss_mb']:>10.0f}{hopia_rows:>10,}")
    print(
        f"hopia is {peers['wall_s'] / ours['wall_s']:.1f}x faster (goal >= 5x) and uses "
        f"{ours['peak_rss_mb'] / peers['peak_rss_mb']:.2f} of the peak memory (goal <= 0.33)"
    )
    print(f"label agreement on the {matched:,} (person, prediction time) pairs of both: {same:.4f}")


if __name__ == "__main__":
    main()
