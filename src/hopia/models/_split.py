"""Train/test splits: temporal (the default) and by person.

A temporal split trains on earlier index times and tests on later ones — how a model meets
the future (drift included). A person split puts every row of a person on one side, so
that the test never sees a patient the model learnt from.

Examples
--------
>>> import pandas as pd
>>> times = pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"])
>>> split = temporal_split(times, test_fraction=0.25)
>>> split.train.tolist(), split.test.tolist()
([0, 1, 2], [3])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hopia.errors import InputError

SPLITS = ("temporal", "person")


@dataclass(frozen=True)
class Split:
    """Row positions of the training and test parts, and how they were chosen."""

    train: np.ndarray
    test: np.ndarray
    how: str
    details: dict[str, Any] = field(default_factory=dict)


def _persons_in_both(person: np.ndarray | None, train: np.ndarray, test: np.ndarray) -> int:
    if person is None:
        return 0
    return int(np.intersect1d(person[train], person[test]).size)


def temporal_split(
    index_time: Sequence[Any] | np.ndarray | pd.Series,
    *,
    test_fraction: float = 0.25,
    person: Sequence[Any] | np.ndarray | None = None,
) -> Split:
    """Train on the earliest rows, test on the latest ``test_fraction`` (by index time).

    Rows at the cut-off time stay in training, so no index time is on both sides. A person
    with stays on both sides of the cut-off keeps them (``details["persons_in_both"]``
    counts them): this is what deployment looks like.
    """
    if not 0 < test_fraction < 1:
        raise InputError("split", f"test_fraction must be in (0, 1), got {test_fraction}")
    times = pd.to_datetime(pd.Series(np.asarray(index_time)))
    if times.isna().any():
        raise InputError("split", "missing index times", field="index_time")
    values = times.to_numpy()
    cutoff = np.sort(values)[int(np.floor((1 - test_fraction) * (len(values) - 1)))]
    test = np.flatnonzero(values > cutoff)
    train = np.flatnonzero(values <= cutoff)
    if test.size == 0 or train.size == 0:
        raise InputError("split", "all rows share one index time: a temporal split is impossible")
    persons = None if person is None else np.asarray(person)
    return Split(
        train=train,
        test=test,
        how="temporal",
        details={
            "test_fraction": test_fraction,
            "train_until": str(pd.Timestamp(cutoff)),
            "test_from": str(pd.Timestamp(values[test].min())),
            "test_until": str(pd.Timestamp(values[test].max())),
            "persons_in_both": _persons_in_both(persons, train, test),
        },
    )


def person_split(
    person: Sequence[Any] | np.ndarray, *, test_fraction: float = 0.25, seed: int = 0
) -> Split:
    """A seeded random ``test_fraction`` of persons, with all their rows, for testing.

    Examples
    --------
    >>> split = person_split([1, 1, 2, 3, 3, 4], test_fraction=0.5, seed=0)
    >>> sorted(set(split.train) | set(split.test)) == list(range(6))
    True
    """
    if not 0 < test_fraction < 1:
        raise InputError("split", f"test_fraction must be in (0, 1), got {test_fraction}")
    persons = np.asarray(person)
    unique, inverse = np.unique(persons, return_inverse=True)
    if unique.size < 2:
        raise InputError("split", "a person split needs at least two persons")
    rng = np.random.default_rng(seed)
    n_test = min(unique.size - 1, max(1, round(test_fraction * unique.size)))
    chosen = np.zeros(unique.size, dtype=bool)
    chosen[rng.permutation(unique.size)[:n_test]] = True
    in_test = chosen[inverse.ravel()]
    return Split(
        train=np.flatnonzero(~in_test),
        test=np.flatnonzero(in_test),
        how="person",
        details={"test_fraction": test_fraction, "seed": seed, "persons_in_both": 0},
    )


def person_folds(
    person: Sequence[Any] | np.ndarray, *, n_folds: int = 5, seed: int = 0
) -> np.ndarray:
    """Fold number (0..n_folds-1) of each row; all rows of a person share one fold.

    Examples
    --------
    >>> folds = person_folds([7, 7, 8, 9, 9, 10], n_folds=2, seed=1)
    >>> bool(folds[0] == folds[1] and folds[3] == folds[4])
    True
    """
    persons = np.asarray(person)
    unique, inverse = np.unique(persons, return_inverse=True)
    if n_folds < 2 or n_folds > unique.size:
        raise InputError(
            "split", f"n_folds must be between 2 and the number of persons ({unique.size})"
        )
    fold_of_person = np.random.default_rng(seed).permutation(unique.size) % n_folds
    return fold_of_person[inverse.ravel()]


def split_rows(
    keys: pd.DataFrame, how: str = "temporal", *, test_fraction: float = 0.25, seed: int = 0
) -> Split:
    """Split feature-matrix rows (``keys`` with ``person_id`` and ``index_time``)."""
    if how == "temporal":
        return temporal_split(
            keys["index_time"], test_fraction=test_fraction, person=keys["person_id"]
        )
    if how == "person":
        return person_split(keys["person_id"], test_fraction=test_fraction, seed=seed)
    raise InputError("split", f"expected one of {', '.join(SPLITS)}, got {how!r}")
