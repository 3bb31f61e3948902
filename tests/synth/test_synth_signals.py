"""Marginals of the planted signals, within stated tolerances (2,000 patients, 3 years)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc
from sklearn.metrics import roc_auc_score


def _stays(hospital) -> pd.DataFrame:
    v = hospital.tables["visit_occurrence"].to_pandas()
    return v


def test_inpatient_mortality_los_and_readmission(hospital):
    v = _stays(hospital)
    ip = v[v.visit_concept_id == 9201].sort_values(["person_id", "visit_start_datetime"])
    died = ip.discharged_to_source_value == "deces"
    assert 0.015 <= died.mean() <= 0.045  # target 2-4 %
    los = (ip.visit_end_datetime - ip.visit_start_datetime).dt.total_seconds() / 86400
    assert 3.5 <= los.median() <= 6.5  # target 4-6 days
    nxt = ip.groupby("person_id").visit_start_datetime.shift(-1)
    gap = (nxt - ip.visit_end_datetime).dt.total_seconds() / 86400
    end = v.visit_end_datetime.max() - pd.Timedelta(days=30)
    eligible = ~died & (ip.visit_end_datetime < end)
    readmitted = (gap <= 30) & gap.notna()
    assert 0.08 <= readmitted[eligible].mean() <= 0.17  # target 10-15 %


def test_ed_admission_rate_and_triage(hospital):
    v = _stays(hospital)
    ed = v[v.visit_concept_id == 9203]
    admitted = ed.discharged_to_source_value == "hospitalisation"
    assert 0.17 <= admitted.mean() <= 0.28  # target 20-25 %
    ip = v[v.visit_concept_id == 9201]
    after_ed = ip.dropna(subset=["preceding_visit_occurrence_id"])
    assert set(after_ed.preceding_visit_occurrence_id.astype(int)) <= set(ed.visit_occurrence_id)
    assert (after_ed.admitted_from_source_value == "urgences").all()
    # an admitted ED visit ends when its inpatient stay starts
    joined = after_ed.merge(
        ed,
        left_on="preceding_visit_occurrence_id",
        right_on="visit_occurrence_id",
        suffixes=("", "_ed"),
    )
    assert (joined.visit_start_datetime == joined.visit_end_datetime_ed).all()
    obs = hospital.tables["observation"]
    levels = obs.filter(pc.equal(obs["observation_source_value"].cast("string"), "3"))
    assert levels.num_rows > 0


def test_true_risks_are_learnable_but_not_trivially(hospital):
    truth = hospital.truth["stay_risk"].to_pandas()
    auc_death = roc_auc_score(truth.died, truth.p_death)
    assert 0.78 <= auc_death <= 0.95
    alive = ~truth.died
    auc_readmission = roc_auc_score(
        truth.readmission_planted[alive], truth.p_readmission_30d[alive]
    )
    assert 0.65 <= auc_readmission <= 0.85


def test_age_pyramid(hospital):
    person = hospital.tables["person"].to_pandas()
    middle = hospital.tables["visit_occurrence"]["visit_start_datetime"].to_pandas()
    mid = middle.min() + (middle.max() - middle.min()) / 2
    age = (mid - person.birth_datetime).dt.days / 365.25
    assert 0.13 <= (age < 15).mean() <= 0.21  # pyramid: 16 %
    assert 0.24 <= (age >= 65).mean() <= 0.34  # pyramid: 28.4 %
    assert age.max() < 101
    assert 0.48 <= (person.gender_concept_id == 8532).mean() <= 0.56


def test_winter_peak_and_outbreaks(hospital):
    v = _stays(hospital)
    ed = v[v.visit_concept_id == 9203]
    month = ed.visit_start_datetime.dt.month
    winter = month.isin([12, 1, 2]).sum() / 3
    summer = month.isin([6, 7, 8]).sum() / 3
    assert winter > 1.1 * summer
    outbreaks = hospital.truth["outbreaks"].to_pandas()
    assert {"ili", "bronchiolitis", "gastroenteritis", "covid", "heat"} <= set(outbreaks.syndrome)
    assert {"seasonal", "wave", "cluster", "heat"} <= set(outbreaks.kind)
    assert (outbreaks.end_date >= outbreaks.start_date).all()
    # bronchiolitis waves: the ED sees J21.9 mostly inside the true periods
    cond = hospital.tables["condition_occurrence"].to_pandas()
    j21 = pd.to_datetime(cond[cond.condition_source_value == "J21.9"].condition_start_date)
    waves = outbreaks[outbreaks.syndrome == "bronchiolitis"]
    inside = np.zeros(len(j21), bool)
    for w in waves.itertuples():
        inside |= (
            (j21 >= pd.Timestamp(w.start_date)) & (j21 <= pd.Timestamp(w.end_date))
        ).to_numpy()
    assert inside.mean() > 0.6
    assert outbreaks.excess_cases.sum() > 0


def test_deterioration_vitals_drift_before_icu(hospital):
    truth = hospital.truth["stay_risk"].to_pandas()
    det = truth.dropna(subset=["deterioration_datetime"])
    assert len(det) > 10
    m = hospital.tables["measurement"]
    hr = m.filter(pc.equal(m["measurement_source_value"], "8867-4")).select(
        ["visit_occurrence_id", "measurement_datetime", "value_as_number"]).to_pandas()  # fmt: skip
    hr = hr.merge(det[["visit_occurrence_id", "deterioration_datetime"]], on="visit_occurrence_id")
    hours = (hr.deterioration_datetime - hr.measurement_datetime).dt.total_seconds() / 3600
    late = hr.value_as_number[(hours >= 0) & (hours <= 6)].mean()
    early = hr.value_as_number[hours > 30].mean()
    assert late > early + 10


def test_transfer_chains_are_time_ordered(hospital):
    d = hospital.tables["visit_detail"].to_pandas()
    assert (d.visit_detail_end_datetime >= d.visit_detail_start_datetime).all()
    chained = d.dropna(subset=["preceding_visit_detail_id"]).merge(
        d, left_on="preceding_visit_detail_id", right_on="visit_detail_id", suffixes=("", "_prev"))  # fmt: skip
    assert len(chained) > 0
    assert (chained.visit_occurrence_id == chained.visit_occurrence_id_prev).all()
    assert (chained.visit_detail_start_datetime == chained.visit_detail_end_datetime_prev).all()
    v = hospital.tables["visit_occurrence"].to_pandas().set_index("visit_occurrence_id")
    span = v.loc[d.visit_occurrence_id]
    assert (d.visit_detail_start_datetime.to_numpy() >= span.visit_start_datetime.to_numpy()).all()
    assert (d.visit_detail_end_datetime.to_numpy() <= span.visit_end_datetime.to_numpy()).all()
    # ED → ward → ICU → ward chains exist
    units = (
        d.sort_values("visit_detail_start_datetime")
        .groupby("visit_occurrence_id")
        .visit_detail_source_value.agg(tuple)
    )
    assert any(len(u) == 3 and u[1] == "REA" for u in units)
    assert {"URG", "UHCD"} <= set(d.visit_detail_source_value)


def test_timelines_respect_birth_death_and_overlaps(hospital):
    t = hospital.tables
    v = (
        t["visit_occurrence"]
        .to_pandas()
        .sort_values(["person_id", "visit_start_datetime", "visit_occurrence_id"])
    )
    person = t["person"].to_pandas().set_index("person_id")
    assert (
        v.visit_start_datetime.to_numpy() >= person.loc[v.person_id, "birth_datetime"].to_numpy()
    ).all()
    death = t["death"].to_pandas().set_index("person_id")
    assert death.index.is_unique
    dead = v[v.person_id.isin(death.index)]
    assert (
        dead.visit_end_datetime.to_numpy() <= death.loc[dead.person_id, "death_datetime"].to_numpy()
    ).all()
    assert t["death"].num_rows == (v.discharged_to_source_value == "deces").sum()
    m = t["measurement"].select(["person_id", "measurement_datetime"]).to_pandas()
    m = m[m.person_id.isin(death.index)]
    assert (
        m.measurement_datetime.to_numpy() <= death.loc[m.person_id, "death_datetime"].to_numpy()
    ).all()
    op = t["observation_period"].to_pandas().set_index("person_id")
    assert len(op) == t["person"].num_rows
    assert (
        v.visit_start_datetime.dt.date.to_numpy()
        >= op.loc[v.person_id, "observation_period_start_date"].to_numpy()
    ).all()
    assert (
        v.visit_end_datetime.dt.date.to_numpy()
        <= op.loc[v.person_id, "observation_period_end_date"].to_numpy()
    ).all()
