"""Find French dates, tell birth dates apart, and shift a written date keeping its form.

Examples
--------
>>> from hopia.privacy._entities import resolve
>>> text = "Née le 12/03/1961, hospitalisée du 3 janv. au lundi 4 mars 2024."
>>> [(e.text, e.label) for e in resolve(text, find_dates(text))]
[('12/03/1961', 'DATE_NAISSANCE'), ('3 janv.', 'DATE'), ('lundi 4 mars 2024', 'DATE')]
>>> shift_date("3 janv. 2024", 30), shift_date("12/03/61", -1)
('2 févr. 2024', '11/03/61')
"""

from __future__ import annotations

import datetime as dt
import re

from hopia.privacy._entities import Candidate, boundary_before, candidate, lower
from hopia.privacy.pipes.dates import patterns as p

_NUMERIC_BEFORE = frozenset("0123456789/.-")
_REFERENCE_YEAR = 2001  # a non-leap year for dates written without one


def find_dates(text: str) -> list[Candidate]:
    """Every date-like span; those introduced by a birth cue are ``DATE_NAISSANCE``."""
    low = lower(text)
    spans: list[tuple[int, int]] = []
    for pattern in (p.NUMERIC, p.ISO, p.MONTH_YEAR_NUMERIC):
        for m in pattern.finditer(text):
            if (m.start() == 0 or text[m.start() - 1] not in _NUMERIC_BEFORE) and _day_ok(m):
                spans.append(m.span())
    for m in p.TEXTUAL_FIND.finditer(low):
        start = m.start()
        if not boundary_before(text, start) or not _day_ok(m):
            continue
        weekday = p.WEEKDAY_BEFORE.search(low, max(0, start - 12), start)
        if weekday and boundary_before(text, weekday.start()):
            start = weekday.start()
        end = m.end() - 1 if m["dot"] and m["month_name"] in p.MONTH_NAMES else m.end()
        spans.append((start, end))
    for pattern in (p.WEEKDAY_DAY_FIND, p.MONTH_YEAR_FIND):
        spans.extend(m.span() for m in pattern.finditer(low) if boundary_before(text, m.start()))
    for m in p.DAY_MONTH_AFTER_CUE.finditer(low):
        if boundary_before(text, m.start()):
            spans.append(m.span("date"))
    found = []
    for start, end in spans:
        before = low[max(0, start - 30) : start]
        label = "DATE_NAISSANCE" if p.BIRTH_CUE.search(before) else "DATE"
        found.append(candidate(start, end, label))
    return found


def _day_ok(match: re.Match[str]) -> bool:
    day = match.groupdict().get("day")
    return day is None or 1 <= int(day) <= 31


class DateParts:
    """A written date taken apart: the parts it has and how each was written."""

    __slots__ = ("day", "match", "month", "pattern", "year")

    def __init__(self, pattern: re.Pattern[str], match: re.Match[str]) -> None:
        self.pattern = pattern
        self.match = match
        groups = match.groupdict()
        self.day = int(groups["day"]) if groups.get("day") else None
        if groups.get("month"):
            self.month: int | None = int(groups["month"])
        elif groups.get("month_name"):
            self.month = p.MONTHS[groups["month_name"].lower()]
        else:
            self.month = None
        year = groups.get("year")
        if year is None:
            self.year: int | None = None
        elif len(year) == 2:
            self.year = (1900 if int(year) > 30 else 2000) + int(year)
        else:
            self.year = int(year)

    def as_date(self) -> dt.date | None:
        """The date itself (day 15 when only month and year are written)."""
        if self.month is None:
            return None
        try:
            return dt.date(self.year or _REFERENCE_YEAR, self.month, self.day or 15)
        except ValueError:
            return None


def parse_date(text: str) -> DateParts | None:
    """Take a date span apart, or None when it is not a date that can be read."""
    for pattern in (p.ISO, p.NUMERIC, p.TEXTUAL, p.MONTH_YEAR, p.MONTH_YEAR_NUMERIC):
        match = pattern.fullmatch(text)
        if match:
            return DateParts(pattern, match)
    match = re.fullmatch(
        r"(?P<day>3[01]|[12]\d|0?[1-9])(?P<sep>[/.])(?P<month>1[0-2]|0?[1-9])", text
    )
    if match:
        return DateParts(p.DAY_MONTH_AFTER_CUE, match)
    return None


def _like(new: int, old: str, numeric: bool) -> str:
    padded = old.startswith("0") or (numeric and len(old) == 2)
    return f"{new:02d}" if padded else str(new)


def _case_like(word: str, model: str) -> str:
    if model.isupper() and len(model) > 1:
        return word.upper()
    if model[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def shift_date(text: str, days: int) -> str | None:
    """``text`` moved by ``days``, written the same way; None when it cannot be read.

    A weekday written alone with its day number (``lundi 4``) moves the weekday by the same
    number of days.
    """
    weekday_only = p.WEEKDAY_DAY.fullmatch(text)
    if weekday_only:
        day = int(weekday_only["day"])
        new = dt.date(_REFERENCE_YEAR, 1, day) + dt.timedelta(days=days)
        index = p.WEEKDAYS.index(weekday_only["weekday"].lower())
        weekday = _case_like(p.WEEKDAYS[(index + days) % 7], weekday_only["weekday"])
        return f"{weekday} {new.day}{'er' if weekday_only['er'] and new.day == 1 else ''}"
    parts = parse_date(text)
    if parts is None:
        return None
    original = parts.as_date()
    if original is None:
        return None
    new = original + dt.timedelta(days=days)
    groups = parts.match.groupdict()
    pieces: dict[str, str] = {}
    numeric = not groups.get("month_name")
    if groups.get("day"):
        pieces["day"] = _like(new.day, groups["day"], numeric)
    if groups.get("month"):
        pieces["month"] = _like(new.month, groups["month"], numeric)
    if groups.get("year"):
        pieces["year"] = f"{new.year % 100:02d}" if len(groups["year"]) == 2 else str(new.year)
    if groups.get("month_name"):
        model = groups["month_name"]
        abbreviated = model.lower() not in p.MONTH_NAMES or groups.get("dot")
        word = p.MONTH_ABBREVIATIONS[new.month - 1] if abbreviated else p.MONTH_NAMES[new.month - 1]
        if abbreviated and not groups.get("dot"):
            word = word.rstrip(".")
        if groups.get("dot"):
            pieces["dot"] = ""
        pieces["month_name"] = _case_like(word, model)
    if groups.get("er"):
        pieces["er"] = "er" if new.day == 1 else ""
    if groups.get("weekday"):
        name = (
            p.WEEKDAYS[new.weekday()]
            if parts.year
            else p.WEEKDAYS[(p.WEEKDAYS.index(groups["weekday"].lower()) + days) % 7]
        )
        pieces["weekday"] = _case_like(name, groups["weekday"])
    # Rebuild the span: replace each captured group in place, from right to left.
    out = text
    match = parts.match
    for name in sorted(pieces, key=lambda g: match.start(g), reverse=True):
        if match.start(name) < 0:
            continue
        out = out[: match.start(name)] + pieces[name] + out[match.end(name) :]
    return out
