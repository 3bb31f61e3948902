"""Scores of a de-identifier against gold spans: strict, token-overlap and "any label" recall.

* **strict**: a predicted span counts when start, end and label equal a gold span's.
* **token**: texts are cut into tokens (words, numbers, single signs); a token carries the
  label of the span that covers it; precision and recall are counted on tokens.
* **any-label recall**: the share of gold tokens covered by any predicted span, whatever its
  label (what matters for privacy), and the share of gold spans masked entirely.

Examples
--------
>>> from hopia.privacy._entities import Entity
>>> gold = [("Dr Jean Petit", [Entity(3, 7, "PRENOM", "Jean"), Entity(8, 13, "NOM", "Petit")])]
>>> pred = [[Entity(3, 13, "NOM", "Jean Petit")]]
>>> scores = evaluate_deid(gold, pred)
>>> scores["strict"]["NOM"]["recall"], scores["any_label"]["token_recall"]
(0.0, 1.0)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from hopia.privacy._entities import LABELS, Entity

_TOKEN = re.compile(r"\w+|[^\w\s]")


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float | int]:
    precision = tp / n_pred if n_pred else (1.0 if not n_gold else 0.0)
    recall = tp / n_gold if n_gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": n_gold}


def _token_labels(text: str, entities: Sequence[Entity]) -> dict[int, str]:
    labels: dict[int, str] = {}
    spans = sorted(entities)
    for match in _TOKEN.finditer(text):
        for e in spans:
            if e.start < match.end() and match.start() < e.end:
                labels[match.start()] = e.label
                break
    return labels


def evaluate_deid(
    gold: Sequence[tuple[str, Sequence[Entity]]], predicted: Sequence[Sequence[Entity]]
) -> dict[str, dict]:
    """Per-label and overall precision/recall/F1 (strict and token), and any-label recall.

    ``gold`` is a list of ``(text, gold spans)``; ``predicted`` the predicted spans per text.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold notes but {len(predicted)} predicted notes")
    strict: dict[str, Counter[str]] = {}
    token: dict[str, Counter[str]] = {}
    any_tokens = Counter[str]()
    any_spans = Counter[str]()
    for (text, gold_spans), pred_spans in zip(gold, predicted, strict=True):
        gold_set = {(e.start, e.end, e.label) for e in gold_spans}
        pred_set = {(e.start, e.end, e.label) for e in pred_spans}
        for label in LABELS:
            counts = strict.setdefault(label, Counter())
            g = {s for s in gold_set if s[2] == label}
            p = {s for s in pred_set if s[2] == label}
            counts["tp"] += len(g & p)
            counts["gold"] += len(g)
            counts["pred"] += len(p)
        gold_tokens = _token_labels(text, gold_spans)
        pred_tokens = _token_labels(text, pred_spans)
        for label in LABELS:
            counts = token.setdefault(label, Counter())
            g_tok = {t for t, lab in gold_tokens.items() if lab == label}
            p_tok = {t for t, lab in pred_tokens.items() if lab == label}
            counts["tp"] += len(g_tok & p_tok)
            counts["gold"] += len(g_tok)
            counts["pred"] += len(p_tok)
        any_tokens["gold"] += len(gold_tokens)
        any_tokens["hit"] += len(set(gold_tokens) & set(pred_tokens))
        for e in gold_spans:
            inside = [m.start() for m in _TOKEN.finditer(text, e.start, e.end)]
            any_spans["gold"] += 1
            any_spans["hit"] += all(t in pred_tokens for t in inside)

    def table(counts: dict[str, Counter[str]]) -> dict[str, dict[str, float | int]]:
        out = {label: _prf(c["tp"], c["pred"], c["gold"]) for label, c in counts.items()}
        total = sum(counts.values(), Counter())
        out["overall"] = _prf(total["tp"], total["pred"], total["gold"])
        return out

    return {
        "strict": table(strict),
        "token": table(token),
        "any_label": {
            "token_recall": any_tokens["hit"] / any_tokens["gold"] if any_tokens["gold"] else 1.0,
            "span_recall": any_spans["hit"] / any_spans["gold"] if any_spans["gold"] else 1.0,
            "gold_spans": any_spans["gold"],
        },
    }
