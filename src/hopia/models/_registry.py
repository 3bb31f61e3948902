"""The model registry: one folder per trained model, ``<models_dir>/<task>/<version>/``.

A folder holds ``model.joblib`` (the fitted estimator), ``task.yaml``, ``features.json``
(feature spec and feature names, in matrix order), ``metrics.json``, ``report.html`` and
``manifest.json`` (data snapshot, hopia and library versions, seed, training time, split,
and the SHA-256 of every file). A folder is written under a temporary name and renamed
when complete, so a half-written model is never listed.

Examples
--------
>>> from hopia.models import list_models
>>> list_models("/nonexistent/models").empty
True
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from hopia.errors import InputError

MODEL_FILE = "model.joblib"
_FILES = ("task.yaml", "features.json", "metrics.json", "report.html")


def models_root(models_dir: str | Path | None = None) -> Path:
    """The registry folder (``HOPIA_DATA_DIR/models`` by default)."""
    if models_dir is not None:
        return Path(models_dir)
    from hopia.settings import get_settings

    return get_settings().models_dir


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model depends on."""
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for name in (
        "hopia",
        "numpy",
        "scipy",
        "pandas",
        "scikit-learn",
        "lightgbm",
        "joblib",
        "ibis-framework",
    ):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            continue
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _next_version(task_dir: Path) -> str:
    numbers = [int(p.name[1:]) for p in task_dir.glob("v*") if p.is_dir() and p.name[1:].isdigit()]
    return f"v{max(numbers, default=0) + 1}"


@dataclass
class RegisteredModel:
    """A model read back from the registry."""

    task: str
    version: str
    path: Path
    model: Any
    feature_spec: dict[str, Any]
    feature_names: list[str]
    metrics: dict[str, Any]
    manifest: dict[str, Any]

    @property
    def report_path(self) -> Path:
        """The HTML report (model card)."""
        return self.path / "report.html"


def register_model(
    model: Any,
    *,
    task: str,
    task_yaml: str,
    feature_spec: dict[str, Any],
    feature_names: list[str],
    metrics: dict[str, Any],
    report_html: str,
    manifest: dict[str, Any],
    models_dir: str | Path | None = None,
    version: str | None = None,
) -> Path:
    """Write a trained model's folder atomically and return its path.

    Parameters
    ----------
    model : fitted estimator
    task : str
        Task name (folder name).
    task_yaml : str
        The task definition, as YAML.
    feature_spec : dict
        The feature spec (``FeatureSpec.model_dump(mode="json")``).
    feature_names : list of str
        Columns of the matrix the model was fitted on, in order.
    metrics, manifest : dict
        JSON-ready; the manifest gets ``task, version, created, library_versions`` and
        ``files`` (SHA-256) added.
    report_html : str
        The model card.
    version : str, optional
        Default: the next ``v<n>``.
    """
    import joblib

    if not task or "/" in task or task.startswith("."):
        raise InputError("register_model", f"invalid task name {task!r}", field="task")
    task_dir = models_root(models_dir) / task
    task_dir.mkdir(parents=True, exist_ok=True)
    version = version or _next_version(task_dir)
    final = task_dir / version
    if final.exists():
        raise InputError(str(final), "this model version already exists")
    staging = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=task_dir))
    try:
        joblib.dump(model, staging / MODEL_FILE, compress=3)
        (staging / "task.yaml").write_text(task_yaml, encoding="utf-8")
        features = {"spec": feature_spec, "feature_names": list(feature_names)}
        (staging / "features.json").write_text(json.dumps(features, indent=1), encoding="utf-8")
        (staging / "metrics.json").write_text(
            json.dumps(metrics, indent=1, default=str, allow_nan=False), encoding="utf-8"
        )
        (staging / "report.html").write_text(report_html, encoding="utf-8")
        full = {
            **manifest,
            "task": task,
            "version": version,
            "created": datetime.now().isoformat(timespec="seconds"),
            "library_versions": library_versions(),
            "files": {name: _sha256(staging / name) for name in (MODEL_FILE, *_FILES)},
        }
        (staging / "manifest.json").write_text(
            json.dumps(full, indent=1, default=str), encoding="utf-8"
        )
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def _versions(task_dir: Path) -> list[str]:
    found = [p for p in task_dir.iterdir() if p.is_dir() and (p / "manifest.json").is_file()]
    return [p.name for p in sorted(found, key=lambda p: (len(p.name), p.name))]


def list_models(models_dir: str | Path | None = None) -> pd.DataFrame:
    """Every registered model: ``task, version, model, split, created, snapshot_id, auroc``."""
    root = models_root(models_dir)
    rows = []
    if root.is_dir():
        for task_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            for version in _versions(task_dir):
                folder = task_dir / version
                manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
                auroc = None
                metrics_path = folder / "metrics.json"
                if metrics_path.is_file():
                    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
                    auroc = metrics.get("summary", {}).get("auroc")
                rows.append(
                    {
                        "task": task_dir.name,
                        "version": version,
                        "model": manifest.get("model"),
                        "split": manifest.get("split", {}).get("how"),
                        "created": manifest.get("created"),
                        "snapshot_id": manifest.get("data_snapshot_id"),
                        "auroc": auroc,
                    }
                )
    columns = ["task", "version", "model", "split", "created", "snapshot_id", "auroc"]
    return pd.DataFrame(rows, columns=columns)


def load_model(
    task: str,
    version: str | None = None,
    *,
    models_dir: str | Path | None = None,
    feature_spec: dict[str, Any] | None = None,
    feature_names: list[str] | None = None,
    verify_files: bool = True,
) -> RegisteredModel:
    """Read a registered model (the latest version by default) and check it.

    Raises ``InputError`` when the folder is missing, a file's checksum differs from the
    manifest, the stored feature names disagree with the fitted model, or the caller's
    ``feature_spec`` / ``feature_names`` differ from those the model was trained with.
    """
    import joblib

    task_dir = models_root(models_dir) / task
    if not task_dir.is_dir():
        raise InputError(str(task_dir), f"no registered model for task {task!r}")
    versions = _versions(task_dir)
    if not versions:
        raise InputError(str(task_dir), f"no registered model for task {task!r}")
    version = version or versions[-1]
    folder = task_dir / version
    if version not in versions:
        raise InputError(str(folder), f"no version {version!r} (have {', '.join(versions)})")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if verify_files:
        for name, digest in manifest.get("files", {}).items():
            if not (folder / name).is_file() or _sha256(folder / name) != digest:
                raise InputError(str(folder / name), "file missing or changed since registration")
    features = json.loads((folder / "features.json").read_text(encoding="utf-8"))
    model = joblib.load(folder / MODEL_FILE)
    stored_names = list(features["feature_names"])
    if list(getattr(model, "feature_names_", stored_names)) != stored_names:
        raise InputError(str(folder / "features.json"), "feature names differ from the model's")
    if feature_spec is not None and feature_spec != features["spec"]:
        raise InputError(
            str(folder / "features.json"),
            "the feature spec differs from the one the model was trained with",
            field="spec",
        )
    if feature_names is not None and list(feature_names) != stored_names:
        missing = [n for n in stored_names if n not in set(feature_names)][:3]
        raise InputError(
            str(folder / "features.json"),
            "the feature names differ from the model's"
            + (f" (e.g. missing {', '.join(missing)})" if missing else " (order differs)"),
            field="feature_names",
        )
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    return RegisteredModel(
        task=task,
        version=version,
        path=folder,
        model=model,
        feature_spec=features["spec"],
        feature_names=stored_names,
        metrics=metrics,
        manifest=manifest,
    )
