"""Fixtures of the service tests (helpers live in ``serve_support``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_support import Service, make_service, make_users, small_hospital_tables

from hopia.warehouse import write_warehouse


@pytest.fixture(scope="session")
def small_warehouse_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A DuckDB warehouse with :func:`small_hospital_tables` (built once per session)."""
    path = tmp_path_factory.mktemp("serve-wh") / "warehouse.duckdb"
    url = f"duckdb:///{path}"
    write_warehouse(small_hospital_tables(), url, source="serve tests").close()
    return url


@pytest.fixture(scope="session")
def users_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """An app database with one user and token per role (argon2 is slow: built once)."""
    path = tmp_path_factory.mktemp("serve-users") / "app.sqlite"
    return path, make_users(path)


@pytest.fixture
def service(
    small_warehouse_url: str, users_db: tuple[Path, dict[str, str]], tmp_path: Path
) -> Iterator[Service]:
    """The app on the small warehouse, with users ``admin``, ``data_scientist``, ``clinician``,
    ``viewer`` (named after their role) and their API tokens; a fresh app database per test."""
    template, tokens = users_db
    app_db = tmp_path / "app.sqlite"
    shutil.copyfile(template, app_db)
    svc = make_service(small_warehouse_url, app_db, tmp_path / "models", tokens)
    with svc.client:
        yield svc


@pytest.fixture
def api_schema(service: Service):  # type: ignore[no-untyped-def]
    """The service's OpenAPI document, loaded by schemathesis against the ASGI app."""
    import schemathesis

    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", service.client.app)


@pytest.fixture(scope="session")
def synth_warehouse_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small synthetic hospital (300 persons, one year), built once per session."""
    from hopia.synth import synthesize

    path = tmp_path_factory.mktemp("serve-synth") / "warehouse.duckdb"
    url = f"duckdb:///{path}"
    synthesize(patients=300, years=1, seed=11, url=url).close()
    return url


@pytest.fixture(scope="session")
def test_model(synth_warehouse_url: str):  # type: ignore[no-untyped-def]
    """A logistic model of ``long_stay_7d`` trained on the synthetic hospital."""
    from serve_support import train_test_model

    return train_test_model(synth_warehouse_url)


@pytest.fixture(scope="session")
def population_person(synth_warehouse_url: str) -> int:
    """A person of the synthetic hospital in ``long_stay_7d``'s population."""
    from hopia.tasks import build_labels, load_task
    from hopia.warehouse import open_warehouse

    wh = open_warehouse(synth_warehouse_url, read_only=True)
    labels = build_labels(wh, load_task("long_stay_7d")).labels.to_pandas()
    return int(labels["person_id"].iloc[len(labels) // 2])


@pytest.fixture
def scoring_service(
    synth_warehouse_url: str, users_db: tuple[Path, dict[str, str]], tmp_path: Path, test_model
) -> Iterator[Service]:  # type: ignore[no-untyped-def]
    """The app on the synthetic hospital, serving :func:`test_model`."""
    template, tokens = users_db
    app_db = tmp_path / "app.sqlite"
    shutil.copyfile(template, app_db)
    svc = make_service(
        synth_warehouse_url, app_db, tmp_path / "models", tokens, model_source=lambda: [test_model]
    )
    with svc.client:
        yield svc


@pytest.fixture(scope="session")
def registry_dir(synth_warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model registry with a logistic ``long_stay_7d`` model trained by ``hopia.models``."""
    from hopia.features import FeatureSpec
    from hopia.models import train_task

    models_dir = tmp_path_factory.mktemp("serve-registry") / "models"
    train_task(
        "long_stay_7d", model="logistic", warehouse=synth_warehouse_url, models_dir=models_dir,
        feature_spec=FeatureSpec(windows=["24h", "all"], min_persons=5), n_resamples=20,
    )  # fmt: skip
    return models_dir
