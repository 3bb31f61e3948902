"""The pseudonymised warehouse copy: nothing identifying left, every interval kept."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hopia.privacy._pseudonymise import pseudonymise_warehouse
from hopia.privacy.pipes.nir import nir_key
from hopia.warehouse import write_warehouse

KEY = b"property-test-secret-0123456789"
SURNAMES = ["Thiriet", "Colnot", "Vautrin", "Mougenot", "Kieffer", "Humbertclaude", "Parisot"]
FIRST = ["Odile", "Ginette", "Lucien", "Fernand", "Yvette", "Gaston", "Huguette"]
STREETS = ["rue des Tanneurs", "rue Mazelle", "quai de la Moselle", "allée des Tilleuls"]

person_strategy = st.tuples(
    st.integers(0, len(SURNAMES) - 1),
    st.integers(0, len(FIRST) - 1),
    st.dates(dt.date(1920, 1, 1), dt.date(2005, 12, 31)),
    st.lists(st.dates(dt.date(2015, 1, 1), dt.date(2024, 12, 31)), min_size=1, max_size=4),
    st.integers(1, 99),
)


def _source(people: list[tuple], folder: Path) -> tuple[str, dict]:
    rows: dict[str, list[dict]] = {
        k: [] for k in ("person", "location", "visit_occurrence", "measurement", "note")
    }
    identity, secrets = [], {"names": set(), "nir": set(), "phone": set(), "street": set()}
    for pid, (s, f, birth, visits, number) in enumerate(people, start=1):
        surname, first = (
            SURNAMES[(s + pid) % len(SURNAMES)] + ("" if pid == 1 else f"{'ab'[pid % 2]}"),
            FIRST[f],
        )
        street = f"{number} {STREETS[pid % len(STREETS)]}"
        body = f"{1 + pid % 2}{birth.year % 100:02d}{birth.month:02d}54{pid:03d}{number:03d}"
        nir = body + f"{nir_key(body):02d}"
        phone = f"06{pid:02d}{number:02d}{pid:02d}{number:02d}"
        identity.append(
            {
                "person_id": pid,
                "surname": surname,
                "first_name": first,
                "address": street,
                "zip": "54000",
                "city": "Nancy",
                "phone": phone,
                "nir": nir,
            }
        )
        secrets["names"].add(surname)
        secrets["nir"].add(nir)
        secrets["phone"].add(phone)
        secrets["street"].add(street)
        rows["location"].append(
            {"location_id": pid, "address_1": street, "city": "Nancy", "zip": "54000"}
        )
        rows["person"].append(
            {
                "person_id": pid,
                "gender_concept_id": 8532,
                "year_of_birth": birth.year,
                "month_of_birth": birth.month,
                "day_of_birth": birth.day,
                "location_id": pid,
                "person_source_value": nir,
            }
        )
        for k, day in enumerate(visits):
            vid = pid * 100 + k
            rows["visit_occurrence"].append(
                {
                    "visit_occurrence_id": vid,
                    "person_id": pid,
                    "visit_start_date": day,
                    "visit_start_datetime": dt.datetime.combine(day, dt.time(8, 30)),
                    "visit_end_date": day + dt.timedelta(days=k + 1),
                }
            )
            rows["measurement"].append(
                {
                    "measurement_id": vid,
                    "person_id": pid,
                    "measurement_date": day,
                    "measurement_datetime": dt.datetime.combine(day, dt.time(9, 15)),
                }
            )
            rows["note"].append(
                {
                    "note_id": vid,
                    "person_id": pid,
                    "note_date": day,
                    "note_title": f"CRH {surname}",
                    "note_text": f"Mme {first} {surname.upper()}, née le {birth:%d/%m/%Y}, "
                    f"demeurant {street}, 54000 Nancy. Tél {phone[:2]} {phone[2:4]} {phone[4:6]} "
                    f"{phone[6:8]} {phone[8:]}. NIR {nir}. Vue le {day:%d/%m/%Y}. "
                    f"{surname} a une maladie de Parkinson.",
                }
            )
    tables = {name: pa.Table.from_pylist(r) for name, r in rows.items() if r}
    url = f"duckdb:///{folder}/source.duckdb"
    write_warehouse(tables, url, extra={"synth_truth.identity": pa.Table.from_pylist(identity)})
    return url, secrets


def _all_text(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
        ).fetchall()
        chunks = []
        for schema, table in names:
            for row in con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall():
                chunks.append(" ".join("" if v is None else str(v) for v in row))
        return "\n".join(chunks)
    finally:
        con.close()


def _dates_by_person(path: Path) -> dict[int, list[tuple[str, int, object]]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        out: dict[int, list] = {}
        for table, id_col, cols in (
            (
                "visit_occurrence",
                "visit_occurrence_id",
                ("visit_start_date", "visit_start_datetime", "visit_end_date"),
            ),
            ("measurement", "measurement_id", ("measurement_date", "measurement_datetime")),
            ("note", "note_id", ("note_date",)),
        ):
            for row in con.execute(
                f"SELECT person_id, {id_col}, {', '.join(cols)} FROM {table}"
            ).fetchall():
                for name, value in zip(cols, row[2:], strict=True):
                    out.setdefault(row[0], []).append((f"{table}.{name}", row[1] % 1000, value))
        return out
    finally:
        con.close()


def _intervals(events: list[tuple[str, int, object]]) -> dict:
    def seconds(v: object) -> float:
        if isinstance(v, dt.datetime):
            return v.timestamp()
        return dt.datetime.combine(v, dt.time()).timestamp()  # type: ignore[arg-type]

    events = sorted(events, key=lambda e: (e[0], e[1]))
    first = seconds(events[0][2])
    return {(e[0], e[1]): seconds(e[2]) - first for e in events}


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(person_strategy, min_size=1, max_size=4))
def test_copy_has_no_identifier_and_keeps_intervals(people: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url, secrets = _source(people, folder)
        pseudonymise_warehouse(url, f"duckdb:///{folder}/copy.duckdb", KEY)
        text = _all_text(folder / "copy.duckdb")
        for kind, values in secrets.items():
            for value in values:
                assert value.lower() not in text.lower(), f"{kind} {value!r} left in the copy"
        assert "Parkinson" in text
        source_dates = _dates_by_person(folder / "source.duckdb")
        copy_dates = _dates_by_person(folder / "copy.duckdb")
        assert len(source_dates) == len(copy_dates)
        assert not set(source_dates) & set(copy_dates), "person ids were not replaced"
        source_shapes = sorted(sorted(_intervals(e).items()) for e in source_dates.values())
        copy_shapes = sorted(sorted(_intervals(e).items()) for e in copy_dates.values())
        assert source_shapes == copy_shapes
        shifted = [
            a != b
            for a, b in zip(
                sorted(map(str, source_dates.values())),
                sorted(map(str, copy_dates.values())),
                strict=True,
            )
        ]
        assert all(shifted), "dates were not moved"


def test_copy_is_idempotent_coarsens_and_groups_ages(tmp_path: Path) -> None:
    url, _ = _source([(0, 0, dt.date(1925, 5, 5), [dt.date(2024, 1, 10)], 7)], tmp_path)
    first = pseudonymise_warehouse(url, f"duckdb:///{tmp_path}/a.duckdb", KEY)
    second = pseudonymise_warehouse(url, f"duckdb:///{tmp_path}/b.duckdb", KEY)
    for table in ("person", "location", "visit_occurrence", "note"):
        assert first.table(table).to_pyarrow().equals(second.table(table).to_pyarrow())
    person = first.table("person").to_pyarrow().to_pylist()[0]
    assert person["month_of_birth"] is None and person["day_of_birth"] is None
    latest = first.table("visit_occurrence").to_pyarrow()["visit_end_date"].to_pylist()[0]
    assert latest.year - person["year_of_birth"] == 90  # born 1925: over 89, grouped at 90
    location = first.table("location").to_pyarrow().to_pylist()[0]
    assert location["zip"] == "54" and location["address_1"] is None and location["city"] is None
    assert not first.has_table("identity", "synth_truth")


def test_cli_refuses_without_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hopia.cli import app
    from hopia.settings import get_settings

    monkeypatch.delenv("HOPIA_SECRET", raising=False)
    monkeypatch.delenv("HOPIA_SECRET_FILE", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["deid", "warehouse", "--out", str(tmp_path / "x.duckdb")])
        assert result.exit_code != 0
        assert "HOPIA_SECRET" in str(result.exception)
        url, _ = _source([(1, 1, dt.date(1950, 1, 2), [dt.date(2020, 3, 4)], 3)], tmp_path)
        key_file = tmp_path / "key"
        key_file.write_bytes(KEY)
        result = CliRunner().invoke(
            app,
            [
                "deid",
                "warehouse",
                "-w",
                url,
                "--out",
                str(tmp_path / "x.duckdb"),
                "--key-file",
                str(key_file),
            ],
        )
        assert result.exit_code == 0, result.output
        assert (tmp_path / "x.duckdb").exists()
    finally:
        get_settings.cache_clear()
