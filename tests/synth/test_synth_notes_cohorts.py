"""Notes carry gold PHI spans that slice exactly; cohorts follow their planted parameters."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa

from hopia.synth import format_date, format_phone

LABELS = {"NOM", "PRENOM", "DATE", "DATE_NAISSANCE", "ADRESSE", "VILLE", "ZIP", "TEL", "MAIL", "SECU", "IPP", "NDA", "HOPITAL"}  # fmt: skip


def test_phi_spans_slice_the_note_text(hospital):
    notes = hospital.tables["note"].to_pandas().set_index("note_id")
    phi = hospital.truth["note_phi"].to_pandas()
    assert set(phi.label) <= LABELS and {
        "NOM",
        "PRENOM",
        "DATE",
        "TEL",
        "SECU",
        "IPP",
        "NDA",
        "HOPITAL",
        "MAIL",
    } <= set(phi.label)
    texts = notes.loc[phi.note_id, "note_text"].to_numpy()
    sliced = [t[s:e] for t, s, e in zip(texts, phi.start, phi.end, strict=True)]
    assert sliced == phi.text.tolist()
    assert set(notes.note_source_value) == {"CRH", "CRU", "CRO"}


def test_notes_name_the_right_person(hospital):
    notes = hospital.tables["note"].to_pandas().set_index("note_id")
    phi = hospital.truth["note_phi"].to_pandas()
    ident = hospital.truth["identity"].to_pandas().set_index("person_id")
    ipp = phi[phi.label == "IPP"].merge(notes[["person_id"]], left_on="note_id", right_index=True)
    assert (ipp.text.to_numpy() == ident.loc[ipp.person_id, "ipp"].to_numpy()).all()
    secu = phi[phi.label == "SECU"].merge(notes[["person_id"]], left_on="note_id", right_index=True)
    assert (
        secu.text.str.replace(" ", "").to_numpy() == ident.loc[secu.person_id, "nir"].to_numpy()
    ).all()


def test_eponyms_are_in_the_text_but_not_phi(hospital):
    notes = hospital.tables["note"]["note_text"].to_pylist()
    joined = "\n".join(notes)
    assert (
        "maladie de Parkinson" in joined
        and "Babinski" in joined
        and "chorée de Huntington" in joined
    )
    phi_text = set(hospital.truth["note_phi"]["text"].to_pylist())
    assert not {"Parkinson", "Babinski", "Huntington"} & phi_text


def test_formats_vary():
    t = np.array([int(pd.Timestamp("2023-03-01").timestamp())] * 5)
    assert format_date(t, np.arange(5)).to_pylist() == [
        "01/03/2023",
        "1er mars 2023",
        "01.03.23",
        "2023-03-01",
        "1/3/23",
    ]
    phones = format_phone(pa.array(["0383123456"] * 4), np.arange(4)).to_pylist()
    assert phones == ["03 83 12 34 56", "03.83.12.34.56", "+33 3 83 12 34 56", "0383123456"]


def test_phones_dates_and_mails_in_notes_look_french(hospital):
    phi = hospital.truth["note_phi"].to_pandas()
    tel = phi[phi.label == "TEL"].text
    assert tel.str.match(r"^(\+33 \d( \d\d){4}|0\d([ .]?\d\d){4})$").all()
    assert tel.str.startswith("+33").any() and tel.str.contains(r"\.").any()
    dates = phi[phi.label.isin(["DATE", "DATE_NAISSANCE"])].text
    months = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
    pattern = re.compile(
        rf"^(\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|\d{{2}}\.\d{{2}}\.\d{{2}}|\d{{4}}-\d{{2}}-\d{{2}}|(1er|\d{{1,2}}) ({months}) \d{{4}})$"
    )
    assert dates.map(lambda d: bool(pattern.match(d))).all()
    assert phi[phi.label == "MAIL"].text.str.match(r"^[a-z0-9.]+@[a-z.]+$").all()


def test_huntington_progression_follows_cag(hospital):
    truth = hospital.truth["huntington"].to_pandas()
    assert len(truth) >= 10 and truth.cag_repeats.between(38, 58).all()
    # longer repeats, earlier onset
    assert np.corrcoef(truth.cag_repeats, truth.onset_age)[0, 1] < -0.5
    m = hospital.tables["measurement"].to_pandas()
    tms = m[m.measurement_source_value == "TMS"].merge(truth, on="person_id")
    person = hospital.tables["person"].to_pandas().set_index("person_id")
    age = (
        tms.measurement_datetime - person.loc[tms.person_id, "birth_datetime"].to_numpy()
    ).dt.days / 365.25
    manifest = age > tms.onset_age + 2
    assert (
        tms.value_as_number[manifest].mean()
        > tms.value_as_number[age < tms.onset_age - 5].mean() + 5
    )
    cag = m[m.measurement_source_value == "REPEATS"].merge(truth, on="person_id")
    assert (cag.value_as_number == cag.cag_repeats).all()
    visits = hospital.tables["visit_occurrence"].to_pandas()
    neuro = visits[visits.visit_occurrence_id.isin(tms.visit_occurrence_id)]
    assert (neuro.visit_concept_id == 9202).all()


def test_breast_screening_pathway(hospital):
    truth = hospital.truth["screening"].to_pandas()
    truth["invitation_date"] = pd.to_datetime(truth.invitation_date)
    person = hospital.tables["person"].to_pandas().set_index("person_id")
    assert (person.loc[truth.person_id, "gender_concept_id"] == 8532).all()
    age = (
        pd.to_datetime(truth.invitation_date)
        - person.loc[truth.person_id, "birth_datetime"].to_numpy()
    ).dt.days / 365.25
    assert age.between(50, 75).all()
    assert 0.4 <= truth.participated.mean() <= 0.6
    rounds = (
        truth.sort_values(["person_id", "invitation_date"])
        .groupby("person_id")
        .invitation_date.diff()
        .dropna()
    )
    assert (rounds.dt.days.between(729, 731)).all()
    proc = hospital.tables["procedure_occurrence"].to_pandas()
    mammo = proc[proc.procedure_source_value == "QEQK004"]
    assert len(mammo) >= 0.9 * truth.participated.sum()
    obs = hospital.tables["observation"].to_pandas()
    acr = obs[obs.observation_concept_id.isin(hospital.tables["concept"].filter(
        pa.compute.equal(hospital.tables["concept"]["vocabulary_id"], "ACR"))["concept_id"].to_pylist())]  # fmt: skip
    assert len(acr) >= 0.9 * truth.participated.sum()
    assert (obs.observation_source_value == "INVITATION").sum() >= 0.9 * len(truth)
