"""The spans that de-identification finds, and how overlapping candidates are settled.

Examples
--------
>>> from hopia.privacy._entities import Candidate, resolve
>>> text = "CHU de Nancy"
>>> [e.label for e in resolve(text, [Candidate(0, 12, "HOPITAL", 50), Candidate(7, 12, "VILLE", 40)])]
['HOPITAL']
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

LABELS: tuple[str, ...] = (
    "NOM",
    "PRENOM",
    "DATE",
    "DATE_NAISSANCE",
    "ADRESSE",
    "VILLE",
    "ZIP",
    "TEL",
    "MAIL",
    "SECU",
    "IPP",
    "NDA",
    "HOPITAL",
)
"""The label set of AP-HP's eds-pseudo."""

# Which rule wins when two candidates overlap (higher first); ties go to the longer span.
PRIORITY: dict[str, int] = {
    "SECU": 90,
    "MAIL": 85,
    "TEL": 80,
    "IPP": 75,
    "NDA": 75,
    "DATE_NAISSANCE": 65,
    "DATE": 60,
    "ADRESSE": 55,
    "HOPITAL": 50,
    "ZIP": 45,
    "VILLE": 40,
    "NOM": 35,
    "PRENOM": 35,
}


class Entity(NamedTuple):
    """One identifying span: ``text[start:end]`` carries ``label``."""

    start: int
    end: int
    label: str
    text: str

    def as_dict(self) -> dict[str, object]:
        """The JSON form used by ``hopia deid text``."""
        return {"start": self.start, "end": self.end, "label": self.label, "text": self.text}


class Candidate(NamedTuple):
    """A span proposed by one component, with the strength of the rule that found it."""

    start: int
    end: int
    label: str
    priority: int


@lru_cache(maxsize=8)
def lower(text: str) -> str:
    """``text`` in lower case with the same length (case-insensitive regexes are slow in
    Python's ``re``; components match cue words on this copy instead)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def boundary_before(text: str, start: int) -> bool:
    """No letter or digit just before ``start``."""
    return start == 0 or not text[start - 1].isalnum()


def candidate(start: int, end: int, label: str, bonus: int = 0) -> Candidate:
    """A candidate at the label's default priority (``bonus`` for stronger or weaker rules)."""
    return Candidate(start, end, label, PRIORITY[label] + bonus)


def resolve(text: str, candidates: Iterable[Candidate]) -> list[Entity]:
    """Keep the strongest non-overlapping candidates, in text order."""
    taken = bytearray(len(text) + 1)  # 1 where a kept span lies
    kept: list[Candidate] = []
    ordered = sorted(
        (c for c in candidates if c.end > c.start),
        key=lambda c: (-c.priority, -(c.end - c.start), c.start),
    )
    for c in ordered:
        if taken.find(1, c.start, c.end) >= 0:
            continue
        taken[c.start : c.end] = b"\x01" * (c.end - c.start)
        kept.append(c)
    kept.sort()
    return [Entity(c.start, c.end, c.label, text[c.start : c.end]) for c in kept]
