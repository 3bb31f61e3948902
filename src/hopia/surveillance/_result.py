"""What every detection algorithm returns: one upper bound, alarm and score per time point."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Detection:
    """Outcome of a detection algorithm on one series (1-D arrays) or many (2-D, one row each).

    Attributes
    ----------
    method : name of the algorithm and its setting, e.g. ``"farrington-flexible"``.
    observed : the counts, as given.
    monitored : True where the algorithm judged the time point (enough history).
    upperbound : threshold above which a count raises an alarm; NaN where not monitored or
        where the algorithm gives no bound (R's ``NA``).
    alarm : 1.0 (alarm), 0.0 (no alarm) or NaN (not monitored, or R's ``NA``).
    score : the algorithm's statistic (EARS: standardised count; CUSUM: cumulative sum;
        Farrington: exceedance score, > 1 means above the bound); NaN where undefined.

    Examples
    --------
    >>> import numpy as np
    >>> d = Detection("demo", np.array([1, 9]), np.array([False, True]),
    ...               np.array([np.nan, 5.0]), np.array([np.nan, 1.0]), np.array([np.nan, 2.0]))
    >>> d.alarm_times().tolist()
    [1]
    """

    method: str
    observed: np.ndarray
    monitored: np.ndarray
    upperbound: np.ndarray
    alarm: np.ndarray
    score: np.ndarray

    def alarm_times(self) -> np.ndarray:
        """0-based positions (along the last axis) where an alarm was raised (1-D series)."""
        return np.flatnonzero(self.alarm == 1.0)
