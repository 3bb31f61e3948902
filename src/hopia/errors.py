"""Errors that hopia raises for bad input: each names the place and what was expected."""

from __future__ import annotations


class HopiaError(Exception):
    """Base class of every error hopia raises on purpose."""


class InputError(HopiaError, ValueError):
    """Bad input: the message names the file, line or field and what was expected.

    Examples
    --------
    >>> str(InputError("person.csv", "expected an integer, got 'abc'", line=5, field="year_of_birth"))
    "person.csv, line 5, field year_of_birth: expected an integer, got 'abc'"
    """

    def __init__(
        self, place: str, problem: str, *, line: int | None = None, field: str | None = None
    ) -> None:
        self.place = place
        self.problem = problem
        self.line = line
        self.field = field
        where = [place]
        if line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field {field}")
        super().__init__(f"{', '.join(where)}: {problem}")


class LoadError(InputError):
    """A load was refused; the previous warehouse is untouched."""
