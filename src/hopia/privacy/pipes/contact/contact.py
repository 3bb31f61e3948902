"""Find phone numbers and e-mail addresses.

Examples
--------
>>> text = "Tél. +33 (0)6 12 34 56 78 ou 03.83.85.85.85, jean.dupont@orange.fr"
>>> [(text[c.start:c.end], c.label) for c in find_contacts(text)]
[('+33 (0)6 12 34 56 78', 'TEL'), ('03.83.85.85.85', 'TEL'), ('jean.dupont@orange.fr', 'MAIL')]
"""

from __future__ import annotations

from hopia.privacy._entities import Candidate, candidate
from hopia.privacy.pipes.contact import patterns as p


def find_contacts(text: str) -> list[Candidate]:
    """Phones (TEL) and e-mail addresses (MAIL)."""
    found = [candidate(*m.span(), "TEL") for m in p.PHONE.finditer(text)]
    if "@" in text:
        found.extend(candidate(*m.span(), "MAIL") for m in p.MAIL.finditer(text))
    return found
