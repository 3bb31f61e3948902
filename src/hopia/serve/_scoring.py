"""Scoring one person: registered models, features at a time, calibrated risk, factors.

The service sees a model as a :class:`RegisteredModel`: its task, version, feature spec and
feature names, and two functions — the calibrated risk of rows of features, and each
feature's contribution to the log-odds. Models come from a *model source* (by default the
registry under ``HOPIA_DATA_DIR/models``, read through :func:`registry_models`).

Examples
--------
>>> top_factors([0.0, 0.8, -1.2, 0.1], ["age", "a|count|all", "b|last|24h", "sex=F"], k=2)
[(2, -1.2), (1, 0.8)]
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import threading
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hopia.errors import InputError
from hopia.serve._factors import describe_feature
from hopia.serve._features import LatestRows, NotApplicable, latest_rows, person_features
from hopia.serve._timeline import concept_names
from hopia.serve.schemas import Factor, Prediction

if TYPE_CHECKING:
    import scipy.sparse as sp

    from hopia.features import FeatureSpec
    from hopia.tasks import TaskSpec
    from hopia.warehouse import Warehouse

MAX_FACTORS = 5
_SCORE_ROWS = 512  # rows scored at once when precomputing (bounds the contributions array)
_SCORES_LOCK = threading.Lock()


@dataclass
class RegisteredModel:
    """A model as the service uses it.

    Attributes
    ----------
    task, version
        Its task name and registry version.
    task_spec, feature_spec, feature_names
        What it was trained on (serving rebuilds exactly these columns).
    risk
        Rows of features (CSR) → calibrated probabilities of the outcome.
    contributions
        Rows of features → per-feature contributions to the log-odds (rows × features).
    score
        Optional: rows → ``(risk, contributions)`` at once, the same values as the two
        functions above for less work (one call per request).
    created, estimator, metrics, card, manifest, report_path
        What the registry says about it.
    """

    task: str
    version: str
    task_spec: TaskSpec
    feature_spec: FeatureSpec
    feature_names: list[str]
    risk: Callable[[sp.csr_matrix], np.ndarray]
    contributions: Callable[[sp.csr_matrix], np.ndarray]
    score: Callable[[sp.csr_matrix], tuple[np.ndarray, np.ndarray]] | None = None
    created: str | None = None
    estimator: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    card: dict[str, Any] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    report_path: Path | None = None


ModelSource = Callable[[], Sequence[RegisteredModel]]


def _risk_of(estimator: Any, X: Any) -> np.ndarray:
    return np.asarray(estimator.predict_proba(X))[:, 1]


def _contributions_of(estimator: Any, X: Any) -> np.ndarray:
    from hopia.models import contributions

    return np.asarray(contributions(estimator, X))[:, :-1]


def _score_of(estimator: Any, X: Any) -> tuple[np.ndarray, np.ndarray]:
    risk, contributions = estimator.risk_and_contributions(X)
    return np.asarray(risk), np.asarray(contributions)[:, :-1]


def registry_models(models_dir: Path | str) -> list[RegisteredModel]:
    """Every model of the registry under ``models_dir`` (``hopia.models``), checked and loaded.

    Risk is the estimator's calibrated ``predict_proba``; contributions are
    ``hopia.models.contributions`` (calibrated log-odds, bias column dropped).
    """
    from hopia.features import FeatureSpec
    from hopia.models import list_models, load_model
    from hopia.tasks import load_task

    found: list[RegisteredModel] = []
    for row in list_models(models_dir).to_dict("records"):
        entry = load_model(row["task"], row["version"], models_dir=models_dir)
        estimator = entry.model
        summary = entry.metrics.get("summary", entry.metrics)
        manifest = {
            k: v for k, v in entry.manifest.items() if k not in ("files", "library_versions")
        }
        found.append(
            RegisteredModel(
                task=entry.task,
                version=entry.version,
                task_spec=load_task(entry.path / "task.yaml"),
                feature_spec=FeatureSpec.model_validate(entry.feature_spec),
                feature_names=list(entry.feature_names),
                risk=partial(_risk_of, estimator),
                contributions=partial(_contributions_of, estimator),
                score=(
                    partial(_score_of, estimator)
                    if hasattr(estimator, "risk_and_contributions")
                    else None
                ),
                created=entry.manifest.get("created"),
                estimator=entry.manifest.get("model"),
                metrics={k: v for k, v in summary.items() if isinstance(v, int | float)},
                card={k: v for k, v in manifest.items() if isinstance(v, str | int | float)},
                manifest=manifest,
                report_path=entry.report_path,
            )
        )
    return found


def latest(
    models: Sequence[RegisteredModel], task: str, version: str | None = None
) -> RegisteredModel | None:
    """The model of ``task`` with this version, or its latest version."""
    candidates = [m for m in models if m.task == task and (version is None or m.version == version)]
    return max(candidates, key=lambda m: m.version) if candidates else None


def top_factors(
    contributions: Sequence[float], names: Sequence[str], k: int = MAX_FACTORS
) -> list[tuple[int, float]]:
    """The ``k`` features with the largest absolute contribution (ties: feature order)."""
    values = np.asarray(contributions, dtype=float)
    order = np.lexsort((np.arange(len(values)), -np.abs(values)))[:k]
    return [(int(j), float(values[j])) for j in order if values[j] != 0]


def _present_value(X: sp.csr_matrix, j: int, row: int = 0) -> float | None:
    start, stop = X.indptr[row], X.indptr[row + 1]
    hits = np.flatnonzero(X.indices[start:stop] == j)
    return float(X.data[start + hits[0]]) if hits.size else None


def _score_rows(model: RegisteredModel, X: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    if model.score is not None:
        return model.score(X)
    return model.risk(X), model.contributions(X)


@dataclass
class LatestScores:
    """The model's risk and top factors of every person's latest row (:class:`LatestRows`).

    Scored once per warehouse version and model, so that a request without a time only reads
    its row; the same values as scoring that row alone (tests check it).
    """

    model: RegisteredModel
    rows: LatestRows
    risk: list[float]
    factors: list[list[tuple[int, float]]]
    index_times: list[dt.datetime]


def latest_scores(
    wh: Warehouse, model: RegisteredModel, cache: MutableMapping[Any, Any]
) -> LatestScores:
    """Risk and top factors of every person's latest row, kept in ``cache`` (one mapping per
    warehouse version)."""
    key = ("latest_scores", id(model))
    found = cache.get(key)
    if found is not None and found.model is model:  # (it holds the model: ids are not reused)
        return found
    with _SCORES_LOCK:
        found = cache.get(key)
        if found is not None and found.model is model:
            return found
        rows = latest_rows(
            wh, model.task_spec, model.feature_spec, model.feature_names, cache, wait=True
        )
        assert rows is not None  # (wait=True)
        risk: list[float] = []
        factors: list[list[tuple[int, float]]] = []
        for start in range(0, rows.X.shape[0], _SCORE_ROWS):
            risks, contributions = _score_rows(model, rows.X[start : start + _SCORE_ROWS])
            contributions = np.asarray(contributions)
            for i in range(contributions.shape[0]):
                risk.append(float(np.clip(risks[i], 0.0, 1.0)))
                factors.append(top_factors(contributions[i], model.feature_names))
        times = [t.to_pydatetime() for t in rows.keys["index_time"]]
        found = LatestScores(model, rows, risk, factors, times)
        cache[key] = found
    return found


def _prediction(
    wh: Warehouse,
    model: RegisteredModel,
    X: sp.csr_matrix,
    row: int,
    risk: float,
    top: list[tuple[int, float]],
    index_time: dt.datetime,
    person_id: int | None,
    cache: MutableMapping[Any, Any] | None,
    lang: str,
) -> Prediction:
    codes = {
        model.feature_names[j].rsplit("|", 2)[0] for j, _ in top if "|" in model.feature_names[j]
    }
    names = concept_names(wh, codes, cache)
    factors = []
    for j, contribution in top:
        name = model.feature_names[j]
        value = _present_value(X, j, row)
        factors.append(
            Factor(
                feature=name,
                text=describe_feature(name, value, names, {}, lang=lang),
                value=value,
                contribution=contribution,
                direction="raises" if contribution > 0 else "lowers",
            )
        )
    return Prediction(
        task=model.task,
        model_version=model.version,
        person_id=person_id,
        index_time=index_time,
        risk=risk,
        factors=factors,
    )


def predict_person(
    wh: Warehouse,
    model: RegisteredModel,
    person_id: int,
    index_time: dt.datetime | None = None,
    cache: MutableMapping[Any, Any] | None = None,
    *,
    lang: str = "en",
    report_person: bool = True,
) -> Prediction:
    """Calibrated risk of one person at one time, with the top contributing factors.

    Without ``index_time`` and with a ``cache``, the person's latest row is read from the
    :func:`latest_scores` of the warehouse version; otherwise the row is computed and scored.

    Raises
    ------
    NotApplicable
        The person is not in the task's population (at or before ``index_time``).
    """
    reported = int(person_id) if report_person else None
    if index_time is None and cache is not None:
        scored = latest_scores(wh, model, cache)
        i = scored.rows.row_of.get(int(person_id))
        if i is None:
            raise NotApplicable("the person is not in this task's population")
        return _prediction(
            wh, model, scored.rows.X, i, scored.risk[i], scored.factors[i],
            scored.index_times[i], reported, cache, lang,
        )  # fmt: skip
    features = person_features(
        wh,
        model.task_spec,
        model.feature_spec,
        model.feature_names,
        person_id,
        index_time,
        cache,
    )
    risks, rows = _score_rows(model, features.X)
    top = top_factors(np.asarray(rows)[0], model.feature_names)
    return _prediction(
        wh, model, features.X, 0, float(np.clip(risks[0], 0.0, 1.0)), top,
        features.keys["index_time"].iloc[0].to_pydatetime(), reported, cache, lang,
    )  # fmt: skip


@contextmanager
def bundle_warehouse(bundle: dict[str, Any]) -> Iterator[tuple[Warehouse, int]]:
    """A temporary warehouse holding one patient's FHIR R4 Bundle, and that person's id.

    Raises
    ------
    InputError
        The bundle does not map (the FHIR loader's message, without the temporary path) or
        does not hold exactly one Patient.
    """
    from hopia.warehouse import write_warehouse
    from hopia.warehouse._fhir import fhir_to_omop

    with tempfile.TemporaryDirectory(prefix="hopia-bundle-") as folder:
        path = Path(folder) / "bundle.json"
        path.write_text(json.dumps(bundle), encoding="utf-8")
        try:
            tables = fhir_to_omop([path])
        except InputError as error:
            raise InputError(
                "FHIR Bundle", error.problem, line=error.line, field=error.field
            ) from None
        persons = tables["person"].column("person_id").to_pylist()
        if len(persons) != 1:
            raise InputError("FHIR Bundle", f"expected exactly one Patient, found {len(persons)}")
        wh = write_warehouse(
            tables, f"duckdb:///{Path(folder) / 'bundle.duckdb'}", source="FHIR Bundle (API)"
        )
        try:
            yield wh, int(persons[0])
        finally:
            wh.close()
