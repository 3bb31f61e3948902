"""FHIR people and places → OMOP: Patient → person (+ location, death), Organization →
care_site (+ location), Practitioner → provider.

Gender: ``male`` 8507, ``female`` 8532, anything else 0 (the FHIR word kept in
``gender_source_value``). Race and ethnicity come from the US Core extensions (OMB category
codes → OMOP Race/Ethnicity concepts). ``deceasedDateTime`` gives a death row; a
``deceasedBoolean`` without a date gives none (counted as skipped).
"""

from __future__ import annotations

from typing import Any

from hopia.warehouse._fhir_rows import EHR, BundleIndex, OmopRows, code_of, extensions
from hopia.warehouse._fhir_values import Where, first, is_number, stable_id

GENDERS = {"male": 8507, "female": 8532}
RACES = {"1002-5": 8657, "2028-9": 8515, "2054-5": 8516, "2076-8": 8557, "2106-3": 8527}
ETHNICITIES = {"2135-2": 38003563, "2186-5": 38003564}


def map_patient(rows: OmopRows, res: dict[str, Any], where: Where, bundle: BundleIndex) -> None:
    """Patient → person (+ location, + death when ``deceasedDateTime`` is given)."""
    key = f"Patient/{where.rid}"
    birth = res.get("birthDate")
    if birth is None:
        raise where.error("birthDate", "expected a birth date (YYYY-MM-DD)")
    birth_date, _ = rows.when(birth, where, "birthDate")
    birth_time = None
    for ext in extensions(res.get("_birthDate")):
        if str(ext.get("url", "")).endswith("patient-birthTime") and "valueDateTime" in ext:
            birth_time = rows.when(ext["valueDateTime"], where, "_birthDate.extension")[1]
    race = ethnicity = None
    for ext in extensions(res):
        url = str(ext.get("url", ""))
        if url.endswith("us-core-race"):
            race = _omb_category(ext)
        elif url.endswith("us-core-ethnicity"):
            ethnicity = _omb_category(ext)
    gender = res.get("gender")
    rows.add(
        "person",
        person_id=stable_id(key),
        gender_concept_id=GENDERS.get(gender, 0) if isinstance(gender, str) else 0,
        year_of_birth=birth_date.year,
        month_of_birth=birth_date.month if len(birth) >= 7 else None,
        day_of_birth=birth_date.day if len(birth) >= 10 else None,
        birth_datetime=birth_time,
        race_concept_id=RACES.get(race[0], 0) if race else 0,
        ethnicity_concept_id=ETHNICITIES.get(ethnicity[0], 0) if ethnicity else 0,
        location_id=map_location(rows, res.get("address"), key),
        provider_id=rows.ref(
            res, "generalPractitioner", "Practitioner", bundle, where, checked=False
        ),
        care_site_id=rows.ref(
            res, "managingOrganization", "Organization", bundle, where, checked=False
        ),
        person_source_value=where.rid,
        gender_source_value=gender,
        race_source_value=race[1] if race else None,
        ethnicity_source_value=ethnicity[1] if ethnicity else None,
    )
    if res.get("deceasedDateTime") is not None:
        death_date, death_time = rows.when(res["deceasedDateTime"], where, "deceasedDateTime")
        rows.add("death", person_id=key, death_date=death_date, death_datetime=death_time,
                 death_type_concept_id=EHR)  # fmt: skip
    elif res.get("deceasedBoolean") is True:
        rows.skipped["Patient deceased without a date"] += 1


def map_location(rows: OmopRows, addresses: Any, owner: str) -> int | None:
    """The home (else the first) address of ``owner`` → a location row; returns its id."""
    if not isinstance(addresses, list):
        return None
    usable = [a for a in addresses if isinstance(a, dict)]
    homes = [a for a in usable if a.get("use") in (None, "home")]
    if not usable:
        return None
    address = (homes or usable)[0]
    lines = [line for line in address.get("line") or [] if isinstance(line, str)]
    latitude = longitude = None
    for ext in extensions(address):
        if str(ext.get("url", "")).endswith("geolocation"):
            for part in extensions(ext):
                value = part.get("valueDecimal")
                if part.get("url") == "latitude" and is_number(value):
                    latitude = float(value)
                elif part.get("url") == "longitude" and is_number(value):
                    longitude = float(value)
    location_id = stable_id(f"{owner}#address")
    rows.add(
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


def map_organization(
    rows: OmopRows, res: dict[str, Any], where: Where, bundle: BundleIndex
) -> None:
    """Organization → care_site (+ location)."""
    key = f"Organization/{where.rid}"
    rows.add(
        "care_site",
        care_site_id=stable_id(key),
        care_site_name=res.get("name"),
        location_id=map_location(rows, res.get("address"), key),
        care_site_source_value=where.rid,
        place_of_service_source_value=code_of(first(res.get("type"))),
    )


def map_practitioner(
    rows: OmopRows, res: dict[str, Any], where: Where, bundle: BundleIndex
) -> None:
    """Practitioner → provider (name, NPI, gender)."""
    npi = next(
        (i.get("value") for i in res.get("identifier") or []
         if isinstance(i, dict) and i.get("system") == "http://hl7.org/fhir/sid/us-npi"),
        None,
    )  # fmt: skip
    birth = res.get("birthDate")
    gender = res.get("gender")
    rows.add(
        "provider",
        provider_id=stable_id(f"Practitioner/{where.rid}"),
        provider_name=_human_name(first(res.get("name"))),
        npi=npi,
        year_of_birth=rows.when(birth, where, "birthDate")[0].year if birth else None,
        gender_concept_id=GENDERS.get(gender, 0) if isinstance(gender, str) else None,
        provider_source_value=where.rid,
        gender_source_value=gender,
    )


def _omb_category(extension: dict[str, Any]) -> tuple[str, str] | None:
    """``(code, text)`` of a US Core race or ethnicity extension."""
    code = text = None
    for part in extensions(extension):
        if part.get("url") == "ombCategory" and isinstance(part.get("valueCoding"), dict):
            code = part["valueCoding"].get("code")
            text = text or part["valueCoding"].get("display")
        elif part.get("url") == "text" and isinstance(part.get("valueString"), str):
            text = part["valueString"]
    return (str(code), str(text or code)) if code else None


def _human_name(name: Any) -> str | None:
    if not isinstance(name, dict):
        return None
    if isinstance(name.get("text"), str):
        return str(name["text"])
    parts = [*(name.get("prefix") or []), *(name.get("given") or []), name.get("family")]
    return " ".join(p for p in parts if isinstance(p, str)) or None
