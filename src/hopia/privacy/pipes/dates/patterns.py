"""Regular expressions for French dates.

Covers ``12/03/2024``, ``12.03.24``, ``12-03-2024``, ``2024-03-12``, ``12 mars 2024``,
``1er mars``, ``3 janv.``, ``lundi 4``, ``mardi 12 mars 2024``, ``mars 2021``, ``03/2021`` and
``12/03`` after a cue (``le``, ``du``, ``au``…) so that ratios such as ``TA 12/8`` stay.
"""

from __future__ import annotations

import re

MONTHS: dict[str, int] = {
    "janvier": 1, "janv": 1, "jan": 1,
    "février": 2, "fevrier": 2, "févr": 2, "fevr": 2, "fév": 2, "fev": 2,
    "mars": 3, "mar": 3,
    "avril": 4, "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7, "juil": 7,
    "août": 8, "aout": 8,
    "septembre": 9, "sept": 9, "sep": 9,
    "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11,
    "décembre": 12, "decembre": 12, "déc": 12, "dec": 12,
}  # fmt: skip
MONTH_NAMES: tuple[str, ...] = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
MONTH_ABBREVIATIONS: tuple[str, ...] = (
    "janv.", "févr.", "mars", "avr.", "mai", "juin",
    "juil.", "août", "sept.", "oct.", "nov.", "déc.",
)  # fmt: skip
WEEKDAYS: tuple[str, ...] = (
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
)

_month_words = sorted(MONTHS, key=len, reverse=True)
MONTH = r"(?P<month_name>" + "|".join(_month_words) + r")(?P<dot>\.)?(?![a-zà-ÿ])"
WEEKDAY = r"(?P<weekday>" + "|".join(WEEKDAYS) + r")"
DAY = r"(?P<day>3[01]|[12]\d|0?[1-9])(?P<er>er)?"
YEAR = r"(?P<year>(?:19|20)\d{2})"

# Finders start with a plain character class (no look-behind, no IGNORECASE) so that the
# regex engine can skip ahead quickly; the component checks the character before a match.
# Textual forms are matched on the lower-cased text.
NUMERIC = re.compile(
    r"(?P<day>\d\d?)(?P<sep>[/.-])(?P<month>1[0-2]|0?[1-9])(?P=sep)"
    r"(?P<year>(?:19|20)\d{2}|\d{2})(?![\d]|[/.-]\d)"
)
ISO = re.compile(
    r"(?P<year>(?:19|20)\d{2})(?P<sep>[-/.])(?P<month>1[0-2]|0[1-9])(?P=sep)"
    r"(?P<day>3[01]|[12]\d|0[1-9])(?!\d)"
)
TEXTUAL = re.compile(
    r"(?i)(?:" + WEEKDAY + r"\s+)?" + DAY + r"\s+" + MONTH + r"(?:\s+" + YEAR + r")?(?!\d)"
)
TEXTUAL_FIND = re.compile(r"(?P<day>\d\d?)(?P<er>er)?\s+" + MONTH + r"(?:\s+" + YEAR + r")?(?!\d)")
WEEKDAY_BEFORE = re.compile(WEEKDAY + r"\s+$")
WEEKDAY_DAY = re.compile(r"(?i)" + WEEKDAY + r"\s+" + DAY + r"(?![\d\w])")
WEEKDAY_DAY_FIND = re.compile(WEEKDAY + r"\s+" + DAY + r"(?![\d\w])")
MONTH_YEAR = re.compile(r"(?i)" + MONTH + r"\s+" + YEAR + r"(?!\d)")
MONTH_YEAR_FIND = re.compile(MONTH + r"\s+" + YEAR + r"(?!\d)")
MONTH_YEAR_NUMERIC = re.compile(
    r"(?P<month>1[0-2]|0[1-9])(?P<sep>[/.-])(?P<year>(?:19|20)\d{2})(?![\d]|[/.-]\d)"
)
DAY_MONTH_AFTER_CUE = re.compile(
    r"(?:le|du|au|dès le|depuis le|jusqu'au|jusqu’au|vers le|nuit du|semaine du|"
    r"entre le|et le)\s+(?P<date>(?P<day>3[01]|[12]\d|0?[1-9])(?P<sep>[/.])"
    r"(?P<month>1[0-2]|0?[1-9]))(?![\d]|[/.]\d)"
)
BIRTH_CUE = re.compile(
    r"(?:\bn[ée]e?s?\s+(?:le\s+)?|\bdate\s+de\s+naissance\s*:?\s*(?:le\s+)?|\bddn\s*:?\s*|"
    r"\bnaissance\s*:\s*|\bn[ée]\(e\)\s+(?:le\s+)?)$"
)
