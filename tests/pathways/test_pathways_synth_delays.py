"""Conformance on the synthetic hospital finds exactly the delays it planted.

The generator times brain imaging in stroke and antibiotics in sepsis ED stays, and plants
late ones (``synth_truth.pathway_delays``); ``hopia pathways log`` + ``check_conformance``
with the shipped ``stroke`` and ``sepsis`` pathways must flag those cases late, and only
those, with the planted delay to the second.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa
import pytest

from hopia.pathways import check_conformance, load_pathway, warehouse_log


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pa.Table]:
    """The truth of the planted delays and the ED stays' log of a 3,000-patient hospital.

    Measurements and notes are left out of the warehouse to keep the test fast: the timed
    steps come from procedures, drugs and ED observations (the optional lactate step of the
    sepsis pathway is then skipped, which does not judge antibiotics).
    """
    from hopia.synth import generate_hospital
    from hopia.warehouse import write_warehouse

    hospital = generate_hospital(patients=3_000, years=3, seed=5)
    tables = {k: v for k, v in hospital.tables.items() if k not in ("measurement", "note")}
    folder: Path = tmp_path_factory.mktemp("synth-pathways")
    wh = write_warehouse(tables, f"duckdb:///{folder}/warehouse.duckdb")
    log = warehouse_log(wh, visit_types=["ER", "ERIP"]).to_pyarrow()
    wh.close()
    return hospital.truth["pathway_delays"].to_pandas(), log


@pytest.mark.parametrize(
    ("pathway", "step"), [("stroke", "brain_imaging"), ("sepsis", "antibiotics")]
)
def test_conformance_finds_the_planted_delays(
    synthetic: tuple[pd.DataFrame, pa.Table], pathway: str, step: str
) -> None:
    truth, stays = synthetic
    truth = truth[truth["pathway"] == pathway].assign(
        case_id=lambda t: t["visit_occurrence_id"].astype(str)
    )
    assert len(truth) >= 20 and 5 <= truth["late"].sum() < len(truth)  # a real test
    log = ibis.memtable(stays)
    log = log.filter(log.case_id.isin(truth["case_id"].tolist()))
    checked = check_conformance(log, load_pathway(pathway)).to_pandas()
    timed = checked[checked["step"] == step].set_index("case_id").loc[truth["case_id"]]
    assert (timed["status"] != "missed").all()
    flagged = set(timed.index[timed["late"].fillna(False).astype(bool)])
    assert flagged == set(truth.loc[truth["late"], "case_id"])  # precision and recall 1
    assert timed["delay_seconds"].tolist() == (truth["delay_minutes"] * 60.0).tolist()
