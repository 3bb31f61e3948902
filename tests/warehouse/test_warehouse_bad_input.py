"""Bad input gets a clear error naming the file, line and field; the previous warehouse stays."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hopia.errors import InputError, LoadError
from hopia.warehouse import open_warehouse
from hopia.warehouse._omop import load_omop

CORPUS = Path(__file__).parent / "bad_omop"


@pytest.fixture
def loaded(tmp_path: Path) -> tuple[str, str]:
    url = f"duckdb:///{tmp_path}/w.duckdb"
    wh = load_omop(CORPUS / "good", url).warehouse
    snapshot = wh.snapshot_id
    wh.close()
    return url, snapshot


@pytest.mark.parametrize(
    ("folder", "pattern"),
    [
        ("truncated_csv", r"person\.csv, line 4: expected 4 fields, found 2"),
        (
            "bad_date",
            r"visit_occurrence\.csv, line 3, field visit_start_date: expected a date YYYY-MM-DD, got '01/03/2024'",
        ),
        (
            "wrong_type",
            r"PERSON\.csv, line 3, field year_of_birth: expected an integer, got 'nineteen'",
        ),
        ("unknown_table", r"patients_extra\.csv: unknown table 'patients_extra'"),
        (
            "missing_required",
            r"person, field person_id: 1 rows without a value in a required column",
        ),
    ],
)
def test_bad_omop_input_is_refused_and_previous_warehouse_kept(
    loaded, folder: str, pattern: str
) -> None:
    url, snapshot = loaded
    with pytest.raises(LoadError, match=pattern):
        load_omop(CORPUS / folder, url)
    wh = open_warehouse(url, read_only=True)
    assert wh.snapshot_id == snapshot
    assert wh.table("person").count().execute() == 2
    path = Path(url.removeprefix("duckdb:///"))
    assert [p.name for p in path.parent.iterdir() if ".building-" in p.name] == []


def test_missing_source_is_clear(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        load_omop(tmp_path / "nope", f"duckdb:///{tmp_path}/w.duckdb")


def test_killed_load_leaves_previous_warehouse(loaded, external: Path) -> None:
    """A load process killed mid-way (SIGKILL) changes nothing; the next load cleans its leftovers."""
    url, snapshot = loaded
    folder = Path(url.removeprefix("duckdb:///")).parent
    code = (
        f"import sys; from hopia.warehouse._omop import load_omop; load_omop(sys.argv[1], {url!r})"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(external / "eunomia-gibleed/GiBleed_5.3_csv.zip")]
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(".building-" in p.name for p in folder.iterdir()):
        assert proc.poll() is None, "the load finished before it could be killed"
        time.sleep(0.05)
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    wh = open_warehouse(url, read_only=True)
    assert wh.snapshot_id == snapshot and wh.table("person").count().execute() == 2
    wh.close()
    assert any(".building-" in p.name for p in folder.iterdir())
    load_omop(CORPUS / "good", url)
    assert not any(".building-" in p.name for p in folder.iterdir())
