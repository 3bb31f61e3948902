"""Features: label rows become a sparse matrix of windowed aggregates, computed in the engine.

``tabularize(wh, labels, spec)`` counts diagnoses, drugs, procedures and visits, summarises
measurements (last, mean, min, max, slope), measures the time since each code was last seen,
and adds age, sex, the current care unit and the hours since admission. Only events known at
the index time are used: ``time <= index_time``, and date-only events strictly before the
index date.

Examples
--------
>>> from hopia.features import FeatureSpec
>>> FeatureSpec().windows
['24h', '7d', '365d', 'all']
"""

from typing import TYPE_CHECKING

from hopia._lazy import lazy_exports

if TYPE_CHECKING:
    from hopia.features._matrix import FeatureMatrix
    from hopia.features._spec import FeatureSpec, load_feature_spec
    from hopia.features._tabularize import FeaturePlan, compile_features, tabularize

_EXPORTS = {
    "FeatureMatrix": "hopia.features._matrix",
    "FeaturePlan": "hopia.features._tabularize",
    "FeatureSpec": "hopia.features._spec",
    "compile_features": "hopia.features._tabularize",
    "load_feature_spec": "hopia.features._spec",
    "tabularize": "hopia.features._tabularize",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = [
    "FeatureMatrix",
    "FeaturePlan",
    "FeatureSpec",
    "compile_features",
    "load_feature_spec",
    "tabularize",
]
