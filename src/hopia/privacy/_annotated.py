"""Annotated French sentences: ``<ent label=NOM>Dupont</ent>`` marks a gold span.

Examples
--------
>>> text, spans = parse_annotated("<ent label=NOM>Dupont</ent> né le <ent label=DATE_NAISSANCE>12/03/1961</ent>")
>>> text, [(e.text, e.label) for e in spans]
('Dupont né le 12/03/1961', [('Dupont', 'NOM'), ('12/03/1961', 'DATE_NAISSANCE')])
"""

from __future__ import annotations

import re

from hopia.privacy._entities import LABELS, Entity

_TAG = re.compile(r"<ent label=(?P<label>[A-Z_]+)>(?P<text>.*?)</ent>", re.DOTALL)


def parse_annotated(annotated: str) -> tuple[str, list[Entity]]:
    """The plain text and its gold spans (offsets into the plain text)."""
    text, spans, last = [], [], 0
    length = 0
    for match in _TAG.finditer(annotated):
        if match["label"] not in LABELS:
            raise ValueError(f"unknown label {match['label']!r}; expected one of {LABELS}")
        before = annotated[last : match.start()]
        text.append(before)
        length += len(before)
        spans.append(Entity(length, length + len(match["text"]), match["label"], match["text"]))
        text.append(match["text"])
        length += len(match["text"])
        last = match.end()
    text.append(annotated[last:])
    return "".join(text), spans
