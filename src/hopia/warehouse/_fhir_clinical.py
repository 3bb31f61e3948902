"""FHIR clinical resources → OMOP event tables (Synthea style, after OHDSI ETL-Synthea).

- ``Encounter`` → ``visit_occurrence``: ``class`` → visit concept (IMP 9201, AMB 9202,
  EMER 9203; 0 when unknown) and ``visit_source_value``; ``type`` → ``visit_source_concept_id``.
- ``Condition`` → ``condition_occurrence`` (onset → start, abatement → end).
- ``MedicationRequest`` → ``drug_exposure`` (``authoredOn``, type 32838 EHR prescription);
  ``Immunization`` → ``drug_exposure`` too (CVX code, type 32817 EHR), as OMOP records vaccines.
- ``Procedure`` → ``procedure_occurrence`` (``performedDateTime`` or ``performedPeriod``).
- ``Observation`` with a numeric ``valueQuantity``/``valueInteger`` → ``measurement``; any
  other value (or none) → ``observation``. An Observation with ``component`` (e.g. a blood
  pressure panel) gives one row per component, with the component's own code; the panel
  itself gives none.

Resources whose status says they did not happen (``entered-in-error``, ``not-done``, a
refuted Condition) are skipped and counted.
"""

from __future__ import annotations

from typing import Any

from hopia.warehouse._fhir_rows import EHR, BundleIndex, OmopRows, code_of
from hopia.warehouse._fhir_values import Where, first, is_number, pick_coding, stable_id

EHR_PRESCRIPTION = 32838

VISIT_CLASSES: dict[str, int] = {
    **dict.fromkeys(("IMP", "ACUTE", "NONAC", "PRENC", "inpatient"), 9201),
    **dict.fromkeys(("AMB", "OUTPATIENT", "SS", "OBSENC", "HH", "VR", "FLD"), 9202),
    **dict.fromkeys(("ambulatory", "outpatient", "wellness", "urgentcare"), 9202),
    **dict.fromkeys(("EMER", "emergency"), 9203),
}
"""FHIR ``Encounter.class`` codes (v3 ActCode, and older Synthea words) → OMOP visit concept."""

OPERATORS = {"<": 4171756, "<=": 4171754, ">=": 4171755, ">": 4172704}
"""``Quantity.comparator`` → OMOP "Meas Value Operator" concept."""


def _links(rows: OmopRows, res: dict[str, Any], where: Where, bundle: BundleIndex,
           subject: str = "subject", performer: str = "performer") -> dict[str, Any]:  # fmt: skip
    """The person, visit and provider keys of a clinical resource."""
    return {
        "person_id": rows.ref(res, subject, "Patient", bundle, where, checked=True),
        "visit_occurrence_id": rows.ref(res, "encounter", "Encounter", bundle, where, checked=True),
        "provider_id": rows.ref(res, performer, "Practitioner", bundle, where, checked=False),
    }


def map_encounter(rows: OmopRows, res: dict[str, Any], where: Where, bundle: BundleIndex) -> None:
    """Encounter → visit_occurrence."""
    klass = res.get("class")
    if isinstance(klass, list):  # R5 shape: a list of CodeableConcepts
        klass = first(first(klass).get("coding")) if isinstance(first(klass), dict) else None
    class_code = klass.get("code") if isinstance(klass, dict) else None
    start_date, start_time = rows.first_time(res, where, ("period.start",))
    end_date, end_time = rows.first_time(res, where, ("period.end",), required=False)
    type_key, _ = rows.concept(first(res.get("type")), "Visit")
    stay = res.get("hospitalization") or {}
    rows.add(
        "visit_occurrence",
        visit_occurrence_id=stable_id(f"Encounter/{where.rid}"),
        person_id=rows.ref(res, "subject", "Patient", bundle, where, checked=True),
        visit_concept_id=VISIT_CLASSES.get(class_code, 0) if isinstance(class_code, str) else 0,
        visit_start_date=start_date,
        visit_start_datetime=start_time,
        visit_end_date=end_date,
        visit_end_datetime=end_time,
        visit_type_concept_id=EHR,
        provider_id=rows.ref(
            first(res.get("participant")),
            "individual",
            "Practitioner",
            bundle,
            where,
            checked=False,
        ),
        care_site_id=rows.ref(res, "serviceProvider", "Organization", bundle, where, checked=False),
        visit_source_value=class_code,
        visit_source_concept_id=type_key,
        admitted_from_source_value=code_of(stay.get("admitSource")),
        discharged_to_source_value=code_of(stay.get("dischargeDisposition")),
    )


def map_condition(rows: OmopRows, res: dict[str, Any], where: Where, bundle: BundleIndex) -> None:
    """Condition → condition_occurrence (onset, abatement)."""
    if code_of(res.get("verificationStatus")) in ("entered-in-error", "refuted"):
        rows.skipped["Condition (refuted or entered-in-error)"] += 1
        rows.withdrawn.add(f"Condition/{where.rid}")
        return
    start = rows.first_time(res, where, ("onsetDateTime", "onsetPeriod.start", "recordedDate"))
    end = rows.first_time(res, where, ("abatementDateTime", "abatementPeriod.end"), required=False)
    concept, source = rows.concept(res.get("code"), "Condition")
    rows.add(
        "condition_occurrence",
        condition_occurrence_id=stable_id(f"Condition/{where.rid}"),
        condition_concept_id=concept or 0,
        condition_start_date=start[0],
        condition_start_datetime=start[1],
        condition_end_date=end[0],
        condition_end_datetime=end[1],
        condition_type_concept_id=EHR,
        condition_source_value=source,
        condition_source_concept_id=concept,
        condition_status_source_value=code_of(res.get("clinicalStatus")),
        **_links(rows, res, where, bundle, performer="recorder"),
    )


def map_medication_request(
    rows: OmopRows, res: dict[str, Any], where: Where, bundle: BundleIndex
) -> None:
    """MedicationRequest → drug_exposure (authoredOn; RxNorm code)."""
    if rows.withdrawn_resource(res, where):
        return
    codeable = res.get("medicationCodeableConcept")
    if codeable is None and isinstance(res.get("medicationReference"), dict):
        target = res["medicationReference"].get("reference")
        if isinstance(target, str):
            contained = {
                f"#{c.get('id')}": c for c in res.get("contained") or [] if isinstance(c, dict)
            }
            key = bundle.full_urls.get(target, target)
            medication = bundle.medications.get(key) or contained.get(target) or {}
            codeable = medication.get("code")
    concept, source = rows.concept(codeable, "Drug")
    if source is None:
        raise where.error(
            "medicationCodeableConcept",
            "expected a medicationCodeableConcept or a medicationReference to a Medication of the bundle",
        )
    start_date, start_time = rows.first_time(res, where, ("authoredOn",))
    dispense = res.get("dispenseRequest") or {}
    end_date, end_time = rows.first_time(dispense, where, ("validityPeriod.end",), required=False)
    supply = dispense.get("expectedSupplyDuration") or {}
    days = (
        supply.get("value")
        if supply.get("code", supply.get("unit")) in ("d", "day", "days")
        else None
    )
    quantity = (dispense.get("quantity") or {}).get("value")
    refills = dispense.get("numberOfRepeatsAllowed")
    dosage = first(res.get("dosageInstruction"))
    dosage = dosage if isinstance(dosage, dict) else {}
    rows.add(
        "drug_exposure",
        drug_exposure_id=stable_id(f"MedicationRequest/{where.rid}"),
        drug_concept_id=concept or 0,
        drug_exposure_start_date=start_date,
        drug_exposure_start_datetime=start_time,
        drug_exposure_end_date=end_date,
        drug_exposure_end_datetime=end_time,
        drug_type_concept_id=EHR_PRESCRIPTION,
        stop_reason=code_of(res.get("statusReason")),
        refills=refills if isinstance(refills, int) else None,
        quantity=float(quantity) if is_number(quantity) else None,
        days_supply=int(days) if is_number(days) else None,
        sig=dosage.get("text"),
        drug_source_value=source,
        drug_source_concept_id=concept,
        route_source_value=code_of(dosage.get("route")),
        **_links(rows, res, where, bundle, performer="requester"),
    )


def map_immunization(
    rows: OmopRows, res: dict[str, Any], where: Where, bundle: BundleIndex
) -> None:
    """Immunization → drug_exposure (CVX code; a vaccination starts and ends the same day)."""
    if rows.withdrawn_resource(res, where):
        return
    concept, source = rows.concept(res.get("vaccineCode"), "Drug")
    if source is None:
        raise where.error("vaccineCode", "expected a vaccine code (CodeableConcept)")
    start_date, start_time = rows.first_time(res, where, ("occurrenceDateTime",))
    dose = (res.get("doseQuantity") or {}).get("value")
    rows.add(
        "drug_exposure",
        drug_exposure_id=stable_id(f"Immunization/{where.rid}"),
        drug_concept_id=concept or 0,
        drug_exposure_start_date=start_date,
        drug_exposure_start_datetime=start_time,
        drug_exposure_end_date=start_date,
        drug_exposure_end_datetime=start_time,
        drug_type_concept_id=EHR,
        quantity=float(dose) if is_number(dose) else None,
        lot_number=res.get("lotNumber"),
        drug_source_value=source,
        drug_source_concept_id=concept,
        route_source_value=code_of(res.get("route")),
        **_links(rows, res, where, bundle, subject="patient"),
    )


def map_procedure(rows: OmopRows, res: dict[str, Any], where: Where, bundle: BundleIndex) -> None:
    """Procedure → procedure_occurrence (performedDateTime or performedPeriod)."""
    if rows.withdrawn_resource(res, where):
        return
    start = rows.first_time(res, where, ("performedDateTime", "performedPeriod.start"))
    end = rows.first_time(res, where, ("performedPeriod.end",), required=False)
    concept, source = rows.concept(res.get("code"), "Procedure")
    rows.add(
        "procedure_occurrence",
        procedure_occurrence_id=stable_id(f"Procedure/{where.rid}"),
        procedure_concept_id=concept or 0,
        procedure_date=start[0],
        procedure_datetime=start[1],
        procedure_end_date=end[0],
        procedure_end_datetime=end[1],
        procedure_type_concept_id=EHR,
        procedure_source_value=source,
        procedure_source_concept_id=concept,
        **_links(rows, res, where, bundle),
    )


def map_observation(rows: OmopRows, res: dict[str, Any], where: Where, bundle: BundleIndex) -> None:
    """Observation → measurement (numeric value) or observation; one row per component."""
    if rows.withdrawn_resource(res, where):
        return
    when = rows.first_time(
        res, where, ("effectiveDateTime", "effectivePeriod.start", "effectiveInstant", "issued")
    )
    links = _links(rows, res, where, bundle)
    components = res.get("component")
    if isinstance(components, list) and components:
        for index, component in enumerate(components):
            if not isinstance(component, dict):
                raise where.error(f"component[{index}]", "expected a component object")
            key = f"Observation/{where.rid}#component/{index}"
            _observed_value(rows, component, key, when, links, where, f"component[{index}].")
    else:
        _observed_value(rows, res, f"Observation/{where.rid}", when, links, where, "")


def _observed_value(rows: OmopRows, holder: dict[str, Any], key: str, when: tuple[Any, Any],
                    links: dict[str, Any], where: Where, prefix: str) -> None:  # fmt: skip
    """One measurement or observation row for an Observation (or one of its components)."""
    quantity = holder.get("valueQuantity")
    if quantity is None and "valueInteger" in holder:
        quantity = {"value": holder["valueInteger"]}
    if quantity is not None:
        value = quantity.get("value") if isinstance(quantity, dict) else quantity
        if not isinstance(quantity, dict) or not is_number(value):
            field = (
                f"{prefix}valueQuantity.value"
                if "valueQuantity" in holder
                else f"{prefix}valueInteger"
            )
            raise where.error(field, f"expected a number, got {value!r}")
        concept, source = rows.concept(holder.get("code"), "Measurement")
        unit_concept, unit = rows.unit(quantity)
        ranges = first(holder.get("referenceRange"))
        ranges = ranges if isinstance(ranges, dict) else {}
        low = (ranges.get("low") or {}).get("value")
        high = (ranges.get("high") or {}).get("value")
        rows.add(
            "measurement",
            measurement_id=stable_id(key),
            measurement_concept_id=concept or 0,
            measurement_date=when[0],
            measurement_datetime=when[1],
            measurement_type_concept_id=EHR,
            operator_concept_id=OPERATORS.get(quantity.get("comparator", "")),
            value_as_number=float(value),
            unit_concept_id=unit_concept,
            range_low=float(low) if is_number(low) else None,
            range_high=float(high) if is_number(high) else None,
            measurement_source_value=source,
            measurement_source_concept_id=concept,
            unit_source_value=unit,
            **links,
        )
        return
    value_concept = value_source = text = None
    if isinstance(holder.get("valueCodeableConcept"), dict):
        codeable = holder["valueCodeableConcept"]
        value_concept, value_source = rows.concept(codeable, "Meas Value")
        picked = pick_coding(codeable)
        text = codeable.get("text") or (picked[2] if picked else None)
    elif "valueString" in holder:
        text = str(holder["valueString"])
    elif "valueBoolean" in holder:
        text = "true" if holder["valueBoolean"] else "false"
    elif "valueDateTime" in holder:
        text = str(holder["valueDateTime"])
    concept, source = rows.concept(holder.get("code"), "Observation")
    rows.add(
        "observation",
        observation_id=stable_id(key),
        observation_concept_id=concept or 0,
        observation_date=when[0],
        observation_datetime=when[1],
        observation_type_concept_id=EHR,
        value_as_string=text,
        value_as_concept_id=value_concept,
        observation_source_value=source,
        observation_source_concept_id=concept,
        value_source_value=value_source,
        **links,
    )
