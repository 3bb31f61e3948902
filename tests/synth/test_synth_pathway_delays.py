"""The planted pathway delays (``synth_truth.pathway_delays``) are what the tables record."""

from __future__ import annotations

import pandas as pd

from hopia.synth._pathway_delays import LATE_MINUTES, ON_TIME_MINUTES, TARGET_MINUTES


def _ed_visits(hospital, icd10: str) -> pd.DataFrame:
    """ED visits whose main diagnosis is ``icd10``, with arrival, triage and departure."""
    visits = hospital.tables["visit_occurrence"].to_pandas()
    ed = visits[visits.visit_concept_id == 9203]
    conditions = hospital.tables["condition_occurrence"].to_pandas()
    main = conditions[
        (conditions.condition_status_source_value == "DP")
        & (conditions.condition_source_value == icd10)
    ]
    ed = ed[ed.visit_occurrence_id.isin(main.visit_occurrence_id)]
    obs = hospital.tables["observation"].to_pandas()
    triage = obs[obs.observation_source_value == "TRIAGE"].set_index("visit_occurrence_id")
    return ed.assign(triage=ed.visit_occurrence_id.map(triage.observation_datetime)).set_index(
        "visit_occurrence_id"
    )


def _first_time(table: pd.DataFrame, time: str, visits: pd.Index) -> pd.Series:
    return table[table.visit_occurrence_id.isin(visits)].groupby("visit_occurrence_id")[time].min()


def test_stroke_imaging_and_sepsis_antibiotics_are_timed_as_the_truth_says(hospital):
    truth = hospital.truth["pathway_delays"].to_pandas()
    assert list(truth.columns) == [
        "visit_occurrence_id", "person_id", "pathway", "step", "reference_step",
        "target_minutes", "delay_minutes", "late",
    ]  # fmt: skip
    procedures = hospital.tables["procedure_occurrence"].to_pandas()
    drugs = hospital.tables["drug_exposure"].to_pandas()
    imaging = procedures[procedures.procedure_source_value == "ACQK001"]
    antibiotics = drugs[drugs.drug_source_value.str.startswith("J01")]
    for pathway, icd10, reference, events, time in (
        ("stroke", "I63.9", "visit_start_datetime", imaging, "procedure_datetime"),
        ("sepsis", "A41.9", "triage", antibiotics, "drug_exposure_start_datetime"),
    ):
        ed = _ed_visits(hospital, icd10)
        rows = truth[truth.pathway == pathway].set_index("visit_occurrence_id")
        assert set(rows.index) == set(ed.index) and len(rows) > 10  # every such ED visit
        assert (rows.person_id == ed.person_id.loc[rows.index]).all()
        # the first such step of the ED visit is at the reference time + the planted delay
        first = _first_time(events, time, rows.index).loc[rows.index]
        delay = (first - ed[reference].loc[rows.index]).dt.total_seconds() / 60
        assert (delay == rows.delay_minutes).all()
        assert (first <= ed.visit_end_datetime.loc[rows.index] - pd.Timedelta(minutes=5)).all()
        assert (rows.late == (rows.delay_minutes > TARGET_MINUTES)).all()
        late, on_time = rows.delay_minutes[rows.late], rows.delay_minutes[~rows.late]
        assert late.between(*LATE_MINUTES).all() and on_time.between(1, ON_TIME_MINUTES[1]).all()
        assert 0 < rows.late.sum() < len(rows)
