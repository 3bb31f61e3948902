"""The synthetic hospital writes OMOP 5.4 tables with its codes in the concept table."""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import hopia.synth
from hopia.errors import InputError
from hopia.synth import generate_hospital
from hopia.warehouse.schema import OMOP_TABLES, arrow_schema
from hopia.warehouse.vocab import LABS, VITALS

UNITS = {"URG", "UHCD", "CARDIO", "USIC", "PNEUMO", "MED_INT", "GERIA", "NEURO", "UNV", "REA",
         "CHIR_VISC", "CHIR_ORTHO", "MATER", "PEDIA", "ONCO", "SSR"}  # fmt: skip


def _digest(table: pa.Table) -> str:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def test_all_is_honest():
    assert sorted(hopia.synth.__all__) == sorted(
        n for n in hopia.synth.__all__ if hasattr(hopia.synth, n)
    )


def test_tables_match_the_warehouse_schema(hospital):
    assert set(hospital.tables) <= set(OMOP_TABLES)
    for name, table in hospital.tables.items():
        assert table.schema == arrow_schema(name), name
        for field in arrow_schema(name):
            if not field.nullable:
                assert table[field.name].null_count == 0, (name, field.name)
    assert set(hospital.extra) == {f"synth_truth.{n}" for n in hospital.truth}


def test_ids_are_unique(hospital):
    t = hospital.tables
    for name, key in (("person", "person_id"), ("visit_occurrence", "visit_occurrence_id"),
                      ("visit_detail", "visit_detail_id"), ("measurement", "measurement_id"),
                      ("condition_occurrence", "condition_occurrence_id"), ("note", "note_id"),
                      ("observation", "observation_id"), ("drug_exposure", "drug_exposure_id")):  # fmt: skip
        column = t[name][key]
        assert pc.count_distinct(column).as_py() == len(column), name


def test_same_seed_same_bytes_other_seed_differs():
    a = generate_hospital(patients=300, years=1, seed=5)
    b = generate_hospital(patients=300, years=1, seed=5)
    c = generate_hospital(patients=300, years=1, seed=6)
    for name in a.tables:
        assert _digest(a.tables[name]) == _digest(b.tables[name]), name
    for name in a.truth:
        assert _digest(a.truth[name]) == _digest(b.truth[name]), name
    assert _digest(a.tables["measurement"]) != _digest(c.tables["measurement"])


def test_every_code_has_a_concept(hospital):
    t = hospital.tables
    concepts = set(t["concept"]["concept_id"].to_pylist())
    for name, column in (("condition_occurrence", "condition_concept_id"), ("drug_exposure", "drug_concept_id"),
                         ("procedure_occurrence", "procedure_concept_id"), ("measurement", "measurement_concept_id"),
                         ("measurement", "unit_concept_id"), ("observation", "observation_concept_id"),
                         ("visit_occurrence", "visit_concept_id")):  # fmt: skip
        used = set(pc.unique(t[name][column]).to_pylist())
        assert used <= concepts, (name, used - concepts)
    concept = t["concept"].to_pandas()
    local = concept[~concept.concept_id.isin([9201, 9202, 9203, 32037])]
    assert local.concept_id.min() >= 2_000_000_001
    assert set(concept.vocabulary_id) >= {
        "ICD10",
        "CCAM",
        "LOINC",
        "ATC",
        "UCUM",
        "Visit",
        "MOTIF",
        "TRIAGE",
        "CAG",
        "UHDRS",
        "ACR",
    }
    assert (concept.standard_concept == "S").all()


def test_vitals_and_labs_use_the_shared_loinc_codes(hospital):
    m = hospital.tables["measurement"]
    codes = set(pc.unique(m["measurement_source_value"]).to_pylist())
    expected = {c.split("/")[1] for c in [*VITALS.values(), *LABS.values()]}
    assert expected <= codes
    hr = m.filter(pc.equal(m["measurement_source_value"], "8867-4"))
    assert set(pc.unique(hr["unit_source_value"]).to_pylist()) == {"/min"}
    creat = m.filter(pc.equal(m["measurement_source_value"], "14682-9"))
    assert set(pc.unique(creat["unit_source_value"]).to_pylist()) == {"umol/L"}
    values = pc.min_max(hr["value_as_number"]).as_py()
    assert values["min"] >= 30 and values["max"] <= 220


def test_care_sites_are_the_chru_units(hospital):
    sites = hospital.tables["care_site"]
    assert set(sites["care_site_source_value"].to_pylist()) >= UNITS
    assert "Réanimation médicale" in sites["care_site_name"].to_pylist()


def test_people_live_in_the_grand_est(hospital):
    t = hospital.tables
    loc = t["location"].to_pandas().set_index("location_id")
    person = t["person"].to_pandas()
    zips = loc.loc[person.location_id, "zip"]
    assert zips.str.match(r"^(54|57|88|55|67|68|51|10|08|52)\d{3}$").all()
    pairs = set(zip(loc.city, loc.zip, strict=True))
    assert ("Nancy", "54000") in pairs and ("Vandœuvre-lès-Nancy", "54500") in pairs
    assert all(not (city == "Metz" and z != "57000") for city, z in pairs)
    ident = hospital.truth["identity"].to_pandas()
    assert (person.person_source_value.to_numpy() == ident.ipp.to_numpy()).all()
    assert ident.ipp.is_unique


def test_nir_keys_are_valid(hospital):
    nir = hospital.truth["identity"]["nir"].to_pylist()
    assert all(len(n) == 15 for n in nir)
    corsican = 0
    for n in nir:
        body = n[:13].replace("2A", "19").replace("2B", "18")
        assert int(n[13:]) == 97 - int(body) % 97
        corsican += n[5:7] in ("2A", "2B")
    assert corsican > 0
    assert hopia.synth.nir_key(
        np.array(["2550814168025"], dtype=np.dtypes.StringDType())
    ).tolist() == [38]


def test_bad_arguments_are_refused():
    with pytest.raises(InputError, match="patients"):
        generate_hospital(patients=3)
    with pytest.raises(InputError, match="start"):
        generate_hospital(patients=100, years=1, start="hier")
