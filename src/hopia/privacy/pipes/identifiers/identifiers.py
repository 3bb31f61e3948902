"""Find patient (IPP) and stay (NDA) numbers.

Examples
--------
>>> text = "IPP : 8001234567 - N° de séjour 2024-118734"
>>> [(text[c.start:c.end], c.label) for c in find_identifiers(text)]
[('8001234567', 'IPP'), ('2024-118734', 'NDA')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hopia.privacy._entities import Candidate, boundary_before, candidate, lower
from hopia.privacy.pipes.identifiers import patterns as p


def find_identifiers(
    text: str,
    ipp_patterns: Sequence[re.Pattern[str]] = (),
    nda_patterns: Sequence[re.Pattern[str]] = (),
) -> list[Candidate]:
    """Numbers after an IPP or NDA cue, and matches of the site's own formats."""
    found = []
    for label, cue_pattern in (("IPP", p.IPP_CUE), ("NDA", p.NDA_CUE)):
        for cue in cue_pattern.finditer(lower(text)):
            if not boundary_before(text, cue.start()):
                continue
            match = p.NUMBER_AFTER_CUE.match(text, cue.end())
            if match:
                found.append(candidate(*match.span("number"), label))
    for label, site in (("IPP", ipp_patterns), ("NDA", nda_patterns)):
        for pattern in site:
            found.extend(candidate(*m.span(), label, bonus=1) for m in pattern.finditer(text))
    return found
