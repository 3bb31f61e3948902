"""Latency of the hopia service under a fixed request rate, over loopback.

Builds a synthetic hospital under ``bench/out/serve/`` (once), creates a clinician and a
token, starts ``hopia serve`` in its own process, then drives single-patient requests from a
second process at fixed rates (open loop: each request is sent at its scheduled time,
whether or not earlier ones have answered) and prints p50/p95/p99 latency, errors and the
server's peak memory.

The endpoint is ``POST /api/v1/tasks/long_stay_7d/predict``, served by a LightGBM model that
the script trains and registers under ``bench/out/serve/hospital-<patients>-<seed>/models`` (once) with
``hopia.models.train_task``; ``--endpoint timeline`` drives
``GET /api/v1/patients/{id}/timeline`` instead.

    python bench/serve.py                      # predictions, 100 req/s for 20 s
    python bench/serve.py --rates 10 50 100 --duration 15
    python bench/serve.py --endpoint timeline
    python bench/serve.py --at-time            # predictions at a given time (no precomputed row)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out" / "serve"
PASSWORD = "benchmark password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def data_dir(patients: int, seed: int) -> Path:
    """``HOPIA_DATA_DIR`` of one synthetic hospital: its warehouse, models and app database."""
    return OUT / f"hospital-{patients}-{seed}"


def prepare(patients: int, seed: int) -> tuple[str, str, str]:
    """The warehouse URL, the app database URL and a clinician's token."""
    from hopia.serve import add_user, create_token, open_app_db
    from hopia.synth import synthesize

    root = data_dir(patients, seed)
    root.mkdir(parents=True, exist_ok=True)
    wh_path = root / "warehouse.duckdb"
    url = f"duckdb:///{wh_path}"
    if not wh_path.exists():
        started = time.perf_counter()
        synthesize(patients=patients, years=1, seed=seed, url=url).close()
        print(f"synthetic hospital: {patients} persons in {time.perf_counter() - started:.1f} s")
    app_db = root / "app.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{app_db}{suffix}").unlink(missing_ok=True)
    engine, sessions = open_app_db(f"sqlite:///{app_db}")
    with sessions() as db:
        add_user(db, "bench", PASSWORD, "clinician")
        token = create_token(db, "bench", name="bench")
    engine.dispose()
    return url, f"sqlite:///{app_db}", token


TASK = "long_stay_7d"


def pick_requests(
    url: str, endpoint: str, count: int, seed: int, at_time: bool = False
) -> list[tuple[str, str, dict | None]]:
    """Single-patient requests: persons of the task's population, or any person.

    With ``at_time``, each prediction names a time: one of the person's index times plus
    0–24 h (a row the service has not precomputed, so its features are computed then).
    """
    from hopia.tasks import build_labels, load_task
    from hopia.warehouse import open_warehouse

    rng = random.Random(seed)
    wh = open_warehouse(url, read_only=True)
    if endpoint == "predict":
        labels = build_labels(wh, load_task(TASK)).labels
        rows = labels.select("person_id", "index_time").to_pandas().to_dict("records")
        requests = []
        for _ in range(count):
            row = rng.choice(rows)
            body: dict = {"person_id": int(row["person_id"])}
            if at_time:
                time = row["index_time"] + timedelta(minutes=rng.randrange(1, 24 * 60))
                body["index_time"] = time.isoformat()
            requests.append(("POST", f"/api/v1/tasks/{TASK}/predict", body))
    else:
        persons = wh.table("person").select("person_id").to_pandas()["person_id"].tolist()
        requests = [
            ("GET", f"/api/v1/patients/{int(rng.choice(persons))}/timeline", None)
            for _ in range(count)
        ]
    wh.close()
    return requests


def ensure_model(url: str, root: Path) -> None:
    """Train and register a LightGBM model of the task under ``root/models`` (once)."""
    from hopia.models import list_models, train_task

    models_dir = root / "models"
    if not list_models(models_dir).query("task == @TASK").empty:
        return
    started = time.perf_counter()
    train_task(TASK, warehouse=url, models_dir=models_dir, n_resamples=100)
    print(f"registered a {TASK} model in {time.perf_counter() - started:.1f} s", flush=True)


async def _drive(
    base: str, token: str, rate: float, requests: list, warmup: int
) -> list[tuple[float, float, int]]:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    results: list[tuple[float, float, int]] = []
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=30
    ) as client:

        async def one(i: int, scheduled: float) -> None:
            method, path, body = requests[i]
            sent = time.perf_counter()
            try:
                response = await client.request(method, path, json=body)
                status = response.status_code
            except httpx.HTTPError:
                status = 0
            done = time.perf_counter()
            if i >= warmup:
                results.append((done - scheduled, done - sent, status))

        tasks = []
        start = time.perf_counter() + 0.05
        for i in range(len(requests)):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, scheduled)))
        await asyncio.gather(*tasks)
    return results


def _driver_process(
    base: str, token: str, rate: float, requests: list, warmup: int, queue: mp.Queue
) -> None:
    queue.put(asyncio.run(_drive(base, token, rate, requests, warmup)))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (the uvicorn workers)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return found


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its descendants."""
    total = 0
    for p in _process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def _peak_rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rates", type=float, nargs="+", default=[100.0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured per rate")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds not measured per rate")
    parser.add_argument("--endpoint", choices=["predict", "timeline"], default="predict")
    parser.add_argument("--workers", type=int, default=1, help="hopia serve --workers")
    parser.add_argument(
        "--at-time",
        action="store_true",
        help="predictions at a given time (features computed per request, not precomputed)",
    )
    parser.add_argument(
        "--serve-only", nargs=3, metavar=("WAREHOUSE", "APP_DB", "PORT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()

    url, app_db, token = prepare(args.patients, args.seed)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    root = data_dir(args.patients, args.seed)
    env = {**os.environ, "HOPIA_DATA_DIR": str(root), "OMP_WAIT_POLICY": "passive"}
    if args.endpoint == "predict":
        ensure_model(url, root)
    command = [sys.executable, "-m", "hopia.cli", "serve", "--host", "127.0.0.1", "--port",
               str(port), "--warehouse", url, "--app-db", app_db, "--no-secure-cookies",
               "--workers", str(args.workers)]  # fmt: skip
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        import httpx

        deadline = time.monotonic() + 600
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        # First requests: each worker builds the task's labels, compiles the feature queries
        # and computes its latest rows once per warehouse version (not measured).
        warm = pick_requests(url, args.endpoint, 4 * args.workers, args.seed, args.at_time)
        started = time.perf_counter()

        def send(request: tuple) -> int:  # one connection each: they reach every worker
            method, path, body = request
            headers = {"Authorization": f"Bearer {token}"}
            return httpx.request(
                method, f"{base}{path}", json=body, headers=headers, timeout=600
            ).status_code

        with ThreadPoolExecutor(len(warm)) as pool:
            statuses = sorted(set(pool.map(send, warm)))
        print(f"first requests: {statuses} after {time.perf_counter() - started:.1f} s")
        print(
            f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (shared machine: figures measured under load)"
        )
        print(
            f"{'rate/s':>7} {'sent':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'svc p99':>8} {'cpu ms':>8}"
        )
        context = mp.get_context("spawn")
        for rate in args.rates:
            warmup = int(rate * args.warmup)
            count = warmup + int(rate * args.duration)
            requests = pick_requests(url, args.endpoint, count, args.seed, args.at_time)
            queue: mp.Queue = context.Queue()
            driver = context.Process(
                target=_driver_process, args=(base, token, rate, requests, warmup, queue)
            )
            cpu_before = _cpu_seconds(server.pid)
            driver.start()
            results = queue.get()
            driver.join()
            cpu_ms = (_cpu_seconds(server.pid) - cpu_before) * 1000 / len(requests)
            latencies = [r[0] * 1000 for r in results]
            service = [r[1] * 1000 for r in results]
            errors = sum(1 for r in results if r[2] != 200)
            print(
                f"{rate:>7g} {len(results):>6} {errors:>6} {statistics.median(latencies):>8.1f} "
                f"{_percentile(latencies, 95):>8.1f} {_percentile(latencies, 99):>8.1f} "
                f"{max(latencies):>8.1f} {_percentile(service, 99):>8.1f} {cpu_ms:>8.2f}"
            )
        print(
            f"endpoint: {requests[0][0]} {requests[0][1] if args.endpoint == 'predict' else '/api/v1/patients/{id}/timeline'}"
        )
        print("latency = answer time − scheduled send time (open loop); svc = answer − actual send")
        print("cpu ms = server CPU time (all workers) per request sent, warm-up included")
        peak = _peak_rss_mib(server.pid)
        if peak is not None:
            print(f"server peak memory (VmHWM): {peak:.0f} MiB")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            print("the server did not stop on SIGTERM within 30 s; killed")
            server.kill()
            server.wait()
    shutil.rmtree(root / "tmp", ignore_errors=True)


if __name__ == "__main__":
    main()
