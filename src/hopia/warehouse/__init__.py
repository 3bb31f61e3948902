"""The OMOP CDM 5.4 warehouse: connection, loaders, exports, the events view, quality checks.

Examples
--------
>>> from hopia.warehouse import open_warehouse
>>> open_warehouse("duckdb://:memory:").engine
'duckdb'
"""

from typing import TYPE_CHECKING

from hopia._lazy import lazy_exports

if TYPE_CHECKING:
    from hopia.warehouse._connection import Warehouse, WarehouseURL, open_warehouse
    from hopia.warehouse._export import export_meds, export_parquet
    from hopia.warehouse._fhir import fhir_to_omop, sample_fhir_paths
    from hopia.warehouse._omop import load_omop
    from hopia.warehouse._quality import run_quality_checks
    from hopia.warehouse._store import WarehouseBuild, conform_to_schema, write_warehouse

_EXPORTS = {
    "Warehouse": "hopia.warehouse._connection",
    "WarehouseURL": "hopia.warehouse._connection",
    "open_warehouse": "hopia.warehouse._connection",
    "WarehouseBuild": "hopia.warehouse._store",
    "conform_to_schema": "hopia.warehouse._store",
    "write_warehouse": "hopia.warehouse._store",
    "load_omop": "hopia.warehouse._omop",
    "fhir_to_omop": "hopia.warehouse._fhir",
    "sample_fhir_paths": "hopia.warehouse._fhir",
    "export_meds": "hopia.warehouse._export",
    "export_parquet": "hopia.warehouse._export",
    "run_quality_checks": "hopia.warehouse._quality",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = [
    "Warehouse",
    "WarehouseBuild",
    "WarehouseURL",
    "conform_to_schema",
    "export_meds",
    "export_parquet",
    "fhir_to_omop",
    "load_omop",
    "open_warehouse",
    "run_quality_checks",
    "sample_fhir_paths",
    "write_warehouse",
]
