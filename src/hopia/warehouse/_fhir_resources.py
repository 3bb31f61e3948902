"""FHIR R4 resources → rows of OMOP tables: one method per resource type.

:class:`OmopRows` gathers the rows as column lists. While reading, a reference to another
resource is kept as a text key (``Patient/<id>``, or ``Organization?identifier=sys|value``
for a conditional reference) and a code as a ``(vocabulary_id, code)`` pair;
:mod:`hopia.warehouse._fhir` turns both into integer ids once every file has been read, so
a bundle may reference resources of another bundle (e.g. the shared Organization and
Practitioner bundles of a Synthea export).

Mapping choices (Synthea style, after OHDSI ETL-Synthea):

- ``Immunization`` → ``drug_exposure`` (CVX code, type 32817 EHR), as OMOP records vaccines;
  ``MedicationRequest`` → ``drug_exposure`` (type 32838 EHR prescription).
- ``Observation`` with a numeric ``valueQuantity``/``valueInteger`` → ``measurement``; any
  other value (or none) → ``observation``. An Observation with ``component`` (e.g. a blood
  pressure panel) gives one row per component, with the component's own code; the panel
  itself gives none.
- ``Encounter.class`` → visit concept (IMP 9201, AMB 9202, EMER 9203; 0 when unknown) and
  ``visit_source_value``; ``Encounter.type`` → ``visit_source_concept_id``.
- Resources whose status is ``entered-in-error`` (or ``not-done``, or a refuted Condition)
  are skipped and counted.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hopia.warehouse._fhir_values import (
    Where,
    first,
    is_number,
    parse_fhir_time,
    pick_coding,
    stable_id,
)
from hopia.warehouse.schema import OMOP_TABLES

EHR = 32817
EHR_PRESCRIPTION = 32838

VISIT_CLASSES: dict[str, int] = {
    **dict.fromkeys(("IMP", "ACUTE", "NONAC", "PRENC", "inpatient"), 9201),
    **dict.fromkeys(("AMB", "OUTPATIENT", "SS", "OBSENC", "HH", "VR", "FLD"), 9202),
    **dict.fromkeys(("ambulatory", "outpatient", "wellness", "urgentcare"), 9202),
    **dict.fromkeys(("EMER", "emergency"), 9203),
}
"""FHIR ``Encounter.class`` codes (v3 ActCode, and older Synthea words) → OMOP visit concept."""

GENDERS = {"male": 8507, "female": 8532}
RACES = {"1002-5": 8657, "2028-9": 8515, "2054-5": 8516, "2076-8": 8557, "2106-3": 8527}
ETHNICITIES = {"2135-2": 38003563, "2186-5": 38003564}
OPERATORS = {"<": 4171756, "<=": 4171754, ">=": 4171755, ">": 4172704}

BUILT_TABLES = (
    "person", "visit_occurrence", "condition_occurrence", "drug_exposure",
    "procedure_occurrence", "measurement", "observation", "death", "care_site", "location",
    "provider",
)  # fmt: skip

_WITHDRAWN = frozenset({"entered-in-error", "not-done"})


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
        self.identifiers: dict[str, str] = {}
        """``Type?identifier=system|value`` → ``Type/id``."""
        self.checked_refs: dict[str, tuple[Where, str]] = {}
        """References that must resolve (subject, encounter), with their first use."""
        self.mapped: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()

    # -- small helpers --------------------------------------------------------------------
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
        if key not in self.concept_names:
            self.concept_names[key] = (str(display or code), domain)
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
        """Parse a FHIR time or raise an error naming ``field``."""
        try:
            return parse_fhir_time(value)
        except ValueError as error:
            raise where.error(field, str(error)) from None

    def first_time(
        self, res: dict[str, Any], where: Where, fields: tuple[str, ...]
    ) -> tuple[Any, Any]:
        """The first present time among ``fields`` (``a.b`` reads a Period's start or end)."""
        for field in fields:
            name, _, part = field.partition(".")
            value = res.get(name)
            if part and isinstance(value, dict):
                value = value.get(part)
            if value is not None:
                return self.when(value, where, field)
        raise where.error(fields[0], f"expected a date: none of {', '.join(fields)} is given")

    def ref(self, res: dict[str, Any], field: str, expected: str, local: dict[str, str],
            where: Where, *, checked: bool) -> str | None:  # fmt: skip
        """The key of the resource that ``res[field]`` references, or ``None``.

        ``checked`` references (subject, encounter) must resolve: a ``urn:uuid:`` that the
        bundle lacks fails now; a ``Type/id`` is checked once every file is read.
        Unchecked ones (practitioner, organization) that do not resolve become null.
        """
        value = res.get(field)
        if isinstance(value, list):
            value = first(value)
        if isinstance(value, dict) and "actor" in value:
            value = value["actor"]
        if value is None:
            return None
        reference = value.get("reference") if isinstance(value, dict) else None
        if not isinstance(reference, str) or not reference:
            if isinstance(value, dict) and "display" in value:
                return None
            raise where.error(field, f"expected a Reference with a 'reference' to a {expected}")
        key = local.get(reference)
        if key is None:
            if reference.startswith(("urn:uuid:", "urn:oid:", "#")):
                if not checked:
                    return None
                raise where.error(
                    field,
                    f"references {reference}, but the bundle has no entry with that fullUrl "
                    f"(expected the {expected} in the same bundle)",
                )
            key = _canonical(reference)
        kind = key.split("?", 1)[0].split("/", 1)[0]
        if kind != expected:
            if not checked:
                return None
            raise where.error(field, f"expected a reference to a {expected}, got {reference!r}")
        if checked and key not in self.loaded:
            self.checked_refs.setdefault(key, (where, field))
        return key

    # -- resources -------------------------------------------------------------------------
    def patient(self, res: dict[str, Any], where: Where, local: dict[str, str]) -> None:
        """Patient → person (+ location, + death when deceasedDateTime is given)."""
        key = f"Patient/{where.rid}"
        person_id = stable_id(key)
        birth = res.get("birthDate")
        if birth is None:
            raise where.error("birthDate", "expected a birth date (YYYY-MM-DD)")
        birth_date, _ = self.when(birth, where, "birthDate")
        birth_time = None
        for ext in _extensions(res.get("_birthDate")):
            if str(ext.get("url", "")).endswith("patient-birthTime") and "valueDateTime" in ext:
                birth_time = self.when(ext["valueDateTime"], where, "_birthDate.extension")[1]
        race = ethnicity = None
        for ext in _extensions(res):
            url = str(ext.get("url", ""))
            if url.endswith("us-core-race"):
                race = _omb_category(ext)
            elif url.endswith("us-core-ethnicity"):
                ethnicity = _omb_category(ext)
        gender = res.get("gender")
        location_id = self.location(res.get("address"), key)
        self.add(
            "person",
            person_id=person_id,
            gender_concept_id=GENDERS.get(gender, 0) if isinstance(gender, str) else 0,
            year_of_birth=birth_date.year,
            month_of_birth=birth_date.month if len(birth) >= 7 else None,
            day_of_birth=birth_date.day if len(birth) >= 10 else None,
            birth_datetime=birth_time,
            race_concept_id=RACES.get(race[0], 0) if race else 0,
            ethnicity_concept_id=ETHNICITIES.get(ethnicity[0], 0) if ethnicity else 0,
            location_id=location_id,
            provider_id=self.ref(
                res, "generalPractitioner", "Practitioner", local, where, checked=False
            ),
            care_site_id=self.ref(
                res, "managingOrganization", "Organization", local, where, checked=False
            ),
            person_source_value=where.rid,
            gender_source_value=gender,
            race_source_value=race[1] if race else None,
            ethnicity_source_value=ethnicity[1] if ethnicity else None,
        )
        if res.get("deceasedDateTime") is not None:
            death_date, death_time = self.when(res["deceasedDateTime"], where, "deceasedDateTime")
            self.add("death", person_id=key, death_date=death_date, death_datetime=death_time,
                     death_type_concept_id=EHR)  # fmt: skip
        elif res.get("deceasedBoolean") is True:
            self.skipped["death without a date"] += 1

    def location(self, addresses: Any, owner: str) -> int | None:
        """The first (home) address → a location row; returns its id."""
        if not isinstance(addresses, list) or not addresses:
            return None
        homes = [a for a in addresses if isinstance(a, dict) and a.get("use") in (None, "home")]
        address = (homes or [a for a in addresses if isinstance(a, dict)] or [None])[0]
        if address is None:
            return None
        lines = [line for line in address.get("line") or [] if isinstance(line, str)]
        latitude = longitude = None
        for ext in _extensions(address):
            if str(ext.get("url", "")).endswith("geolocation"):
                for part in _extensions(ext):
                    value = part.get("valueDecimal")
                    if part.get("url") == "latitude" and is_number(value):
                        latitude = float(value)
                    elif part.get("url") == "longitude" and is_number(value):
                        longitude = float(value)
        location_id = stable_id(f"{owner}#address")
        self.add(
            "location",
            location_id=location_id,
            address_1=lines[0] if lines else None,
            address_2=", ".join(lines[1:]) or None,
            city=address.get("city"),
            state=address.get("state"),
            zip=address.get("postalCode"),
            county=address.get("district"),
            country_source_value=address.get("country"),
            latitude=latitude,
            longitude=longitude,
        )
        return location_id

    def encounter(self, res: dict[str, Any], where: Where, local: dict[str, str]) -> None:
        """Encounter → visit_occurrence."""
        klass = res.get("class")
        if isinstance(klass, list):  # R5 shape: a list of CodeableConcepts
            klass = first(first(klass).get("coding")) if isinstance(first(klass), dict) else None
        class_code = klass.get("code") if isinstance(klass, dict) else None
        start_date, start_time = self.first_time(res, where, ("period.start",))
        period = res.get("period") or {}
        end_date = end_time = None
        if period.get("end") is not None:
            end_date, end_time = self.when(period["end"], where, "period.end")
        type_key, _ = self.concept(first(res.get("type")), "Visit")
        stay = res.get("hospitalization") or {}
        participant = first(res.get("participant"))
        self.add(
            "visit_occurrence",
            visit_occurrence_id=stable_id(f"Encounter/{where.rid}"),
            person_id=self.ref(res, "subject", "Patient", local, where, checked=True),
            visit_concept_id=VISIT_CLASSES.get(class_code, 0) if isinstance(class_code, str) else 0,
            visit_start_date=start_date,
            visit_start_datetime=start_time,
            visit_end_date=end_date,
            visit_end_datetime=end_time,
            visit_type_concept_id=EHR,
            provider_id=self.ref(
                participant, "individual", "Practitioner", local, where, checked=False
            )
            if isinstance(participant, dict)
            else None,
            care_site_id=self.ref(
                res, "serviceProvider", "Organization", local, where, checked=False
            ),
            visit_source_value=class_code,
            visit_source_concept_id=type_key,
            admitted_from_source_value=_code_of(stay.get("admitSource")),
            discharged_to_source_value=_code_of(stay.get("dischargeDisposition")),
        )

    def condition(self, res: dict[str, Any], where: Where, local: dict[str, str]) -> None:
        """Condition → condition_occurrence (onset, abatement)."""
        if _code_of(res.get("verificationStatus")) in ("entered-in-error", "refuted"):
            self.skipped["Condition (refuted or entered-in-error)"] += 1
            self.withdrawn.add(f"Condition/{where.rid}")
            return
        start = self.first_time(res, where, ("onsetDateTime", "onsetPeriod.start", "recordedDate"))
        end: tuple[Any, Any] = (None, None)
        for field in ("abatementDateTime", "abatementPeriod.end"):
            name, _, part = field.partition(".")
            value = res.get(name)
            value = value.get(part) if part and isinstance(value, dict) else value
            if value is not None:
                end = self.when(value, where, field)
                break
        concept, source = self.concept(res.get("code"), "Condition")
        self.add(
            "condition_occurrence",
            condition_occurrence_id=stable_id(f"Condition/{where.rid}"),
            person_id=self.ref(res, "subject", "Patient", local, where, checked=True),
            condition_concept_id=concept or 0,
            condition_start_date=start[0],
            condition_start_datetime=start[1],
            condition_end_date=end[0],
            condition_end_datetime=end[1],
            condition_type_concept_id=EHR,
            provider_id=self.ref(res, "recorder", "Practitioner", local, where, checked=False)
            or self.ref(res, "asserter", "Practitioner", local, where, checked=False),
            visit_occurrence_id=self.ref(res, "encounter", "Encounter", local, where, checked=True),
            condition_source_value=source,
            condition_source_concept_id=concept,
            condition_status_source_value=_code_of(res.get("clinicalStatus")),
        )

    def medication_request(self, res: dict[str, Any], where: Where, local: dict[str, str],
                           medications: dict[str, dict[str, Any]]) -> None:  # fmt: skip
        """MedicationRequest → drug_exposure (authoredOn; RxNorm code)."""
        if self._withdrawn(res, where):
            return
        codeable = res.get("medicationCodeableConcept")
        if codeable is None and isinstance(res.get("medicationReference"), dict):
            target = res["medicationReference"].get("reference")
            medication = (
                medications.get(local.get(target, target)) if isinstance(target, str) else None
            )
            if medication is None:
                contained = {
                    f"#{c.get('id')}": c for c in res.get("contained") or [] if isinstance(c, dict)
                }
                medication = contained.get(target) if isinstance(target, str) else None
            codeable = medication.get("code") if medication else None
        concept, source = self.concept(codeable, "Drug")
        if source is None:
            raise where.error(
                "medicationCodeableConcept",
                "expected a medicationCodeableConcept or a medicationReference to a Medication of the bundle",
            )
        start_date, start_time = self.first_time(res, where, ("authoredOn",))
        dispense = res.get("dispenseRequest") or {}
        validity = dispense.get("validityPeriod") or {}
        end_date = end_time = None
        if validity.get("end") is not None:
            end_date, end_time = self.when(
                validity["end"], where, "dispenseRequest.validityPeriod.end"
            )
        supply = dispense.get("expectedSupplyDuration") or {}
        days = (
            supply.get("value")
            if supply.get("code", supply.get("unit")) in ("d", "day", "days")
            else None
        )
        quantity = (dispense.get("quantity") or {}).get("value")
        refills = dispense.get("numberOfRepeatsAllowed")
        dosage = first(res.get("dosageInstruction")) or {}
        self.add(
            "drug_exposure",
            drug_exposure_id=stable_id(f"MedicationRequest/{where.rid}"),
            person_id=self.ref(res, "subject", "Patient", local, where, checked=True),
            drug_concept_id=concept or 0,
            drug_exposure_start_date=start_date,
            drug_exposure_start_datetime=start_time,
            drug_exposure_end_date=end_date,
            drug_exposure_end_datetime=end_time,
            drug_type_concept_id=EHR_PRESCRIPTION,
            stop_reason=_code_of(res.get("statusReason")),
            refills=refills if isinstance(refills, int) else None,
            quantity=float(quantity) if is_number(quantity) else None,
            days_supply=int(days) if is_number(days) else None,
            sig=dosage.get("text") if isinstance(dosage, dict) else None,
            provider_id=self.ref(res, "requester", "Practitioner", local, where, checked=False),
            visit_occurrence_id=self.ref(res, "encounter", "Encounter", local, where, checked=True),
            drug_source_value=source,
            drug_source_concept_id=concept,
            route_source_value=_code_of(dosage.get("route")) if isinstance(dosage, dict) else None,
        )

    def immunization(self, res: dict[str, Any], where: Where, local: dict[str, str]) -> None:
        """Immunization → drug_exposure (CVX code)."""
        if self._withdrawn(res, where):
            return
        concept, source = self.concept(res.get("vaccineCode"), "Drug")
        if source is None:
            raise where.error("vaccineCode", "expected a vaccine code (CodeableConcept)")
        start_date, start_time = self.first_time(res, where, ("occurrenceDateTime",))
        dose = (res.get("doseQuantity") or {}).get("value")
        self.add(
            "drug_exposure",
            drug_exposure_id=stable_id(f"Immunization/{where.rid}"),
            person_id=self.ref(res, "patient", "Patient", local, where, checked=True),
            drug_concept_id=concept or 0,
            drug_exposure_start_date=start_date,
            drug_exposure_start_datetime=start_time,
            drug_exposure_end_date=start_date,
            drug_exposure_end_datetime=start_time,
            drug_type_concept_id=EHR,
            quantity=float(dose) if is_number(dose) else None,
            lot_number=res.get("lotNumber"),
            provider_id=self.ref(res, "performer", "Practitioner", local, where, checked=False),
            visit_occurrence_id=self.ref(res, "encounter", "Encounter", local, where, checked=True),
            drug_source_value=source,
            drug_source_concept_id=concept,
            route_source_value=_code_of(res.get("route")),
        )

    def procedure(self, res: dict[str, Any], where: Where, local: dict[str, str]) -> None:
        """Procedure → procedure_occurrence (performedDateTime or performedPeriod)."""
        if self._withdrawn(res, where):
            return
        start = self.first_time(res, where, ("performedDateTime", "performedPeriod.start"))
        end: tuple[Any, Any] = (None, None)
        period = res.get("performedPeriod")
        if isinstance(period, dict) and period.get("end") is not None:
            end = self.when(period["end"], where, "performedPeriod.end")
        concept, source = self.concept(res.get("code"), "Procedure")
        self.add(
            "procedure_occurrence",
            procedure_occurrence_id=stable_id(f"Procedure/{where.rid}"),
            person_id=self.ref(res, "subject", "Patient", local, where, checked=True),
            procedure_concept_id=concept or 0,
            procedure_date=start[0],
            procedure_datetime=start[1],
            procedure_end_date=end[0],
            procedure_end_datetime=end[1],
            procedure_type_concept_id=EHR,
            provider_id=self.ref(res, "performer", "Practitioner", local, where, checked=False),
            visit_occurrence_id=self.ref(res, "encounter", "Encounter", local, where, checked=True),
            procedure_source_value=source,
            procedure_source_concept_id=concept,
        )

    def observation(self, res: dict[str, Any], where: Where, local: dict[str, str]) -> None:
        """Observation → measurement (numeric value) or observation, one row per component."""
        if self._withdrawn(res, where):
            return
        date, moment = self.first_time(
            res, where, ("effectiveDateTime", "effectivePeriod.start", "effectiveInstant", "issued")
        )
        common = {
            "person_id": self.ref(res, "subject", "Patient", local, where, checked=True),
            "visit_occurrence_id": self.ref(
                res, "encounter", "Encounter", local, where, checked=True
            ),
            "provider_id": self.ref(res, "performer", "Practitioner", local, where, checked=False),
        }
        components = res.get("component")
        if isinstance(components, list) and components:
            for index, component in enumerate(components):
                if not isinstance(component, dict):
                    raise where.error(f"component[{index}]", "expected a component object")
                key = f"Observation/{where.rid}#component/{index}"
                self._observed_value(
                    component, key, date, moment, common, where, f"component[{index}]."
                )
        else:
            self._observed_value(res, f"Observation/{where.rid}", date, moment, common, where, "")

    def _observed_value(self, holder: dict[str, Any], key: str, date: Any, moment: Any,
                        common: dict[str, Any], where: Where, prefix: str) -> None:  # fmt: skip
        quantity = holder.get("valueQuantity")
        integer = holder.get("valueInteger")
        if quantity is not None or integer is not None:
            quantity = quantity if quantity is not None else {"value": integer}
            value = quantity.get("value") if isinstance(quantity, dict) else quantity
            if not is_number(value):
                field = (
                    f"{prefix}valueQuantity.value"
                    if "valueQuantity" in holder
                    else f"{prefix}valueInteger"
                )
                raise where.error(field, f"expected a number, got {value!r}")
            concept, source = self.concept(holder.get("code"), "Measurement")
            unit_concept, unit = self.unit(quantity)
            ranges = first(holder.get("referenceRange")) or {}
            low = (ranges.get("low") or {}).get("value")
            high = (ranges.get("high") or {}).get("value")
            self.add(
                "measurement",
                measurement_id=stable_id(key),
                measurement_concept_id=concept or 0,
                measurement_date=date,
                measurement_datetime=moment,
                measurement_type_concept_id=EHR,
                operator_concept_id=OPERATORS.get(quantity.get("comparator", "")),
                value_as_number=float(value),
                unit_concept_id=unit_concept,
                range_low=float(low) if is_number(low) else None,
                range_high=float(high) if is_number(high) else None,
                measurement_source_value=source,
                measurement_source_concept_id=concept,
                unit_source_value=unit,
                **common,
            )
            return
        value_concept = value_source = text = None
        if "valueCodeableConcept" in holder:
            value_concept, value_source = self.concept(holder["valueCodeableConcept"], "Meas Value")
            picked = pick_coding(holder["valueCodeableConcept"])
            text = holder["valueCodeableConcept"].get("text") or (picked[2] if picked else None)
        elif "valueString" in holder:
            text = str(holder["valueString"])
        elif "valueBoolean" in holder:
            text = "true" if holder["valueBoolean"] else "false"
        elif "valueDateTime" in holder:
            text = str(holder["valueDateTime"])
        concept, source = self.concept(holder.get("code"), "Observation")
        self.add(
            "observation",
            observation_id=stable_id(key),
            observation_concept_id=concept or 0,
            observation_date=date,
            observation_datetime=moment,
            observation_type_concept_id=EHR,
            value_as_string=text,
            value_as_concept_id=value_concept,
            observation_source_value=source,
            observation_source_concept_id=concept,
            value_source_value=value_source,
            **common,
        )

    def organization(self, res: dict[str, Any], where: Where, local: dict[str, str]) -> None:
        """Organization → care_site (+ location)."""
        key = f"Organization/{where.rid}"
        self.add(
            "care_site",
            care_site_id=stable_id(key),
            care_site_name=res.get("name"),
            location_id=self.location(res.get("address"), key),
            care_site_source_value=where.rid,
            place_of_service_source_value=_code_of(first(res.get("type"))),
        )

    def practitioner(self, res: dict[str, Any], where: Where, local: dict[str, str]) -> None:
        """Practitioner → provider."""
        npi = next(
            (i.get("value") for i in res.get("identifier") or []
             if isinstance(i, dict) and i.get("system") == "http://hl7.org/fhir/sid/us-npi"),
            None,
        )  # fmt: skip
        birth = res.get("birthDate")
        gender = res.get("gender")
        self.add(
            "provider",
            provider_id=stable_id(f"Practitioner/{where.rid}"),
            provider_name=_human_name(first(res.get("name"))),
            npi=npi,
            year_of_birth=self.when(birth, where, "birthDate")[0].year if birth else None,
            gender_concept_id=GENDERS.get(gender, 0) if isinstance(gender, str) else None,
            provider_source_value=where.rid,
            gender_source_value=gender,
        )

    def _withdrawn(self, res: dict[str, Any], where: Where) -> bool:
        if res.get("status") in _WITHDRAWN:
            self.skipped[f"{where.kind} ({res['status']})"] += 1
            self.withdrawn.add(f"{where.kind}/{where.rid}")
            return True
        return False


def _canonical(reference: str) -> str:
    """``Type/id`` of a relative or absolute reference (``…/Type/id/_history/n``), or a
    conditional reference (``Type?identifier=…``) as it is."""
    if "?" in reference:
        return reference
    parts = [p for p in reference.split("/") if p]
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return "/".join(parts[-2:])


def _extensions(holder: Any) -> list[dict[str, Any]]:
    items = holder.get("extension") if isinstance(holder, dict) else None
    return [e for e in items if isinstance(e, dict)] if isinstance(items, list) else []


def _omb_category(extension: dict[str, Any]) -> tuple[str, str] | None:
    """``(code, text)`` of a US Core race or ethnicity extension."""
    code = text = None
    for part in _extensions(extension):
        if part.get("url") == "ombCategory" and isinstance(part.get("valueCoding"), dict):
            code = part["valueCoding"].get("code")
            text = text or part["valueCoding"].get("display")
        elif part.get("url") == "text" and isinstance(part.get("valueString"), str):
            text = part["valueString"]
    return (str(code), str(text or code)) if code else None


def _code_of(codeable: Any) -> str | None:
    picked = pick_coding(codeable)
    return picked[1] if picked else None


def _human_name(name: Any) -> str | None:
    if not isinstance(name, dict):
        return None
    if isinstance(name.get("text"), str):
        return name["text"]
    parts = [*(name.get("prefix") or []), *(name.get("given") or []), name.get("family")]
    return " ".join(p for p in parts if isinstance(p, str)) or None
