"""Syndromic surveillance: detection algorithms numerically equal to R ``surveillance``.

* :func:`ears` — EARS C1, C2, C3 (R's ``earsC``);
* :func:`cusum` — CUSUM for Poisson or negative binomial counts (R's ``algo.cusum``);
* :func:`farrington_flexible` — Farrington (1996) and Noufaily et al. (2013), with the
  presets :data:`FARRINGTON_1996` and :data:`NOUFAILY_2013` (R's ``farringtonFlexible``);
* :func:`serfling` — Serfling's seasonal-regression epidemic threshold;
* :func:`detect` — any of them by its command-line name;
* :func:`syndromic_detection` — every syndrome × age band of a warehouse in one batch, and
  :func:`current_alarms` — the alarms of the last periods.

Examples
--------
>>> import numpy as np
>>> from hopia.surveillance import detect
>>> counts = np.r_[np.tile([2, 3, 4, 3], 20), 25]
>>> int(detect(counts, "ears-c1").alarm[-1])
1
"""

from typing import TYPE_CHECKING

from hopia._lazy import lazy_exports

if TYPE_CHECKING:
    from hopia.surveillance._alarms import current_alarms, syndromic_detection
    from hopia.surveillance._cusum import cusum
    from hopia.surveillance._detect import METHODS, detect
    from hopia.surveillance._ears import ears
    from hopia.surveillance._farrington import (
        FARRINGTON_1996,
        NOUFAILY_2013,
        farrington_design,
        farrington_flexible,
    )
    from hopia.surveillance._result import Detection
    from hopia.surveillance._serfling import serfling

_EXPORTS = {
    "Detection": "hopia.surveillance._result",
    "FARRINGTON_1996": "hopia.surveillance._farrington",
    "METHODS": "hopia.surveillance._detect",
    "NOUFAILY_2013": "hopia.surveillance._farrington",
    "current_alarms": "hopia.surveillance._alarms",
    "cusum": "hopia.surveillance._cusum",
    "detect": "hopia.surveillance._detect",
    "ears": "hopia.surveillance._ears",
    "farrington_design": "hopia.surveillance._farrington",
    "farrington_flexible": "hopia.surveillance._farrington",
    "serfling": "hopia.surveillance._serfling",
    "syndromic_detection": "hopia.surveillance._alarms",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = [
    "FARRINGTON_1996",
    "METHODS",
    "NOUFAILY_2013",
    "Detection",
    "current_alarms",
    "cusum",
    "detect",
    "ears",
    "farrington_design",
    "farrington_flexible",
    "serfling",
    "syndromic_detection",
]
