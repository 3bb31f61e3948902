"""Exports of a warehouse: MEDS 0.4 and plain Parquet, each written whole or not at all.

Examples
--------
>>> from hopia.warehouse._export import split_of
>>> [split_of(s, seed=0) for s in range(3)]
['train', 'train', 'train']
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import ibis
import ibis.expr.datatypes as idt
import pyarrow as pa
import pyarrow.parquet as pq

from hopia import __version__
from hopia.errors import InputError
from hopia.warehouse.schema import OMOP_TABLES

if TYPE_CHECKING:
    from hopia.warehouse._connection import Warehouse

_GENDERS = {8507: "GENDER/M", 8532: "GENDER/F"}


def split_of(subject_id: int, seed: int = 42) -> str:
    """A subject's MEDS split (80 % train, 10 % tuning, 10 % held out), stable for a seed."""
    bucket = int(hashlib.sha256(f"{seed}:{subject_id}".encode()).hexdigest()[:8], 16) % 10
    return "held_out" if bucket == 9 else "tuning" if bucket == 8 else "train"


def _meds_events(wh: Warehouse) -> ibis.Table:
    events = wh.events()
    data = events.select(
        subject_id=events.person_id,
        time=events.time,
        code=events.code,
        numeric_value=events.value.cast(idt.float32),
        text_value=events.text_value,
    )
    person = wh.table("person")
    birth_time = ibis.coalesce(
        person.birth_datetime,
        ibis.timestamp(
            person.year_of_birth.cast("int32"),
            person.month_of_birth.fill_null(1).cast("int32"),
            person.day_of_birth.fill_null(1).cast("int32"),
            0,
            0,
            0,
        ),
    )
    births = person.select(
        subject_id=person.person_id,
        time=birth_time,
        code=ibis.literal("MEDS_BIRTH"),
        numeric_value=ibis.null(idt.float32),
        text_value=ibis.null(idt.string),
    )
    gender = ibis.cases(
        *((person.gender_concept_id == k, v) for k, v in _GENDERS.items()), else_=None
    )
    statics = person.filter(gender.notnull()).select(
        subject_id=person.person_id,
        time=ibis.null(idt.timestamp),
        code=gender,
        numeric_value=ibis.null(idt.float32),
        text_value=ibis.null(idt.string),
    )
    deaths = data.code == "DEATH"
    data = data.mutate(code=ibis.ifelse(deaths, "MEDS_DEATH", data.code))
    return statics.union(births, distinct=False).union(data, distinct=False)


def export_meds(
    wh: Warehouse, out: Path | str, *, seed: int = 42, dataset_name: str = "hopia"
) -> Path:
    """Write the warehouse as a MEDS 0.4 data set (``data/``, ``metadata/``) at ``out``.

    The folder is built beside ``out`` and renamed into place at the end.
    """
    import meds

    out = Path(out)
    staging = _staging(out)
    try:
        table = _meds_events(wh).to_pyarrow()
        table = table.sort_by(
            [("subject_id", "ascending"), ("time", "ascending", "at_start"), ("code", "ascending")]
        )
        table = meds.DataSchema.align(table) if hasattr(meds.DataSchema, "align") else table
        (staging / "data").mkdir(parents=True)
        (staging / "metadata").mkdir()
        pq.write_table(table, staging / "data" / "0.parquet")
        codes = sorted(set(table.column("code").to_pylist()))
        descriptions = _code_descriptions(wh)
        pq.write_table(
            pa.table(
                {
                    "code": pa.array(codes, pa.string()),
                    "description": pa.array([descriptions.get(c) for c in codes], pa.string()),
                    "parent_codes": pa.array([[] for _ in codes], pa.list_(pa.string())),
                }
            ),
            staging / meds.code_metadata_filepath,
        )
        subjects = sorted(set(table.column("subject_id").to_pylist()))
        pq.write_table(
            pa.table(
                {
                    "subject_id": pa.array(subjects, pa.int64()),
                    "split": pa.array([split_of(s, seed) for s in subjects], pa.string()),
                }
            ),
            staging / meds.subject_splits_filepath,
        )
        metadata = {
            "dataset_name": dataset_name,
            "dataset_version": wh.snapshot_id,
            "etl_name": "hopia",
            "etl_version": __version__,
            "meds_version": "0.4.1",
            "created_at": dt.datetime.now().replace(microsecond=0).isoformat(),
        }
        (staging / meds.dataset_metadata_filepath).write_text(json.dumps(metadata, indent=2))
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def _code_descriptions(wh: Warehouse) -> dict[str, str]:
    concept = wh.table("concept")
    rows = concept.select(
        code=concept.vocabulary_id.upper() + "/" + concept.concept_code.strip(),
        name=concept.concept_name,
    ).to_pyarrow()
    return dict(zip(rows.column("code").to_pylist(), rows.column("name").to_pylist(), strict=True))


def export_parquet(wh: Warehouse, out: Path | str) -> Path:
    """Write every OMOP table of the warehouse as ``<table>.parquet`` in ``out``."""
    out = Path(out)
    staging = _staging(out)
    try:
        staging.mkdir(parents=True)
        for name in OMOP_TABLES:
            if wh.has_table(name):
                pq.write_table(wh.table(name).to_pyarrow(), staging / f"{name}.parquet")
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def _staging(out: Path) -> Path:
    if (
        out.exists()
        and (not out.is_dir() or any(out.iterdir()))
        and not (out / "metadata").exists()
        and not any(out.glob("*.parquet"))
    ):
        raise InputError(
            str(out), "exists and is not an earlier export; choose an empty or new folder"
        )
    staging = out.with_name(f".{out.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    return staging


def _swap(staging: Path, out: Path) -> None:
    old = out.with_name(f".{out.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)
