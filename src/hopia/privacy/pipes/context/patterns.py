"""How the structured fields of a person are written in notes."""

from __future__ import annotations

import datetime as dt
import re

from hopia.privacy.pipes.dates.patterns import MONTH_NAMES

# Field names accepted on an input line (English, then the French spellings).
FIELD_ALIASES: dict[str, str] = {
    "last_name": "last_name", "nom": "last_name", "family_name": "last_name", "surname": "last_name",
    "birth_name": "birth_name", "nom_naissance": "birth_name",
    "first_name": "first_name", "prenom": "first_name", "prénom": "first_name",
    "birth_date": "birth_date", "date_naissance": "birth_date", "birthdate": "birth_date",
    "address": "address", "adresse": "address",
    "city": "city", "ville": "city",
    "zip": "zip", "postcode": "zip", "code_postal": "zip",
    "phone": "phone", "tel": "phone", "telephone": "phone", "téléphone": "phone",
    "email": "email", "mail": "email",
    "nir": "nir", "secu": "nir",
    "ipp": "ipp",
    "nda": "nda",
    "person_id": "person_id",
}  # fmt: skip


def birth_date_forms(day: dt.date) -> list[str]:
    """The ways a birth date is written: ``12/03/1961``, ``12.03.61``, ``12 mars 1961``…"""
    d, m, y = day.day, day.month, day.year
    forms = []
    for sep in "/.-":
        forms += [
            f"{d:02d}{sep}{m:02d}{sep}{y}",
            f"{d}{sep}{m}{sep}{y}",
            f"{d:02d}{sep}{m:02d}{sep}{y % 100:02d}",
        ]
    forms.append(f"{y}-{m:02d}-{d:02d}")
    month = MONTH_NAMES[m - 1]
    forms += [f"{d} {month} {y}", f"{d:02d} {month} {y}"]
    if d == 1:
        forms.append(f"1er {month} {y}")
    return forms


def flexible_digits(number: str) -> re.Pattern[str] | None:
    """A pattern for a number written with or without spaces, dots or dashes."""
    chars = [c for c in number.upper() if c.isalnum()]
    if len(chars) < 4:
        return None
    body = r"[ .\-]?".join(re.escape(c) for c in chars)
    return re.compile(rf"(?<![\w]){body}(?![\w])", re.IGNORECASE)


def flexible_words(words: str) -> re.Pattern[str] | None:
    """A case-insensitive pattern for a name or an address, spaces and hyphens interchangeable."""
    parts = [re.escape(w) for w in re.split(r"[\s\-]+", words.strip()) if w]
    if not parts or len("".join(parts)) < 2:
        return None
    return re.compile(r"(?<![\w\-])" + r"[\s\-]+".join(parts) + r"(?![\w\-])", re.IGNORECASE)
