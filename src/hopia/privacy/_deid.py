"""The note de-identifier: every rule component, overlaps settled, names spread in the note.

Examples
--------
>>> deid = Deidentifier()
>>> text = "Mme Odile THIRIET, née le 12/03/1961, tél. 06 12 34 56 78. Maladie de Parkinson."
>>> [(e.text, e.label) for e in deid.detect(text)]
[('Odile', 'PRENOM'), ('THIRIET', 'NOM'), ('12/03/1961', 'DATE_NAISSANCE'), ('06 12 34 56 78', 'TEL')]
>>> deid.deidentify(text, mode="tag")[0]
'Mme <PRENOM> <NOM>, née le <DATE_NAISSANCE>, tél. <TEL>. Maladie de Parkinson.'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from hopia.privacy._entities import Candidate, Entity, candidate, resolve
from hopia.privacy._surrogates import Surrogates, tag_text
from hopia.privacy.pipes.contact import find_contacts
from hopia.privacy.pipes.context import PersonData, find_person_data
from hopia.privacy.pipes.dates import find_dates, parse_date
from hopia.privacy.pipes.hospitals import find_hospitals
from hopia.privacy.pipes.identifiers import find_identifiers
from hopia.privacy.pipes.names import find_names, is_name_word
from hopia.privacy.pipes.nir import find_nir
from hopia.privacy.pipes.places import find_places

Mode = Literal["surrogate", "tag"]


class Deidentifier:
    """Rules that find identifying spans in French clinical notes.

    Parameters
    ----------
    ipp_patterns, nda_patterns : sequence of str
        The site's own formats of patient and stay numbers (regular expressions), matched
        anywhere in the text; without them, IPP and NDA are found after their cue words.
    spread_names : bool, default True
        A name found once by its context is also masked where it appears alone in the note.

    Examples
    --------
    >>> Deidentifier(ipp_patterns=[r"\\b8\\d{9}\\b"]).detect("dossier 8001234567")[0].label
    'IPP'
    """

    def __init__(
        self,
        *,
        ipp_patterns: Sequence[str] = (),
        nda_patterns: Sequence[str] = (),
        spread_names: bool = True,
    ) -> None:
        self.ipp_patterns = tuple(ipp_patterns)
        self.nda_patterns = tuple(nda_patterns)
        self.spread_names = spread_names
        self._ipp = [re.compile(x) for x in self.ipp_patterns]
        self._nda = [re.compile(x) for x in self.nda_patterns]

    def candidates(self, text: str, person: PersonData | None = None) -> list[Candidate]:
        """Every span proposed by a component, before overlaps are settled."""
        found = find_nir(text)
        found += find_contacts(text)
        found += find_identifiers(text, self._ipp, self._nda)
        found += find_dates(text)
        found += find_places(text)
        found += find_hospitals(text)
        found += find_names(text)
        found += find_person_data(text, person)
        return found

    def detect(self, text: str, person: PersonData | None = None) -> list[Entity]:
        """The identifying spans of ``text``, in order, without overlaps."""
        found = self.candidates(text, person)
        if person is not None and person.birth_date is not None:
            found = [_birth_date(text, c, person) for c in found]
        entities = resolve(text, found)
        if self.spread_names:
            known = {(e.start, e.end) for e in entities}
            extra = [c for c in _spread_names(text, entities) if (c.start, c.end) not in known]
            if extra:
                entities = resolve(text, found + extra)
        return entities

    def deidentify(
        self,
        text: str,
        person: PersonData | None = None,
        *,
        mode: Mode = "tag",
        surrogates: Surrogates | None = None,
    ) -> tuple[str, list[Entity]]:
        """The text with its identifying spans replaced, and the spans (offsets into ``text``).

        ``mode="tag"`` writes ``<LABEL>``; ``mode="surrogate"`` writes consistent fake values
        (needs ``surrogates``, which holds the key).
        """
        entities = self.detect(text, person)
        if mode == "tag":
            return tag_text(text, entities), entities
        if surrogates is None:
            raise ValueError("surrogate mode needs a Surrogates object (it holds the key)")
        person_id = person.person_id if person is not None else None
        return surrogates.replace(text, entities, person_id), entities


def _birth_date(text: str, c: Candidate, person: PersonData) -> Candidate:
    """A date equal to the person's birth date is a DATE_NAISSANCE."""
    if c.label != "DATE":
        return c
    parts = parse_date(text[c.start : c.end])
    if parts is not None and parts.year is not None and parts.as_date() == person.birth_date:
        return candidate(c.start, c.end, "DATE_NAISSANCE")
    return c


def _spread_names(text: str, entities: list[Entity]) -> list[Candidate]:
    """Other occurrences of the names found by context (a weaker rule)."""
    names: dict[str, str] = {}
    for e in entities:
        if e.label in ("NOM", "PRENOM") and len(e.text) >= 3 and is_name_word(e.text):
            names.setdefault(e.text, e.label)
            names.setdefault(e.text.upper(), e.label)
    found = []
    for name, label in names.items():
        start = text.find(name)
        while start >= 0:
            end = start + len(name)
            before = text[start - 1] if start else " "
            after = text[end] if end < len(text) else " "
            if not (before.isalnum() or before == "-" or after.isalnum() or after == "-"):
                found.append(candidate(start, end, label, bonus=-10))
            start = text.find(name, end)
    return found
