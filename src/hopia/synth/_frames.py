"""Columns-of-arrays frames: the in-memory shape of every generation step."""

from __future__ import annotations

import numpy as np

Frame = dict[str, np.ndarray]
"""Equal-length numpy columns by name."""


def take(frame: Frame, index: np.ndarray) -> Frame:
    """Rows ``index`` (positions or a boolean mask) of every column."""
    return {name: column[index] for name, column in frame.items()}


def concat(frames: list[Frame]) -> Frame:
    """Stack frames with the same columns."""
    frames = [f for f in frames if f]
    names = list(frames[0])
    return {name: np.concatenate([f[name] for f in frames]) for name in names}


def length(frame: Frame) -> int:
    return len(next(iter(frame.values()))) if frame else 0


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def categorical(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row of a (rows × categories) weight matrix."""
    cumulative = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cumulative[:, -1]
    return np.minimum((cumulative < u[:, None]).sum(axis=1), weights.shape[1] - 1)


def group_rank(group: np.ndarray) -> np.ndarray:
    """0, 1, 2 … within runs of equal ``group`` values (``group`` must be sorted)."""
    n = len(group)
    if n == 0:
        return np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    return np.arange(n) - run_start
