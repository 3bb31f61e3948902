"""Latency of the hopia service under a fixed request rate, over loopback.

Builds a synthetic hospital under ``bench/out/serve/`` (once), creates a clinician and a
token, starts ``hopia serve`` in its own process, then drives single-patient requests from a
second process at fixed rates (open loop: each request is sent at its scheduled time,
whether or not earlier ones have answered) and prints p50/p95/p99 latency, errors, the CPU
time of the server and of the load generator per request, and the server's peak memory.
The load generator is ``hopia.serve._loadgen`` (pre-encoded requests on raw asyncio
transports: a general-purpose client would take a good part of a core from the server on
a 2-core machine); requests go round its keep-alive connections, which the kernel spreads
over the server's worker processes (printed per worker).

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
from collections import Counter
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


def _driver_process(
    port: int, payloads: list[bytes], rate: float, warmup: int, queue: mp.Queue
) -> None:
    from hopia.serve._loadgen import run_drive

    queue.put(run_drive("127.0.0.1", port, payloads, rate, warmup=warmup))


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


def _workers(pid: int) -> list[int]:
    """The uvicorn worker processes under ``pid`` (``pid`` itself with one worker)."""
    workers = []
    for child in _process_tree(pid)[1:]:  # spawned by multiprocessing (not its resource tracker)
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                workers.append(child)
    return sorted(workers) or [pid]


def _established(port: int) -> set[str]:
    """Socket inodes of the server side of established TCP connections on ``port``."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                    found.add(fields[9])
    return found


def _connections_of(pid: int, inodes: set[str]) -> int:
    count = 0
    for fd in Path(f"/proc/{pid}/fd").glob("*"):
        with contextlib.suppress(OSError):
            link = os.readlink(fd)
            if link.startswith("socket:[") and link[8:-1] in inodes:
                count += 1
    return count


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
        # First requests (not measured): each worker builds the task's labels, compiles the
        # feature queries and scores its latest rows once per warehouse version — it starts
        # at start-up (ServeState.warm_up); these requests wait for it to finish.
        warm = pick_requests(url, args.endpoint, 4 * args.workers, args.seed, args.at_time)
        started = time.perf_counter()

        def send(request: tuple) -> int:  # one connection each: they reach every worker
            method, path, body = request
            headers = {"Authorization": f"Bearer {token}"}
            return httpx.request(
                method, f"{base}{path}", json=body, headers=headers, timeout=600
            ).status_code

        workers = _workers(server.pid)
        warm_cpu = [_cpu_seconds(w) for w in workers]
        statuses: set[int] = set()
        for _ in range(5):  # until every worker has done its share of the first work
            with ThreadPoolExecutor(len(warm)) as pool:
                statuses.update(pool.map(send, warm))
            used = [_cpu_seconds(w) - c for w, c in zip(workers, warm_cpu, strict=True)]
            if min(used) >= 0.5 * max(used):
                break
        print(
            f"first requests: {sorted(statuses)} after {time.perf_counter() - started:.1f} s; "
            f"CPU s per worker {[round(u, 1) for u in used]}"
        )
        print(
            f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (shared machine: figures measured under load)"
        )
        print(
            f"{'rate/s':>7} {'sent':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'svc p99':>8} {'cpu ms':>8} {'drv ms':>8}"
        )
        context = mp.get_context("spawn")
        from hopia.serve._loadgen import ERROR, encode_request, percentile

        notes = []
        for rate in args.rates:
            warmup = int(rate * args.warmup)
            count = warmup + int(rate * args.duration)
            requests = pick_requests(url, args.endpoint, count, args.seed, args.at_time)
            payloads = [
                encode_request(m, path, body, host=f"127.0.0.1:{port}", token=token)
                for m, path, body in requests
            ]
            queue: mp.Queue = context.Queue()
            driver = context.Process(
                target=_driver_process, args=(port, payloads, rate, warmup, queue)
            )
            cpu_before = _cpu_seconds(server.pid)
            worker_before = [_cpu_seconds(w) for w in workers]
            driver.start()
            time.sleep(min(args.warmup, 2.0))
            inodes = _established(port)
            spread = [_connections_of(w, inodes) for w in workers]
            result = queue.get()
            driver.join()
            cpu_ms = (_cpu_seconds(server.pid) - cpu_before) * 1000 / len(requests)
            worker_cpu = [_cpu_seconds(w) - b for w, b in zip(workers, worker_before, strict=True)]
            latencies = [v * 1000 for v in result.latency]
            service = [v * 1000 for v in result.service]
            errors = sum(1 for status in result.status if status != 200)
            print(
                f"{rate:>7g} {len(latencies):>6} {errors:>6} {statistics.median(latencies):>8.1f} "
                f"{percentile(latencies, 95):>8.1f} {percentile(latencies, 99):>8.1f} "
                f"{max(latencies):>8.1f} {percentile(service, 99):>8.1f} {cpu_ms:>8.2f} "
                f"{result.cpu_seconds * 1000 / result.sent:>8.2f}",
                flush=True,
            )
            failed = Counter(status for status in result.status if status != 200)
            statuses = ", ".join(
                f"{'no answer' if code == ERROR else code} × {n}"
                for code, n in sorted(failed.items())
            )
            notes.append(
                f"  {rate:g}/s: {result.connections} connections opened; per worker: "
                f"connections {spread}, CPU s {[round(c, 1) for c in worker_cpu]}; "
                f"load {os.getloadavg()[0]:.1f}" + (f"; errors: {statuses}" if statuses else "")
            )
        print("\n".join(notes))
        print(
            f"endpoint: {requests[0][0]} {requests[0][1] if args.endpoint == 'predict' else '/api/v1/patients/{id}/timeline'}"
        )
        print("latency = answer time − scheduled send time (open loop); svc = answer − actual send")
        print("cpu ms = server CPU time (all workers) per request sent, warm-up included")
        print("drv ms = the load generator's CPU time per request sent (hopia.serve._loadgen)")
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
