"""Run independent chunks of one job on ``HOPIA_THREADS`` worker processes.

The detection algorithms spend their time in many small NumPy operations that hold the
interpreter lock, so threads do not add up; processes do. A job is any picklable object
with a ``run(start)`` method; its results come back to the caller in order of completion.
Workers are forked where the platform allows it (the job is then shared, not copied),
otherwise spawned with the job pickled once per worker. One worker, or one chunk, runs in
the calling process.

Examples
--------
>>> class Squares:
...     def run(self, start):
...         return start * start
>>> sorted(map_chunks(Squares(), [1, 2, 3], workers=1))
[(1, 1), (2, 4), (3, 9)]
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from threadpoolctl import threadpool_limits


class ChunkJob(Protocol):
    """A job cut into chunks named by their start."""

    def run(self, start: int) -> Any: ...


_JOB: ChunkJob | None = None  # the job of this worker process


def _initialise(job: ChunkJob) -> None:
    global _JOB
    _JOB = job
    # One BLAS thread per worker: the workers already use every core.
    threadpool_limits(1)


def _run(start: int) -> tuple[int, Any]:
    assert _JOB is not None
    return start, _JOB.run(start)


def _context() -> multiprocessing.context.BaseContext:
    """Fork when it is safe (no other Python thread to copy half-way), else spawn."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def map_chunks(job: ChunkJob, starts: Sequence[int], workers: int) -> Iterator[tuple[int, Any]]:
    """Yield ``(start, job.run(start))`` for every start, on up to ``workers`` processes.

    Parameters
    ----------
    job : a picklable object with a ``run(start)`` method.
    starts : the chunks.
    workers : processes to use (``HOPIA_THREADS``); 1 runs every chunk here.
    """
    workers = max(1, min(workers, len(starts)))
    if workers == 1:
        with threadpool_limits(1):
            for start in starts:
                yield start, job.run(start)
        return
    with _context().Pool(workers, initializer=_initialise, initargs=(job,)) as pool:
        yield from pool.imap_unordered(_run, starts)
