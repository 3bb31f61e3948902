"""Find hospital and clinic names.

Examples
--------
>>> text = "Transféré du CH de Lunéville au CHRU de Nancy (hôpital de jour)."
>>> [text[c.start:c.end] for c in find_hospitals(text)]
['CH de Lunéville', 'CHRU de Nancy']
"""

from __future__ import annotations

from hopia.privacy._entities import Candidate, candidate, lower
from hopia.privacy.pipes.hospitals import patterns as p


def find_hospitals(text: str) -> list[Candidate]:
    """An institution word with a proper name after it, or a hospital acronym alone."""
    low = lower(text)
    found = []
    for match in p.INSTITUTION_FIND.finditer(low):
        start, end = match.span()
        if start and (text[start - 1].isalnum() or text[start - 1] == "-"):
            continue
        word = text[start:end]
        if " " not in word and len(word) <= 5 and not word.isupper() and word.lower() != "ssr":
            continue  # "ch", "gh" in lower case are not acronyms
        name = p.NAME_AFTER.match(text, end)
        if name:
            found.append(candidate(start, name.end(), "HOPITAL"))
    for match in p.ACRONYM.finditer(low):
        start = match.start()
        if (start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "-")) and text[
            start : match.end()
        ].isupper():
            found.append(candidate(*match.span(), "HOPITAL", bonus=-10))
    return found
