"""Farrington's models fitted on worker processes give what the calling process gives."""

from __future__ import annotations

import multiprocessing
from types import SimpleNamespace

import numpy as np
import pytest

import hopia.surveillance._farrington as farrington
import hopia.surveillance._parallel as parallel
from hopia.surveillance import NOUFAILY_2013


def _counts(n_series: int) -> np.ndarray:
    rng = np.random.default_rng(21)
    weeks = np.arange(330)
    season = np.exp(0.6 * np.cos(2 * np.pi * weeks / 52))
    counts = rng.negative_binomial(4, 4 / (4 + 9 * season), size=(n_series, weeks.size))
    counts = counts.astype(float)
    counts[0, 290:293] *= 5  # an outbreak
    counts[-1, :300] = 0  # all-zero baselines (R's IRLS fails on them)
    return counts


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    np.testing.assert_array_equal(a.monitored, b.monitored)
    np.testing.assert_array_equal(np.isnan(a.upperbound), np.isnan(b.upperbound))
    np.testing.assert_array_equal(a.alarm, b.alarm)
    both = ~np.isnan(a.upperbound)
    np.testing.assert_allclose(a.upperbound[both], b.upperbound[both], rtol=1e-12)
    both = ~np.isnan(a.score)
    np.testing.assert_allclose(a.score[both], b.score[both], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_workers_give_the_same_detection(
    start_method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if start_method not in multiprocessing.get_all_start_methods():
        pytest.fail(f"{start_method} is not available here")
    counts = _counts(4 if start_method == "fork" else 2)
    # Chunks of 41 models, so that both workers get several chunks and the last one is short.
    monkeypatch.setattr(farrington, "_CHUNK_ELEMENTS", 237 * 41)
    here = farrington.farrington_flexible(counts, **NOUFAILY_2013)
    monkeypatch.setattr(farrington, "get_settings", lambda: SimpleNamespace(threads=2))
    monkeypatch.setattr(parallel, "_context", lambda: multiprocessing.get_context(start_method))
    calls: list[int] = []
    map_chunks = parallel.map_chunks

    def counting(job, starts, workers):  # type: ignore[no-untyped-def]
        calls.append(workers)
        yield from map_chunks(job, starts, workers)

    monkeypatch.setattr(farrington, "map_chunks", counting)
    workers = farrington.farrington_flexible(counts, **NOUFAILY_2013)
    assert calls == [2]
    _same(here, workers)
    assert np.nansum(here.alarm) > 0


def test_map_chunks_runs_every_chunk_once() -> None:
    job = SimpleNamespace(run=lambda start: start * 10)  # not picklable: one worker only
    assert sorted(parallel.map_chunks(job, range(0, 50, 7), workers=1)) == [
        (s, s * 10) for s in range(0, 50, 7)
    ]
    assert list(parallel.map_chunks(job, [], workers=2)) == []
