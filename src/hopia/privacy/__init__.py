"""Privacy: small-count suppression, French clinical note de-identification, pseudonymised copies.

Examples
--------
>>> import pandas as pd
>>> from hopia.privacy import Deidentifier, suppress_small_counts
>>> suppress_small_counts(pd.DataFrame({"n": [3, 50, 40]}), ["n"], threshold=10)["n"].tolist()
[<NA>, 50, <NA>]
>>> Deidentifier().deidentify("Vu par le Dr Martin le 3 mars 2024.", mode="tag")[0]
'Vu par le Dr <NOM> le <DATE>.'
"""

from typing import TYPE_CHECKING

from hopia._lazy import lazy_exports

if TYPE_CHECKING:
    from hopia.privacy._annotated import parse_annotated
    from hopia.privacy._deid import Deidentifier
    from hopia.privacy._entities import LABELS, Entity
    from hopia.privacy._evaluate import evaluate_deid
    from hopia.privacy._pseudonymise import pseudonymise_warehouse
    from hopia.privacy._suppress import suppress_small_counts
    from hopia.privacy._surrogates import Surrogates
    from hopia.privacy.pipes.context import PersonData
    from hopia.privacy.pipes.nir import nir_is_valid

_EXPORTS = {
    "LABELS": "hopia.privacy._entities",
    "Deidentifier": "hopia.privacy._deid",
    "Entity": "hopia.privacy._entities",
    "PersonData": "hopia.privacy.pipes.context",
    "Surrogates": "hopia.privacy._surrogates",
    "evaluate_deid": "hopia.privacy._evaluate",
    "nir_is_valid": "hopia.privacy.pipes.nir",
    "parse_annotated": "hopia.privacy._annotated",
    "pseudonymise_warehouse": "hopia.privacy._pseudonymise",
    "suppress_small_counts": "hopia.privacy._suppress",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = [
    "LABELS",
    "Deidentifier",
    "Entity",
    "PersonData",
    "Surrogates",
    "evaluate_deid",
    "nir_is_valid",
    "parse_annotated",
    "pseudonymise_warehouse",
    "suppress_small_counts",
]
