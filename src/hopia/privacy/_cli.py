"""Privacy verbs: ``hopia deid text``, ``hopia deid evaluate``, ``hopia deid warehouse``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

deid_app = typer.Typer(
    help="De-identify French clinical notes; write a pseudonymised warehouse copy.",
    no_args_is_help=True,
)

KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="File holding the secret key (default: HOPIA_SECRET / HOPIA_SECRET_FILE).",
    ),
]


@deid_app.command("text")
def text_cmd(
    input_path: Annotated[
        Path,
        typer.Argument(metavar="INPUT.jsonl", help='Lines {"id", "text", optional person fields}.'),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Output JSON lines {id, text_deid, entities}.")
    ],
    mode: Annotated[
        str, typer.Option("--mode", help="surrogate (fake values) or tag (<NOM>).")
    ] = "surrogate",
    key_file: KeyFileOption = None,
    ipp_pattern: Annotated[
        list[str] | None, typer.Option("--ipp-pattern", help="Site IPP regex (repeatable).")
    ] = None,
    nda_pattern: Annotated[
        list[str] | None, typer.Option("--nda-pattern", help="Site NDA regex (repeatable).")
    ] = None,
) -> None:
    """De-identify notes: entities with offsets into the original text, and the new text."""
    import dataclasses
    import os
    from typing import cast

    from hopia.errors import InputError
    from hopia.privacy._deid import Deidentifier, Mode
    from hopia.privacy._key import load_key
    from hopia.privacy._notes_io import person_of, read_notes, write_lines
    from hopia.privacy._surrogates import Surrogates

    if mode not in ("surrogate", "tag"):
        raise InputError("--mode", f"expected surrogate or tag, got {mode!r}")
    surrogates = None
    if mode == "surrogate":
        key = load_key(key_file)
        if key is None:
            # Safe default: a throw-away key keeps surrogates consistent within this run only.
            key = os.urandom(32)
            typer.echo("no HOPIA_SECRET: surrogates are consistent within this run only", err=True)
        surrogates = Surrogates(key)
    deid = Deidentifier(ipp_patterns=ipp_pattern or (), nda_patterns=nda_pattern or ())
    place = str(input_path)

    def records() -> Any:
        for line, record in read_notes(input_path):
            person = person_of(record, place, line)
            if person.person_id is None:
                person = dataclasses.replace(person, person_id=str(record["id"]))
            text_deid, entities = deid.deidentify(
                record["text"], person, mode=cast(Mode, mode), surrogates=surrogates
            )
            yield {
                "id": record["id"],
                "text_deid": text_deid,
                "entities": [e.as_dict() for e in entities],
            }

    count = write_lines(out, records())
    typer.echo(f"{count} notes de-identified → {out}")


@deid_app.command("evaluate")
def evaluate_cmd(
    gold_path: Annotated[
        Path, typer.Argument(metavar="GOLD.jsonl", help='Lines {"id", "text", "entities"}.')
    ],
    pred: Annotated[
        Path | None,
        typer.Option(
            "--pred",
            help="Predictions (output of `hopia deid text`); default: run hopia on the gold texts.",
        ),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the scores as JSON.")
    ] = None,
) -> None:
    """Precision, recall, F1 per label (strict and token match) and any-label recall."""
    import json

    from hopia.errors import InputError
    from hopia.privacy._deid import Deidentifier
    from hopia.privacy._evaluate import evaluate_deid
    from hopia.privacy._notes_io import entities_of, person_of, read_notes

    gold, ids, people = [], [], []
    for line, record in read_notes(gold_path):
        gold.append((record["text"], entities_of(record, str(gold_path), line, record["text"])))
        ids.append(record["id"])
        people.append(person_of(record, str(gold_path), line))
    if pred is None:
        deid = Deidentifier()
        predicted = [
            deid.detect(text, person) for (text, _), person in zip(gold, people, strict=True)
        ]
    else:
        by_id = {}
        if not pred.is_file():
            raise InputError(str(pred), "file not found")
        with pred.open(encoding="utf-8") as lines:
            for line, raw in enumerate(lines, start=1):
                if raw.strip():
                    record = json.loads(raw)
                    by_id[record.get("id")] = entities_of(record, str(pred), line, None)
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise InputError(
                str(pred), f"no prediction for {len(missing)} gold notes (e.g. id {missing[0]!r})"
            )
        predicted = [by_id[i] for i in ids]
    scores = evaluate_deid(gold, predicted)
    _print_scores(scores)
    if json_out is not None:
        json_out.write_text(json.dumps(scores, indent=2))


def _print_scores(scores: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="de-identification scores")
    table.add_column("label", no_wrap=True)
    for match in ("strict", "token"):
        for metric in ("P", "R", "F1"):
            table.add_column(f"{match} {metric}", justify="right")
    table.add_column("gold spans", justify="right")
    for label in scores["strict"]:
        s, t = scores["strict"][label], scores["token"][label]
        if label != "overall" and not s["support"] and not s["precision"] < 1:
            continue
        table.add_row(
            label,
            *(f"{m[k]:.3f}" for m in (s, t) for k in ("precision", "recall", "f1")),
            str(s["support"]),
        )
    console = Console()
    console.print(table)
    anyl = scores["any_label"]
    console.print(
        f"any-label recall: tokens {anyl['token_recall']:.4f}, "
        f"spans fully masked {anyl['span_recall']:.4f} (of {anyl['gold_spans']})"
    )


@deid_app.command("warehouse")
def warehouse_cmd(
    out: Annotated[str, typer.Option("--out", help="Target: a .duckdb path or a warehouse URL.")],
    warehouse: Annotated[
        str | None,
        typer.Option("--warehouse", "-w", help="Source warehouse URL (default: HOPIA_WAREHOUSE)."),
    ] = None,
    key_file: KeyFileOption = None,
) -> None:
    """Write a pseudonymised copy of the warehouse (refuses to run without a secret key)."""
    from hopia.errors import InputError
    from hopia.privacy._key import load_key
    from hopia.privacy._pseudonymise import pseudonymise_warehouse
    from hopia.settings import get_settings

    key = load_key(key_file)
    if key is None:
        raise InputError(
            "pseudonymisation key", "set HOPIA_SECRET or HOPIA_SECRET_FILE, or pass --key-file"
        )
    source = warehouse or get_settings().warehouse_url
    target = out if "://" in out or out == "spark-local" else f"duckdb:///{Path(out).resolve()}"
    copy = pseudonymise_warehouse(
        source, target, key, progress=lambda t: typer.echo(f"  {t}", err=True)
    )
    rows = copy.summary().get("rows", {}) if hasattr(copy, "summary") else {}
    typer.echo(
        f"pseudonymised copy written → {target}" + (f" ({sum(rows.values())} rows)" if rows else "")
    )


def register(app: typer.Typer) -> None:
    """Attach ``hopia deid …``."""
    app.add_typer(deid_app, name="deid")
