"""Find the values of the note's own person (as eds-pseudo's context component does).

Examples
--------
>>> person = PersonData.from_mapping({"nom": "Thiriet", "prenom": "Odile", "birth_date": "1961-03-12"})
>>> text = "Patiente THIRIET Odile, DDN 12.03.61."
>>> [(text[c.start:c.end], c.label) for c in find_person_data(text, person)]
[('THIRIET', 'NOM'), ('Odile', 'PRENOM'), ('12.03.61', 'DATE_NAISSANCE')]
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

from hopia.privacy._entities import Candidate, candidate
from hopia.privacy.pipes.context import patterns as p


@dataclass(frozen=True)
class PersonData:
    """What the warehouse knows about the person a note is about (every field optional)."""

    person_id: str | None = None
    last_name: str | None = None
    birth_name: str | None = None
    first_name: str | None = None
    birth_date: dt.date | None = None
    address: str | None = None
    city: str | None = None
    zip: str | None = None
    phone: str | None = None
    email: str | None = None
    nir: str | None = None
    ipp: str | None = None
    nda: str | None = None

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> PersonData:
        """Read the fields from a JSON line (English or French field names; others ignored).

        Raises ``ValueError`` for a birth date that is not ``YYYY-MM-DD``.
        """
        known: dict[str, Any] = {}
        for key, value in values.items():
            name = p.FIELD_ALIASES.get(str(key).lower())
            if name is None or value is None or value == "":
                continue
            if name == "birth_date" and not isinstance(value, dt.date):
                value = dt.date.fromisoformat(str(value)[:10])
            elif name != "birth_date":
                value = str(value)
            known[name] = value
        return cls(**known)

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self) if f.name != "person_id")

    @cached_property
    def _patterns(self) -> list[tuple[re.Pattern[str], str]]:
        found: list[tuple[re.Pattern[str] | None, str]] = [
            (p.flexible_words(self.last_name or ""), "NOM"),
            (p.flexible_words(self.birth_name or ""), "NOM"),
            (p.flexible_words(self.first_name or ""), "PRENOM"),
            (p.flexible_words(self.address or ""), "ADRESSE"),
            (p.flexible_words(self.city or ""), "VILLE"),
            (p.flexible_digits(self.zip or ""), "ZIP"),
            (p.flexible_digits(self.phone or ""), "TEL"),
            (p.flexible_digits(self.nir or ""), "SECU"),
            (p.flexible_digits(self.ipp or ""), "IPP"),
            (p.flexible_digits(self.nda or ""), "NDA"),
        ]
        if self.email:
            found.append((re.compile(re.escape(self.email), re.IGNORECASE), "MAIL"))
        if self.birth_date:
            forms = "|".join(re.escape(f) for f in p.birth_date_forms(self.birth_date))
            found.append(
                (re.compile(rf"(?<![\d])(?:{forms})(?![\d])", re.IGNORECASE), "DATE_NAISSANCE")
            )
        return [(pattern, label) for pattern, label in found if pattern is not None]


def find_person_data(text: str, person: PersonData | None) -> list[Candidate]:
    """Every verbatim occurrence of the person's own values."""
    if person is None:
        return []
    return [
        candidate(*m.span(), label, bonus=6)
        for pattern, label in person._patterns
        for m in pattern.finditer(text)
    ]
