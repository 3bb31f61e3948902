"""``hopia deid text`` and ``hopia deid evaluate``, surrogates and the annotated-note scores."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hopia.cli import app
from hopia.privacy import (
    Deidentifier,
    Entity,
    PersonData,
    Surrogates,
    evaluate_deid,
    parse_annotated,
)

KEY = "a-test-secret-of-sufficient-length"
NOTES = [
    {
        "id": "n1",
        "person_id": "p1",
        "text": "Mme Odile THIRIET, née le 12/03/1961, revue le 3 mars 2024 (tél. 06 12 34 56 78).",
    },
    {
        "id": "n2",
        "person_id": "p1",
        "text": "Mme THIRIET revient le 5 mars 2024. Maladie de Parkinson stable.",
    },
    {
        "id": "n3",
        "person_id": "p2",
        "text": "M. Jean MOUGENOT, IPP : 8001234567, vu le 03/03/2024.",
    },
]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_text_surrogate_mode_is_consistent_and_keeps_offsets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hopia.settings import get_settings

    monkeypatch.setenv("HOPIA_SECRET", KEY)
    get_settings.cache_clear()
    try:
        source = _write(tmp_path / "in.jsonl", NOTES)
        result = CliRunner().invoke(
            app, ["deid", "text", str(source), "--out", str(tmp_path / "out.jsonl")]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    out = _read(tmp_path / "out.jsonl")
    assert [r["id"] for r in out] == ["n1", "n2", "n3"]
    for note, row in zip(NOTES, out, strict=True):
        for e in row["entities"]:
            assert note["text"][e["start"] : e["end"]] == e["text"]
        for e in row["entities"]:
            assert e["text"] not in row["text_deid"] or e["label"] == "ZIP"
    # Same real surname → same fake surname across notes of the person.
    fake = re.search(r"Mme \w+ (\w+),", out[0]["text_deid"])[1]
    assert re.search(r"Mme (\w+) revient", out[1]["text_deid"])[1] == fake
    # Intervals between dates of one person are kept (3 → 5 March: 2 days).
    import datetime as dt

    from hopia.privacy.pipes.dates import parse_date

    d1 = parse_date(next(e["text"] for e in out[0]["entities"] if e["label"] == "DATE"))
    assert d1 is not None
    s = Surrogates(KEY.encode())
    shifted = [s.surrogate(Entity(0, 0, "DATE", t), "p1") for t in ("3 mars 2024", "5 mars 2024")]
    assert shifted[0] in out[0]["text_deid"] and shifted[1] in out[1]["text_deid"]
    a, b = (parse_date(x).as_date() for x in shifted)
    assert (b - a) == dt.timedelta(days=2)
    assert "Parkinson" in out[1]["text_deid"]


def test_text_tag_mode_and_evaluate(tmp_path: Path) -> None:
    gold_rows = []
    for annotated in (
        "Mme <ent label=PRENOM>Odile</ent> <ent label=NOM>THIRIET</ent>, née le <ent label=DATE_NAISSANCE>12/03/1961</ent>.",
        "Contact : <ent label=MAIL>o.thiriet@free.fr</ent>, signe de Babinski négatif.",
    ):
        text, spans = parse_annotated(annotated)
        gold_rows.append(
            {"id": len(gold_rows), "text": text, "entities": [e.as_dict() for e in spans]}
        )
    gold = _write(tmp_path / "gold.jsonl", gold_rows)
    result = CliRunner().invoke(
        app, ["deid", "text", str(gold), "--out", str(tmp_path / "pred.jsonl"), "--mode", "tag"]
    )
    assert result.exit_code == 0, result.output
    assert (
        _read(tmp_path / "pred.jsonl")[0]["text_deid"]
        == "Mme <PRENOM> <NOM>, née le <DATE_NAISSANCE>."
    )
    result = CliRunner().invoke(
        app,
        [
            "deid",
            "evaluate",
            str(gold),
            "--pred",
            str(tmp_path / "pred.jsonl"),
            "--json",
            str(tmp_path / "s.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "any-label recall" in result.output
    scores = json.loads((tmp_path / "s.json").read_text())
    assert scores["strict"]["overall"]["recall"] == 1.0
    assert scores["strict"]["overall"]["precision"] == 1.0


def test_bad_input_line_is_named(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "text": "ok"}\n{"id": 2}\n', encoding="utf-8")
    result = CliRunner().invoke(
        app, ["deid", "text", str(source), "--out", str(tmp_path / "o.jsonl")]
    )
    assert result.exit_code != 0
    assert "line 2" in str(result.exception) and "text" in str(result.exception)
    assert not (tmp_path / "o.jsonl").exists()


def test_evaluate_counts_partial_and_wrong_labels() -> None:
    text = "Dr Jean Petit, 06 12 34 56 78"
    gold = [
        (
            text,
            [
                Entity(3, 7, "PRENOM", "Jean"),
                Entity(8, 13, "NOM", "Petit"),
                Entity(15, 29, "TEL", "06 12 34 56 78"),
            ],
        )
    ]
    pred = [[Entity(3, 13, "NOM", "Jean Petit")]]
    scores = evaluate_deid(gold, pred)
    assert scores["strict"]["NOM"]["recall"] == 0.0
    assert scores["token"]["NOM"]["recall"] == 1.0
    assert scores["token"]["NOM"]["precision"] == 0.5
    assert scores["any_label"]["span_recall"] == pytest.approx(2 / 3)


def test_surrogates_need_a_real_key_and_offsets_are_per_person() -> None:
    with pytest.raises(ValueError):
        Surrogates(b"short")
    s = Surrogates(KEY.encode())
    assert s.date_offset("p1") == s.date_offset("p1") != 0
    assert len({s.date_offset(f"p{i}") for i in range(50)}) > 30
    assert s.pseudonym(1) == s.pseudonym(1) > 0
    fake_nir = s.surrogate(Entity(0, 15, "SECU", "295109912611193"), "p1")
    from hopia.privacy import nir_is_valid

    assert nir_is_valid(fake_nir) and fake_nir != "295109912611193"


def test_person_fields_on_the_line_are_used() -> None:
    person = PersonData.from_mapping({"nom": "Kieffer", "ipp": "8000000421"})
    text = "kieffer, dossier 8000000421"
    assert [(e.text, e.label) for e in Deidentifier().detect(text, person)] == [
        ("kieffer", "NOM"),
        ("8000000421", "IPP"),
    ]
