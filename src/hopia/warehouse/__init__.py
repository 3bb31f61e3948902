"""The OMOP CDM 5.4 warehouse: connection, loaders, exports, the events view, quality checks.

Examples
--------
>>> from hopia.warehouse import open_warehouse
>>> open_warehouse("duckdb://:memory:").engine
'duckdb'
"""

from hopia.warehouse._connection import Warehouse, WarehouseURL, open_warehouse
from hopia.warehouse._store import WarehouseBuild, conform_to_schema, write_warehouse

__all__ = [
    "Warehouse",
    "WarehouseBuild",
    "WarehouseURL",
    "conform_to_schema",
    "open_warehouse",
    "write_warehouse",
]
