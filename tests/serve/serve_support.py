"""Helpers of the service tests: a small warehouse, an app, one user and token per role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from fastapi.testclient import TestClient

from hopia.serve import ROLES, ServeConfig, add_user, create_app, create_token

PASSWORD = "a long enough password"
# Identifying values planted in the warehouse: they must never reach a log line.
SECRET_VALUES = ("1850775123456", "Dupont", "rue des Lilas", "douleur thoracique depuis")


def _ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def small_hospital_tables() -> dict[str, pa.Table]:
    """Three persons: #1 two stays (ICU then cardiology, labs, vitals), #2 died, #3 no stay."""
    hr = [("2024-01-10 09:00", 112.0), ("2024-01-10 15:00", 104.0), ("2024-01-11 09:00", 95.0),
          ("2024-01-12 09:00", 88.0), ("2024-01-14 09:00", 76.0)]  # fmt: skip
    creat = [("2024-01-10 10:00", 180.0), ("2024-01-12 10:00", 140.0), ("2024-01-14 10:00", 95.0)]
    measurements = [
        {"measurement_id": i + 1, "person_id": 1, "measurement_concept_id": 3027018,
         "measurement_date": _ts(t).date(), "measurement_datetime": _ts(t), "value_as_number": v,
         "unit_source_value": "/min", "visit_occurrence_id": 10}
        for i, (t, v) in enumerate(hr)
    ] + [
        {"measurement_id": 100 + i, "person_id": 1, "measurement_concept_id": 3016723,
         "measurement_date": _ts(t).date(), "measurement_datetime": _ts(t), "value_as_number": v,
         "unit_source_value": "umol/L", "visit_occurrence_id": 10}
        for i, (t, v) in enumerate(creat)
    ]  # fmt: skip
    return {
        "person": pa.Table.from_pylist(
            [
                {
                    "person_id": 1,
                    "gender_concept_id": 8507,
                    "year_of_birth": 1950,
                    "location_id": 1,
                    "person_source_value": "1850775123456",
                },
                {
                    "person_id": 2,
                    "gender_concept_id": 8532,
                    "year_of_birth": 1938,
                    "person_source_value": "Dupont",
                },
                {"person_id": 3, "gender_concept_id": 8532, "year_of_birth": 1990},
            ]
        ),
        "location": pa.Table.from_pylist(
            [{"location_id": 1, "address_1": "12 rue des Lilas", "city": "Nancy"}]
        ),
        "care_site": pa.Table.from_pylist(
            [
                {
                    "care_site_id": 1,
                    "care_site_name": "Réanimation",
                    "care_site_source_value": "REA",
                },
                {
                    "care_site_id": 2,
                    "care_site_name": "Cardiologie",
                    "care_site_source_value": "CARDIO",
                },
            ]
        ),
        "visit_occurrence": pa.Table.from_pylist(
            [
                {
                    "visit_occurrence_id": 9,
                    "person_id": 1,
                    "visit_concept_id": 9203,
                    "visit_start_date": dt.date(2023, 6, 1),
                    "visit_start_datetime": _ts("2023-06-01 20:00"),
                    "visit_end_date": dt.date(2023, 6, 2),
                    "visit_end_datetime": _ts("2023-06-02 02:00"),
                },
                {
                    "visit_occurrence_id": 10,
                    "person_id": 1,
                    "visit_concept_id": 9201,
                    "visit_start_date": dt.date(2024, 1, 10),
                    "visit_start_datetime": _ts("2024-01-10 08:00"),
                    "visit_end_date": dt.date(2024, 1, 15),
                    "visit_end_datetime": _ts("2024-01-15 12:00"),
                },
                {
                    "visit_occurrence_id": 20,
                    "person_id": 2,
                    "visit_concept_id": 9201,
                    "visit_start_date": dt.date(2024, 2, 1),
                    "visit_start_datetime": _ts("2024-02-01 10:00"),
                    "visit_end_date": dt.date(2024, 2, 3),
                    "visit_end_datetime": _ts("2024-02-03 10:00"),
                },
            ]
        ),
        "visit_detail": pa.Table.from_pylist(
            [
                {
                    "visit_detail_id": 1,
                    "person_id": 1,
                    "care_site_id": 1,
                    "visit_occurrence_id": 10,
                    "visit_detail_start_date": dt.date(2024, 1, 10),
                    "visit_detail_start_datetime": _ts("2024-01-10 08:00"),
                    "visit_detail_end_date": dt.date(2024, 1, 12),
                    "visit_detail_end_datetime": _ts("2024-01-12 10:00"),
                },
                {
                    "visit_detail_id": 2,
                    "person_id": 1,
                    "care_site_id": 2,
                    "visit_occurrence_id": 10,
                    "visit_detail_start_date": dt.date(2024, 1, 12),
                    "visit_detail_start_datetime": _ts("2024-01-12 10:00"),
                    "visit_detail_end_date": dt.date(2024, 1, 15),
                    "visit_detail_end_datetime": _ts("2024-01-15 12:00"),
                },
            ]
        ),
        "measurement": pa.Table.from_pylist(measurements),
        "condition_occurrence": pa.Table.from_pylist(
            [
                {
                    "condition_occurrence_id": 1,
                    "person_id": 1,
                    "condition_concept_id": 45,
                    "condition_start_date": dt.date(2024, 1, 10),
                    "visit_occurrence_id": 10,
                }
            ]
        ),
        "death": pa.Table.from_pylist(
            [
                {
                    "person_id": 2,
                    "death_date": dt.date(2024, 2, 3),
                    "death_datetime": _ts("2024-02-03 10:00"),
                }
            ]
        ),
        "note": pa.Table.from_pylist(
            [
                {
                    "note_id": 1,
                    "person_id": 1,
                    "note_date": dt.date(2024, 1, 10),
                    "note_text": "M. Dupont, douleur thoracique depuis ce matin.",
                    "visit_occurrence_id": 10,
                }
            ]
        ),
        "concept": pa.Table.from_pylist(
            [
                {
                    "concept_id": 3027018,
                    "concept_name": "Heart rate",
                    "vocabulary_id": "LOINC",
                    "concept_code": "8867-4",
                },
                {
                    "concept_id": 3016723,
                    "concept_name": "Creatinine [Moles/volume] in Serum or Plasma",
                    "vocabulary_id": "LOINC",
                    "concept_code": "14682-9",
                },
                {
                    "concept_id": 45,
                    "concept_name": "Subendocardial infarction",
                    "vocabulary_id": "ICD10",
                    "concept_code": "I21.4",
                },
                {
                    "concept_id": 9201,
                    "concept_name": "Inpatient Visit",
                    "vocabulary_id": "Visit",
                    "concept_code": "IP",
                },
                {
                    "concept_id": 9203,
                    "concept_name": "Emergency Room Visit",
                    "vocabulary_id": "Visit",
                    "concept_code": "ER",
                },
            ]
        ),
    }


@dataclass
class Service:
    """A test client with one user per role."""

    client: TestClient
    tokens: dict[str, str]
    config: ServeConfig

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def make_users(app_db: Path) -> dict[str, str]:
    """Create one user per role (named after the role) and an API token for each."""
    from hopia.serve import open_app_db

    engine, sessions = open_app_db(f"sqlite:///{app_db}")
    tokens = {}
    with sessions() as db:
        for role in ROLES:
            add_user(db, role, PASSWORD, role)
            tokens[role] = create_token(db, role)
    engine.dispose()
    return tokens


def make_service(
    warehouse_url: str,
    app_db: Path,
    models_dir: Path,
    tokens: dict[str, str] | None = None,
    **overrides: object,
) -> Service:
    """An app on ``warehouse_url``; users are created unless ``tokens`` says they exist."""
    if tokens is None:
        tokens = make_users(app_db)
    config = ServeConfig(
        warehouse_url=warehouse_url,
        app_db_url=f"sqlite:///{app_db}",
        models_dir=models_dir,
        secure_cookies=False,
        min_cell=2,
        **overrides,  # type: ignore[arg-type]
    )
    return Service(TestClient(create_app(config)), tokens, config)


def train_test_model(warehouse_url: str, task_name: str = "long_stay_7d") -> Any:
    """A small logistic model trained on the warehouse, as the service would get it from the
    registry (standardised features; contributions = coefficient × standardised value)."""
    from sklearn.linear_model import LogisticRegression

    from hopia.features import FeatureSpec, tabularize
    from hopia.serve._scoring import RegisteredModel
    from hopia.tasks import build_labels, load_task
    from hopia.warehouse import open_warehouse

    wh = open_warehouse(warehouse_url, read_only=True)
    task = load_task(task_name)
    spec = FeatureSpec(windows=["24h", "all"], min_persons=5)
    labels = build_labels(wh, task)
    matrix = tabularize(wh, labels, spec)
    frame = labels.labels.select(
        "person_id", "visit_occurrence_id", "index_time", "label"
    ).to_pandas()
    y = matrix.keys.merge(frame, on=["person_id", "visit_occurrence_id", "index_time"])["label"]
    dense = matrix.X.toarray()
    mean, std = dense.mean(axis=0), dense.std(axis=0) + 1e-9
    fitted = LogisticRegression(C=0.5, max_iter=500).fit((dense - mean) / std, y.to_numpy())

    def standardise(X: Any) -> Any:
        return (X.toarray() - mean) / std

    return RegisteredModel(
        task=task_name,
        version="1",
        task_spec=task,
        feature_spec=spec,
        feature_names=matrix.feature_names,
        risk=lambda X: fitted.predict_proba(standardise(X))[:, 1],
        contributions=lambda X: standardise(X) * fitted.coef_[0],
        created="2026-01-01",
        estimator="LogisticRegression",
        metrics={"auroc": 0.8},
        card={"intended_use": "tests"},
    )
