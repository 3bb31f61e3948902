"""Small FHIR R4 value readers used by the FHIR loader: times, codings, ids, error places.

Times: FHIR ``date``/``dateTime``/``instant`` strings become naive local times. The UTC
offset is dropped and the wall-clock time kept (``2011-07-28T06:51:29-04:00`` →
``2011-07-28 06:51:29``), because the warehouse holds naive local hospital times and never
mixes time zones. A value with no time part (``2011-07-28``, ``2011-07``, ``2011``) is a
date only: its missing month or day is taken as the first one and it has no datetime.

Ids: every OMOP id the loader makes is :func:`stable_id` of a text key such as
``Patient/<id>`` — the first 63 bits of its BLAKE2b hash — so the same FHIR resource gets the
same id in every run, whatever the order or the set of files loaded.

Examples
--------
>>> parse_fhir_time("2011-07-28T06:51:29-04:00")
(datetime.date(2011, 7, 28), datetime.datetime(2011, 7, 28, 6, 51, 29))
>>> parse_fhir_time("2011-07")
(datetime.date(2011, 7, 1), None)
>>> pick_coding({"coding": [{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}]})
('LOINC', '8867-4', 'Heart rate')
>>> stable_id("Patient/example") == stable_id("Patient/example") > 0
True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any, TypeGuard

from hopia.errors import InputError

VOCABULARIES: dict[str, str] = {
    "http://snomed.info/sct": "SNOMED",
    "http://loinc.org": "LOINC",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
    "http://hl7.org/fhir/sid/icd-10": "ICD10",
    "http://hl7.org/fhir/sid/icd-10-cm": "ICD10CM",
    "http://hl7.org/fhir/sid/icd-9-cm": "ICD9CM",
    "http://hl7.org/fhir/sid/cvx": "CVX",
    "http://hl7.org/fhir/sid/ndc": "NDC",
    "http://www.whocc.no/atc": "ATC",
    "http://www.ama-assn.org/go/cpt": "CPT4",
    "http://unitsofmeasure.org": "UCUM",
}
"""FHIR coding system URIs → OMOP ``vocabulary_id``. Codings of other systems keep their
code in ``*_source_value`` but get no concept."""

_ID_BITS = (1 << 63) - 1

_FHIR_TIME = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?"
)


def stable_id(key: str) -> int:
    """A positive 63-bit integer id that depends only on ``key`` (BLAKE2b, first 8 bytes)."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & _ID_BITS or 1


def parse_fhir_time(text: str) -> tuple[dt.date, dt.datetime | None]:
    """Read a FHIR date/dateTime/instant as ``(date, naive local datetime or None)``.

    Raises
    ------
    ValueError
        When ``text`` is not a FHIR date or dateTime, or names a day that does not exist.
    """
    match = _FHIR_TIME.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            f"expected a FHIR date or dateTime (YYYY-MM-DDThh:mm:ss+zz:zz), got {text!r}"
        )
    year, month, day, hour, minute, second, fraction, _offset = match.groups()
    try:
        date = dt.date(int(year), int(month or 1), int(day or 1))
        if hour is None:
            return date, None
        micros = int((fraction or "0")[:6].ljust(6, "0"))
        moment = dt.datetime(
            date.year, date.month, date.day, int(hour), int(minute), int(second or 0), micros
        )
    except ValueError:
        raise ValueError(f"expected a date and time that exist, got {text!r}") from None
    return date, moment


def pick_coding(concept: Any) -> tuple[str | None, str, str | None] | None:
    """The coding to keep from a CodeableConcept: ``(vocabulary_id or None, code, display)``.

    The first coding of a known system wins, else the first coding with a code; the display
    falls back on the CodeableConcept's ``text``. ``None`` when there is no code at all.
    """
    if not isinstance(concept, dict):
        return None
    codings = concept.get("coding")
    if not isinstance(codings, list):
        return None
    fallback: tuple[str | None, str, str | None] | None = None
    for coding in codings:
        if not isinstance(coding, dict):
            continue
        code = coding.get("code")
        if not isinstance(code, str) or not code.strip():
            continue
        display = coding.get("display") or concept.get("text")
        vocabulary = VOCABULARIES.get(str(coding.get("system", "")).rstrip("/"))
        if vocabulary is not None:
            return vocabulary, code.strip(), display
        if fallback is None:
            fallback = None, code.strip(), display
    return fallback


def first(items: Any) -> Any:
    """The first element of a FHIR list, or ``None``."""
    if isinstance(items, list) and items:
        return items[0]
    return None


def is_number(value: Any) -> TypeGuard[int | float]:
    """True for JSON numbers (``bool`` excluded)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Where:
    """The place of one resource, for error messages: file, entry index, type and id."""

    path: str
    entry: int
    kind: str = ""
    rid: str | None = None

    def error(self, field: str, problem: str) -> InputError:
        """An :class:`~hopia.errors.InputError` naming this resource and ``field``."""
        what = f"{self.kind}/{self.rid}" if self.rid else self.kind
        place = f"{self.path}, entry {self.entry}" + (f" ({what})" if what else "")
        return InputError(place, problem, field=field)
