"""Dates in every French written form (DATE, DATE_NAISSANCE)."""

from hopia.privacy.pipes.dates.dates import find_dates, parse_date

__all__ = ["find_dates", "parse_date"]
