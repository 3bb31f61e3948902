"""A pseudonymised copy of the warehouse: keyed person ids, shifted dates, coarsened places.

What the copy holds, table by table:

* every ``person_id`` is replaced by ``HMAC-SHA256(key, person_id)`` (63 bits);
* every date and datetime of a person's rows moves by that person's offset (±1–365 days,
  from the same key), so every interval between two events of a person is unchanged;
* ``person``: birth reduced to the year (month, day, datetime dropped); a person over 89 at
  the last date of the copy has the year of a 90-year-old (ages over 89 grouped);
  ``person_source_value`` dropped;
* ``location``: street address, city, coordinates and source value dropped; the postcode
  reduced to its département (``54``, Corsica ``2A``/``2B``);
* ``provider``: names and national ids dropped;
* ``note``: text and title de-identified with surrogates; their dates move with the person's
  offset, so the notes agree with the tables. The source's ``synth_truth.identity`` (names,
  NIR, phone… of each person) serves as the person's context, then is left behind with every
  other non-OMOP table.

The copy is written with :func:`hopia.warehouse.write_warehouse` (atomic), and the same
source and key always give the same copy (idempotent).

Examples
--------
>>> import pyarrow as pa, tempfile, pathlib
>>> from hopia.warehouse import write_warehouse
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> src = write_warehouse({"person": pa.table({"person_id": [1], "gender_concept_id": [8532],
...     "year_of_birth": [1961], "month_of_birth": [3], "day_of_birth": [12]})},
...     f"duckdb:///{folder}/src.duckdb")
>>> copy = pseudonymise_warehouse(src, f"duckdb:///{folder}/copy.duckdb", b"0123456789abcdef0123")
>>> row = copy.table("person").to_pyarrow().to_pylist()[0]
>>> row["person_id"] != 1, row["year_of_birth"], row["month_of_birth"]
(True, 1961, None)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hopia.errors import InputError
from hopia.privacy._deid import Deidentifier
from hopia.privacy._surrogates import Surrogates
from hopia.privacy.pipes.context import PersonData

_DROP: dict[str, tuple[str, ...]] = {
    "person": ("month_of_birth", "day_of_birth", "birth_datetime", "person_source_value"),
    "location": (
        "address_1",
        "address_2",
        "city",
        "location_source_value",
        "latitude",
        "longitude",
    ),
    "provider": ("provider_name", "npi", "dea", "provider_source_value"),
}
_MAX_AGE = 89


def _departement(zip_code: str | None) -> str | None:
    if not zip_code:
        return None
    code = zip_code.strip()[:5]
    if code.startswith("20") and len(code) == 5 and code.isdigit():
        return "2A" if int(code) < 20200 else "2B"
    return code[:3] if code[:2] in ("97", "98") else code[:2]


def _identity(source: Any) -> dict[int, dict[str, Any]]:
    """The source's identity truth (names, NIR, phone…) by person, when it has one."""
    if not source.has_table("identity", "synth_truth"):
        return {}
    rows = source.table("identity", "synth_truth").to_pyarrow().to_pylist()
    return {int(row["person_id"]): row for row in rows if row.get("person_id") is not None}


def _shift(column: pa.ChunkedArray, offsets: np.ndarray) -> pa.Array:
    """Dates or timestamps moved by ``offsets`` days (nulls stay null)."""
    if pa.types.is_date32(column.type):
        days = pc.cast(column, pa.int32()).to_numpy(zero_copy_only=False)
        moved = pa.array(
            np.where(np.isnan(days.astype(float)), 0, days).astype(np.int32)
            + offsets.astype(np.int32)
        )
        return pc.cast(
            pc.if_else(pc.is_null(column), pa.nulls(len(column), pa.int32()), moved), pa.date32()
        )
    unit = column.type.unit
    per_day = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}[unit]
    raw = pc.cast(column, pa.int64()).to_numpy(zero_copy_only=False)
    values = np.where(np.isnan(raw.astype(float)), 0, raw).astype(np.int64)
    moved = pa.array(values + offsets.astype(np.int64) * per_day)
    return pc.cast(
        pc.if_else(pc.is_null(column), pa.nulls(len(column), pa.int64()), moved), column.type
    )


def pseudonymise_warehouse(
    source: Any,
    out_url: str,
    key: bytes,
    *,
    deidentifier: Deidentifier | None = None,
    progress: Callable[[str], None] | None = None,
) -> Any:
    """Write a pseudonymised copy of ``source`` at ``out_url`` and return it opened.

    Parameters
    ----------
    source : Warehouse or str
        The warehouse to copy (or its URL).
    out_url : str
        Where the copy goes; must differ from the source.
    key : bytes
        The secret behind pseudonyms, offsets and surrogates (at least 16 bytes).
    deidentifier : Deidentifier, optional
        The note de-identifier (default rules).
    progress : callable, optional
        Called with the name of each table as it is processed.
    """
    from hopia.warehouse import open_warehouse, write_warehouse
    from hopia.warehouse.schema import OMOP_TABLES

    if isinstance(source, str):
        source = open_warehouse(source, read_only=True)
    if out_url.rstrip("/") == str(source.url).rstrip("/"):
        raise InputError(out_url, "the pseudonymised copy must not overwrite its source")
    surrogates = Surrogates(key)
    deid = deidentifier or Deidentifier()
    identity = _identity(source)
    tables: dict[str, pa.Table] = {}
    latest = dt.date(1900, 1, 1)
    offsets_of: dict[int, int] = {}

    def offsets(ids: np.ndarray) -> np.ndarray:
        out = np.empty(len(ids), dtype=np.int64)
        for i, pid in enumerate(ids.tolist()):
            if pid not in offsets_of:
                offsets_of[pid] = surrogates.date_offset(pid)
            out[i] = offsets_of[pid]
        return out

    for name, columns in OMOP_TABLES.items():
        if not source.has_table(name):
            continue
        if progress:
            progress(name)
        table = source.table(name).to_pyarrow()
        for column in _DROP.get(name, ()):
            if column in table.column_names:
                index = table.column_names.index(column)
                table = table.set_column(
                    index, column, pa.nulls(len(table), table.schema.field(column).type)
                )
        kinds = {c.name: c.type for c in columns}
        if "person_id" in table.column_names and len(table):
            ids = table["person_id"].to_numpy(zero_copy_only=False)
            shift = offsets(ids)
            for column in table.column_names:
                if (
                    kinds.get(column) in ("date", "datetime")
                    or pa.types.is_date(table.schema.field(column).type)
                    or pa.types.is_timestamp(table.schema.field(column).type)
                ):
                    moved = _shift(table[column], shift)
                    table = table.set_column(table.column_names.index(column), column, moved)
                    top = pc.max(moved).as_py()
                    if top is not None:
                        top = top.date() if isinstance(top, dt.datetime) else top
                        latest = max(latest, top)
            if name == "note":
                table = _deidentify_notes(table, ids, shift, deid, surrogates, identity, source)
            pseudonyms = pa.array([surrogates.pseudonym(pid) for pid in ids.tolist()], pa.int64())
            table = table.set_column(table.column_names.index("person_id"), "person_id", pseudonyms)
        if name == "location" and "zip" in table.column_names:
            zips = [_departement(z) for z in table["zip"].to_pylist()]
            table = table.set_column(
                table.column_names.index("zip"), "zip", pa.array(zips, pa.string())
            )
        tables[name] = table
    if "person" in tables and len(tables["person"]):
        person = tables["person"]
        reference = latest.year if latest.year > 1900 else dt.date.today().year
        years = pc.min_element_wise(person["year_of_birth"], pa.scalar(reference + 1, pa.int64()))
        grouped = pc.max_element_wise(years, pa.scalar(reference - _MAX_AGE - 1, pa.int64()))
        tables["person"] = person.set_column(
            person.column_names.index("year_of_birth"), "year_of_birth", grouped
        )
    return write_warehouse(tables, out_url, source="pseudonymised copy (hopia deid warehouse)")


def _deidentify_notes(
    table: pa.Table,
    ids: np.ndarray,
    shift: np.ndarray,
    deid: Deidentifier,
    surrogates: Surrogates,
    identity: dict[int, dict[str, Any]],
    source: Any,
) -> pa.Table:
    """Note text and title with surrogates; dates move by the person's offset."""
    births = _birth_dates(source)
    people: dict[int, PersonData] = {}
    for column in ("note_text", "note_title"):
        if column not in table.column_names:
            continue
        out = []
        for pid, text in zip(ids.tolist(), table[column].to_pylist(), strict=True):
            if not text:
                out.append(text)
                continue
            if pid not in people:
                fields = dict(identity.get(pid, {}))
                fields["person_id"] = str(pid)
                if pid in births:
                    fields["birth_date"] = births[pid]
                people[pid] = PersonData.from_mapping(fields)
            out.append(
                deid.deidentify(text, people[pid], mode="surrogate", surrogates=surrogates)[0]
            )
        table = table.set_column(
            table.column_names.index(column), column, pa.array(out, pa.string())
        )
    return table


def _birth_dates(source: Any) -> dict[int, dt.date]:
    """Full birth dates from the source's person table (to find them in the notes)."""
    if not source.has_table("person"):
        return {}
    rows = (
        source.table("person")
        .select("person_id", "year_of_birth", "month_of_birth", "day_of_birth")
        .to_pyarrow()
        .to_pylist()
    )
    out = {}
    for row in rows:
        if row["year_of_birth"] and row["month_of_birth"] and row["day_of_birth"]:
            try:
                out[int(row["person_id"])] = dt.date(
                    row["year_of_birth"], row["month_of_birth"], row["day_of_birth"]
                )
            except ValueError:
                continue
    return out
