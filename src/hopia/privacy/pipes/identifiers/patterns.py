"""Cue words (matched on the lower-cased text) of the patient number (IPP) and stay number (NDA), and the number after them.

A site sets its own formats (``Deidentifier(ipp_patterns=[r"\\b8\\d{9}\\b"])``) to catch
its numbers without a cue.
"""

from __future__ import annotations

import re

IPP_CUE = re.compile(
    r"(?:ipp\b|nip\b|n°\s*(?:de\s+)?patient\b|num[ée]ro\s+(?:de\s+)?patient\b|"
    r"identifiant\s+(?:permanent\s+)?(?:du\s+)?patient\b|n°\s*(?:de\s+)?dossier\s+patient\b|"
    r"id\s+patient\b)"
)
NDA_CUE = re.compile(
    r"(?:nda\b|n°\s*(?:de\s+)?s[ée]jour\b|num[ée]ro\s+(?:de\s+)?s[ée]jour\b|"
    r"n°\s*(?:de\s+)?venue\b|num[ée]ro\s+(?:de\s+)?venue\b|n°\s*(?:d['’])?admission\b|"
    r"num[ée]ro\s+d['’]admission\b|n°\s*(?:de\s+)?dossier\b(?!\s+patient)|"
    r"num[ée]ro\s+de\s+dossier\b|dossier\b(?!\s+patient)|nds\b|n°\s*(?:d['’])?hospitalisation\b|n°\s*visite\b)"
)
NUMBER_AFTER_CUE = re.compile(
    r"\s*(?:\(\s*\w+\s*\))?\s*(?:[:=#]|n°|no\.?|num\.?)?\s*(?:[:=#])?\s*"
    r"(?P<number>[A-Z]{0,4}[-]?\d(?:[\d]|[ .\-/](?=\d)){3,19}[A-Z]?)(?![\w])"
)
