"""The rows the FHIR loader gathers, and how it reads references, codes and times.

:class:`OmopRows` keeps OMOP rows as column lists. While reading, a reference to another
resource is kept as a text key (``Patient/<id>``, or ``Organization?identifier=sys|value``
for a conditional reference) and a code as a ``(vocabulary_id, code)`` pair;
:mod:`hopia.warehouse._fhir` turns both into integer ids once every file has been read, so
a bundle may reference resources of another bundle (e.g. the shared Organization and
Practitioner bundles of a Synthea export).

Examples
--------
>>> rows = OmopRows()
>>> rows.concept({"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]}, "Condition")
(('SNOMED', '44054006'), '44054006')
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hopia.warehouse._fhir_values import Where, first, parse_fhir_time, pick_coding
from hopia.warehouse.schema import OMOP_TABLES

EHR = 32817
"""OMOP type concept "EHR": the record comes from an electronic health record."""

BUILT_TABLES = (
    "person", "visit_occurrence", "condition_occurrence", "drug_exposure",
    "procedure_occurrence", "measurement", "observation", "death", "care_site", "location",
    "provider",
)  # fmt: skip
"""OMOP tables filled row by row from resources (the others are derived at the end)."""

_WITHDRAWN = frozenset({"entered-in-error", "not-done"})


@dataclass
class BundleIndex:
    """What references inside one bundle resolve to."""

    path: str
    full_urls: dict[str, str] = field(default_factory=dict)
    """``fullUrl`` of each entry → ``Type/id``."""
    medications: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``Medication/id`` → the Medication resource."""


class OmopRows:
    """OMOP rows read from FHIR resources, as column lists with unresolved keys."""

    def __init__(self) -> None:
        self.columns: dict[str, dict[str, list[Any]]] = {
            table: {c.name: [] for c in OMOP_TABLES[table]} for table in BUILT_TABLES
        }
        self.concept_names: dict[tuple[str, str], tuple[str, str]] = {}
        """(vocabulary_id, code) → (concept name, domain) of every code used."""
        self.loaded: set[str] = set()
        """``Type/id`` of every resource mapped so far."""
        self.withdrawn: set[str] = set()
        """``Type/id`` of resources skipped (entered-in-error, not-done, refuted)."""
        self.identifiers: dict[str, str] = {}
        """``Type?identifier=system|value`` → ``Type/id``."""
        self.checked_refs: dict[str, tuple[Where, str]] = {}
        """References that must resolve (subject, encounter), with their first use."""
        self.mapped: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()

    def add(self, table: str, **values: Any) -> None:
        """Append one row to ``table`` (columns not given are null)."""
        columns = self.columns[table]
        unknown = values.keys() - columns.keys()
        if unknown:
            raise KeyError(f"{table} has no column {sorted(unknown)}")
        for name, column in columns.items():
            column.append(values.get(name))

    def concept(self, codeable: Any, domain: str) -> tuple[tuple[str, str] | None, str | None]:
        """``(concept key or None, source value)`` of a CodeableConcept; records the concept."""
        picked = pick_coding(codeable)
        if picked is None:
            text = codeable.get("text") if isinstance(codeable, dict) else None
            return None, text if isinstance(text, str) else None
        vocabulary, code, display = picked
        if vocabulary is None:
            return None, code
        key = (vocabulary, code)
        named = (str(display or code), domain)
        known = self.concept_names.get(key)
        if known is None or (domain, named[0]) < (known[1], known[0]):
            # the least (domain, name) wins, so the concept table is the same in any file order
            self.concept_names[key] = named
        return key, code

    def unit(self, quantity: dict[str, Any]) -> tuple[tuple[str, str] | None, str | None]:
        """``(UCUM concept key or None, unit text)`` of a Quantity."""
        code = quantity.get("code")
        unit = quantity.get("unit") or code
        unit = unit if isinstance(unit, str) else None
        if quantity.get("system") != "http://unitsofmeasure.org" or not isinstance(code, str):
            return None, unit
        key, _ = self.concept({"coding": [{"system": quantity["system"], "code": code}]}, "Unit")
        return key, unit

    @staticmethod
    def when(value: Any, where: Where, field: str) -> tuple[Any, Any]:
        """Parse a FHIR time as ``(date, datetime or None)``; raise an error naming ``field``."""
        try:
            return parse_fhir_time(value)
        except ValueError as error:
            raise where.error(field, str(error)) from None

    def first_time(self, res: dict[str, Any], where: Where, fields: tuple[str, ...], *,
                   required: bool = True) -> tuple[Any, Any]:  # fmt: skip
        """The first time given among ``fields`` (``period.end`` reads a Period's end)."""
        for name in fields:
            head, _, part = name.partition(".")
            value = res.get(head)
            if part:
                value = value.get(part) if isinstance(value, dict) else None
            if value is not None:
                return self.when(value, where, name)
        if required:
            raise where.error(fields[0], f"expected a date: none of {', '.join(fields)} is given")
        return None, None

    def withdrawn_resource(self, res: dict[str, Any], where: Where) -> bool:
        """True (and counted) for a resource whose status says it did not happen."""
        if res.get("status") in _WITHDRAWN:
            self.skipped[f"{where.kind} ({res['status']})"] += 1
            self.withdrawn.add(f"{where.kind}/{where.rid}")
            return True
        return False

    def ref(self, res: Any, field: str, expected: str, bundle: BundleIndex, where: Where, *,
            checked: bool) -> str | None:  # fmt: skip
        """The key of the resource that ``res[field]`` references, or ``None``.

        ``checked`` references (subject, encounter) must resolve: a ``urn:uuid:`` that the
        bundle lacks fails now; a ``Type/id`` is checked once every file is read.
        Unchecked ones (practitioner, organization) that do not resolve become null.
        """
        value = res.get(field) if isinstance(res, dict) else None
        if isinstance(value, list):
            value = first(value)
        if isinstance(value, dict) and "actor" in value:
            value = value["actor"]
        if value is None:
            return None
        reference = value.get("reference") if isinstance(value, dict) else None
        if not isinstance(reference, str) or not reference:
            if not checked or (
                isinstance(value, dict) and "display" in value and field != "subject"
            ):
                return None
            raise where.error(field, f"expected a Reference with a 'reference' to a {expected}")
        key = bundle.full_urls.get(reference)
        if key is None:
            if reference.startswith(("urn:uuid:", "urn:oid:", "#")):
                if not checked:
                    return None
                raise where.error(
                    field,
                    f"references {reference}, but the bundle has no entry with that fullUrl "
                    f"(expected the {expected} in the same bundle)",
                )
            key = canonical_reference(reference)
        kind = key.split("?", 1)[0].split("/", 1)[0]
        if kind != expected:
            if not checked:
                return None
            raise where.error(field, f"expected a reference to a {expected}, got {reference!r}")
        if checked and key not in self.loaded:
            self.checked_refs.setdefault(key, (where, field))
        return key


def canonical_reference(reference: str) -> str:
    """``Type/id`` of a relative or absolute reference (``…/Type/id/_history/n``); a
    conditional reference (``Type?identifier=…``) as it is.

    Examples
    --------
    >>> canonical_reference("https://fhir.example.org/r4/Patient/42/_history/3")
    'Patient/42'
    """
    if "?" in reference:
        return reference
    parts = [p for p in reference.split("/") if p]
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return "/".join(parts[-2:])


def extensions(holder: Any) -> list[dict[str, Any]]:
    """The ``extension`` list of a FHIR element (empty when absent)."""
    items = holder.get("extension") if isinstance(holder, dict) else None
    return [e for e in items if isinstance(e, dict)] if isinstance(items, list) else []


def code_of(codeable: Any) -> str | None:
    """The code kept from a CodeableConcept (see :func:`pick_coding`), or ``None``."""
    picked = pick_coding(codeable)
    return picked[1] if picked else None
