"""The public surface stays honest and the command starts fast (no heavy import at start-up)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = [
    "hopia.warehouse",
    "hopia.synth",
    "hopia.privacy",
    "hopia.tasks",
    "hopia.features",
    "hopia.models",
    "hopia.evaluation",
    "hopia.pathways",
    "hopia.surveillance",
    "hopia.serve",
]


@pytest.mark.parametrize("package", PACKAGES)
def test_all_names_resolve(package: str) -> None:
    module = importlib.import_module(package)
    exported = getattr(module, "__all__", [])
    assert exported, f"{package} has no __all__"
    for name in exported:
        assert getattr(module, name) is not None, f"{package}.{name}"


def test_cli_help_imports_no_heavy_library() -> None:
    code = (
        "import sys; import hopia.cli; "
        "heavy = [m for m in ('pandas', 'ibis', 'sklearn', 'lightgbm', 'pyspark', 'scipy', 'duckdb', 'fastapi') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
