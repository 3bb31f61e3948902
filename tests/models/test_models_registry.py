"""The registry: atomic folders, versions, checks on load."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hopia.errors import InputError
from hopia.models import LogisticRiskModel, list_models, load_model, register_model


def _register(tmp_path, **overrides):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] + rng.normal(size=200) > 0).astype(int)
    model = LogisticRiskModel().fit(X, y, feature_names=["age", "LOINC/8867-4|last|24h"])
    args = dict(
        task="toy",
        task_yaml="name: toy\n",
        feature_spec={"windows": ["24h"]},
        feature_names=["age", "LOINC/8867-4|last|24h"],
        metrics={"summary": {"auroc": 0.8}},
        report_html="<html></html>",
        manifest={
            "model": "logistic",
            "seed": 1,
            "data_snapshot_id": "abc",
            "split": {"how": "temporal"},
        },
        models_dir=tmp_path,
    )
    args.update(overrides)
    return register_model(model, **args)


def test_register_list_and_load(tmp_path):
    first = _register(tmp_path)
    second = _register(tmp_path)
    assert (first.name, second.name) == ("v1", "v2")
    assert sorted(p.name for p in first.iterdir()) == [
        "features.json", "manifest.json", "metrics.json", "model.joblib", "report.html", "task.yaml",
    ]  # fmt: skip
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["library_versions"]["scikit-learn"]
    assert set(manifest["files"]) == {
        "model.joblib",
        "task.yaml",
        "features.json",
        "metrics.json",
        "report.html",
    }
    listed = list_models(tmp_path)
    assert listed[["task", "version", "auroc"]].values.tolist() == [
        ["toy", "v1", 0.8],
        ["toy", "v2", 0.8],
    ]
    entry = load_model("toy", models_dir=tmp_path)
    assert entry.version == "v2"
    assert entry.model.predict_proba(np.zeros((1, 2))).shape == (1, 2)
    assert load_model("toy", "v1", models_dir=tmp_path).path == first
    assert not any(p.name.startswith(".") for p in (tmp_path / "toy").iterdir())


def test_load_refuses_a_different_feature_spec_or_names(tmp_path):
    _register(tmp_path)
    with pytest.raises(InputError, match="feature spec differs"):
        load_model("toy", models_dir=tmp_path, feature_spec={"windows": ["7d"]})
    with pytest.raises(InputError, match="feature names differ"):
        load_model("toy", models_dir=tmp_path, feature_names=["age"])
    assert load_model("toy", models_dir=tmp_path, feature_spec={"windows": ["24h"]}).version == "v1"


def test_load_detects_a_changed_file_and_missing_models(tmp_path):
    folder = _register(tmp_path)
    (folder / "metrics.json").write_text('{"summary": {"auroc": 0.99}}')
    with pytest.raises(InputError, match="changed since registration"):
        load_model("toy", models_dir=tmp_path)
    with pytest.raises(InputError, match="no registered model"):
        load_model("other", models_dir=tmp_path)
    with pytest.raises(InputError, match="no version 'v9'"):
        load_model("toy", "v9", models_dir=tmp_path)


def test_a_failed_registration_leaves_nothing(tmp_path):
    with pytest.raises(ValueError):
        _register(tmp_path, metrics={"summary": {"auroc": float("nan")}})
    assert list_models(tmp_path).empty
    assert [p.name for p in (tmp_path / "toy").iterdir()] == []
