"""NIR shapes: sex, year, month, département (2A/2B for Corsica), commune, order, key.

Separators may be spaces, dots or dashes between the groups: ``2 95 10 99 126 111 93``,
``186022A21532523``, ``1.86.02.2A.215.325.25``.
"""

from __future__ import annotations

import re

_S = r"[ .\-]?"
NIR = re.compile(
    r"(?P<body>[1-478]"
    + _S
    + r"\d{2}"
    + _S
    + r"(?:0[1-9]|1[0-2]|[2-9]\d)"
    + _S
    + r"(?:\d{2}|2[ABab])"
    + _S
    + r"\d{3}"
    + _S
    + r"\d{3})(?:"
    + _S
    + r"(?P<key>\d{2}))?(?![\w])"
)
# After a cue, any 13 to 15 digit number (with separators) is a NIR whatever its key.
# Matched on the lower-cased text.
CUE = re.compile(
    r"s[ée]curit[ée]\s+sociale|nir\b|n°\s*(?:de\s+)?s\.?s\.?(?![\w])|num[ée]ro\s+(?:de\s+)?s\.?s\.?(?![\w])|"
    r"n°\s*(?:de\s+)?s[ée]cu\b|s[ée]cu\b|insee\b|immatriculation\b|n°\s*assur[ée]\b"
)
AFTER_CUE = re.compile(
    r"[\s:=n°.]*(?:\(?[a-zé ]{0,12}\)?\s*:?\s*)?(?P<number>[1-478](?:[ .\-]?[\dABab]){12,14})(?![\w])"
)
