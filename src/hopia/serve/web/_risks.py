"""Risks shown on the patient page: every served model whose task applies to the person."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hopia.serve._features import NotApplicable
from hopia.serve._scoring import predict_person
from hopia.serve.schemas import Prediction


@dataclass
class RiskItem:
    """One model's risk for the person (``prediction`` is ``None`` when the task does not apply)."""

    task: str
    title: str
    version: str
    prediction: Prediction | None


def patient_risks(state: Any, wh: Any, person_id: int, lang: str = "en") -> list[RiskItem]:
    """The latest version of each served model, scored for the person at their latest index
    time (factors worded in ``lang``)."""
    latest: dict[str, Any] = {}
    for model in state.models():
        if model.task not in latest or model.version > latest[model.task].version:
            latest[model.task] = model
    cache = state.warehouses.cache_of(wh)
    items = []
    for task in sorted(latest):
        model = latest[task]
        try:
            prediction = predict_person(wh, model, person_id, None, cache, lang=lang)
        except NotApplicable:
            prediction = None
        title = (
            model.task_spec.description.strip().splitlines()[0]
            if model.task_spec.description
            else task
        )
        items.append(RiskItem(task=task, title=title, version=model.version, prediction=prediction))
    return items
