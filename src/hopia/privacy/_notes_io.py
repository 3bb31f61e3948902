"""Reading and writing the JSON-lines files of ``hopia deid text`` and ``hopia deid evaluate``.

Input line: ``{"id": …, "text": …}`` plus optional person fields (top level or under
``"person"``: ``person_id``, ``last_name``/``nom``, ``first_name``/``prenom``,
``birth_date`` (YYYY-MM-DD), ``address``, ``city``, ``zip``, ``phone``, ``email``, ``nir``,
``ipp``, ``nda``). Output line: ``{"id", "text_deid", "entities": [{"start", "end", "label",
"text"}]}`` with offsets into the original text.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from hopia.errors import InputError
from hopia.privacy._entities import LABELS, Entity
from hopia.privacy.pipes.context import PersonData


def read_notes(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-empty line; a bad line names itself."""
    if not path.is_file():
        raise InputError(str(path), "file not found")
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(str(path), f"not valid JSON ({error.msg})", line=number) from None
            if not isinstance(record, dict):
                raise InputError(str(path), "expected a JSON object", line=number)
            if "id" not in record:
                raise InputError(str(path), "missing", line=number, field="id")
            if not isinstance(record.get("text"), str):
                raise InputError(str(path), "expected a string", line=number, field="text")
            yield number, record


def person_of(record: dict[str, Any], place: str, line: int) -> PersonData:
    """The person fields of a line (an empty ``PersonData`` when there are none)."""
    fields = dict(record.get("person") or {})
    fields.update(
        {k: v for k, v in record.items() if k not in ("id", "text", "entities", "person")}
    )
    try:
        person = PersonData.from_mapping(fields)
    except ValueError:
        raise InputError(
            place, "expected a date YYYY-MM-DD", line=line, field="birth_date"
        ) from None
    return person


def entities_of(record: dict[str, Any], place: str, line: int, text: str | None) -> list[Entity]:
    """The ``entities`` of a gold or predicted line, checked against the text."""
    spans = record.get("entities")
    if not isinstance(spans, list):
        raise InputError(place, "expected a list of spans", line=line, field="entities")
    out = []
    for span in spans:
        try:
            start, end, label = int(span["start"]), int(span["end"]), str(span["label"])
        except (KeyError, TypeError, ValueError):
            raise InputError(
                place, "each span needs integer start, end and a label", line=line, field="entities"
            ) from None
        if label not in LABELS:
            raise InputError(place, f"unknown label {label!r}", line=line, field="entities")
        if text is not None and not 0 <= start < end <= len(text):
            raise InputError(
                place, f"span {start}-{end} outside the text", line=line, field="entities"
            )
        out.append(
            Entity(start, end, label, text[start:end] if text is not None else span.get("text", ""))
        )
    return sorted(out)


def write_lines(path: Path, records: Iterable[dict[str, Any]]) -> int:
    """Write JSON lines atomically (a temporary file renamed at the end); the line count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    count = 0
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count
