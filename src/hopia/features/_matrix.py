"""The feature matrix: a SciPy CSR matrix, readable feature names, and the row keys.

Examples
--------
>>> import numpy as np, pandas as pd, scipy.sparse as sp
>>> keys = pd.DataFrame({"person_id": [1], "visit_occurrence_id": [10],
...                      "index_time": pd.to_datetime(["2024-01-02 08:00"])})
>>> fm = FeatureMatrix(sp.csr_matrix(np.array([[71.5, 1.0]])), ["age", "sex=F"], keys)
>>> fm.shape
(1, 2)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd
    import scipy.sparse as sp

KEY_COLUMNS = ["person_id", "visit_occurrence_id", "index_time"]
_META = b"hopia.feature_matrix"


@dataclass
class FeatureMatrix:
    """Features of label rows.

    Attributes
    ----------
    X
        ``scipy.sparse.csr_matrix`` (rows × features); an absent entry means "no such event
        in the window" (counts) or "no value" (measurements).
    feature_names
        Column names such as ``LOINC/8867-4|last|24h``, ``ICD10/I50.9|count|365d``, ``age``,
        ``sex=F``, ``unit=REA``, ``hours_since_admission``.
    keys
        ``person_id, visit_occurrence_id, index_time``, one row per matrix row.
    """

    X: sp.csr_matrix
    feature_names: list[str]
    keys: pd.DataFrame

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, features)``."""
        return self.X.shape

    def column(self, name: str) -> np.ndarray:
        """One feature as a dense array (NaN where the entry is absent)."""
        j = self.feature_names.index(name)
        col = self.X[:, j].tocoo()
        out = np.full(self.X.shape[0], np.nan)
        out[col.row] = col.data
        return out

    def to_parquet(self, path: str | Path) -> None:
        """Write the matrix in long form: ``row, person_id, visit_occurrence_id, index_time,
        feature, value`` (one line per stored entry; a row with no entry gets one line with a
        null feature). Feature names and their order are kept in the file's metadata, so
        :meth:`read_parquet` gives back the same matrix."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        coo = self.X.tocoo()
        order = np.lexsort((coo.col, coo.row))
        rows, cols, values = coo.row[order], coo.col[order], coo.data[order]
        empty = np.setdiff1d(np.arange(self.X.shape[0]), rows)
        all_rows = np.concatenate([rows, empty])
        names = np.asarray(self.feature_names, dtype=object)
        features = np.concatenate(
            [
                names[cols] if len(cols) else np.array([], dtype=object),
                np.full(len(empty), None, dtype=object),
            ]
        )
        all_values = np.concatenate([values.astype(np.float64), np.full(len(empty), np.nan)])
        final = np.argsort(all_rows, kind="stable")
        keys = self.keys.iloc[all_rows[final]].reset_index(drop=True)
        table = pa.table(
            {
                "row": pa.array(all_rows[final], pa.int64()),
                "person_id": pa.array(keys["person_id"], pa.int64()),
                "visit_occurrence_id": pa.array(
                    keys["visit_occurrence_id"], pa.int64(), from_pandas=True
                ),
                "index_time": pa.array(keys["index_time"], pa.timestamp("us")),
                "feature": pa.array(features[final], pa.string()),
                "value": pa.array(all_values[final], pa.float64(), from_pandas=False),
            }
        )
        meta = {
            "feature_names": self.feature_names,
            "rows": int(self.X.shape[0]),
            "dtype": str(self.X.dtype),
        }
        table = table.replace_schema_metadata({_META: json.dumps(meta).encode()})
        pq.write_table(table, str(path))

    @classmethod
    def read_parquet(cls, path: str | Path) -> FeatureMatrix:
        """Read a matrix written by :meth:`to_parquet`."""
        import pyarrow.parquet as pq
        import scipy.sparse as sp

        table = pq.read_table(str(path))
        meta = json.loads(table.schema.metadata[_META])
        names = meta["feature_names"]
        frame = table.to_pandas()
        keys = frame.drop_duplicates("row").sort_values("row")[KEY_COLUMNS].reset_index(drop=True)
        stored = frame[frame.feature.notna()]
        column_of = {name: j for j, name in enumerate(names)}
        cols = stored.feature.map(column_of).to_numpy(dtype=np.int64)
        X = sp.csr_matrix(
            (stored.value.to_numpy(), (stored.row.to_numpy(), cols)),
            shape=(meta["rows"], len(names)),
            dtype=meta["dtype"],
        )
        return cls(X=X, feature_names=list(names), keys=keys)
