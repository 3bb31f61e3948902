"""Find NIRs: a valid control key anywhere, any key after a cue word.

The key is ``97 - (first 13 digits mod 97)``; for Corsica ``2A`` counts as ``19`` and ``2B``
as ``18``.

Examples
--------
>>> nir_is_valid("2 95 10 99 126 111 93"), nir_is_valid("186022A21532523")
(True, True)
>>> nir_is_valid("295109912611199")
False
>>> text = "NIR : 295109912611199. Autre numéro 295109912611199."
>>> [text[c.start:c.end] for c in find_nir(text)]
['295109912611199']
"""

from __future__ import annotations

import re

from hopia.privacy._entities import Candidate, boundary_before, candidate, lower
from hopia.privacy.pipes.nir import patterns as p

_SEPARATORS = re.compile(r"[ .\-]")


def _digits(number: str) -> str:
    return _SEPARATORS.sub("", number).upper()


def nir_key(first13: str) -> int:
    """The control key of the first 13 characters of a NIR (``2A``/``2B`` allowed)."""
    body = first13.upper().replace("2A", "19").replace("2B", "18")
    return 97 - int(body) % 97


def nir_is_valid(number: str) -> bool:
    """True when ``number`` is a 15-character NIR whose key is right."""
    digits = _digits(number)
    if len(digits) != 15 or not re.fullmatch(r"\d{5}(?:\d{2}|2[AB])\d{8}", digits):
        return False
    return nir_key(digits[:13]) == int(digits[13:])


def find_nir(text: str) -> list[Candidate]:
    """Valid NIRs anywhere; NIR-shaped numbers after a cue even with a wrong or missing key."""
    found: dict[tuple[int, int], Candidate] = {}
    for match in p.NIR.finditer(text):
        if match["key"] and boundary_before(text, match.start()) and nir_is_valid(match[0]):
            found[match.span()] = candidate(*match.span(), "SECU")
    for cue in p.CUE.finditer(lower(text)):
        if not boundary_before(text, cue.start()):
            continue
        after = p.AFTER_CUE.match(text, cue.end())
        if after and len(_digits(after["number"])) in (13, 15):
            span = after.span("number")
            found[span] = candidate(*span, "SECU", bonus=2)
    return list(found.values())
