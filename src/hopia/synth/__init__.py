"""The synthetic hospital: a French CHRU with planted signals and ground truth (docs/synth.md).

Examples
--------
>>> from hopia.synth import generate_hospital
>>> hospital = generate_hospital(patients=200, years=1, seed=7)
>>> hospital.tables["care_site"].column("care_site_source_value").to_pylist()[:3]
['URG', 'UHCD', 'CARDIO']
"""

from typing import TYPE_CHECKING

from hopia._lazy import lazy_exports

if TYPE_CHECKING:
    from hopia.synth._hospital import SyntheticHospital, generate_hospital, synthesize
    from hopia.synth._notes import format_date, format_nir, format_phone
    from hopia.synth._people import nir_key

_EXPORTS = {
    "SyntheticHospital": "hopia.synth._hospital",
    "generate_hospital": "hopia.synth._hospital",
    "synthesize": "hopia.synth._hospital",
    "format_date": "hopia.synth._notes",
    "format_nir": "hopia.synth._notes",
    "format_phone": "hopia.synth._notes",
    "nir_key": "hopia.synth._people",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = [
    "SyntheticHospital",
    "format_date",
    "format_nir",
    "format_phone",
    "generate_hospital",
    "nir_key",
    "synthesize",
]
