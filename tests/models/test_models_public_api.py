"""``__all__`` of hopia.models and hopia.evaluation lists exactly what they export, documented."""

from __future__ import annotations

import importlib
import inspect

import pytest


@pytest.mark.parametrize("package", ["hopia.models", "hopia.evaluation"])
def test_all_is_honest_and_documented(package):
    module = importlib.import_module(package)
    public = {
        n for n in dir(module) if not n.startswith("_") and not inspect.ismodule(getattr(module, n))
    }
    assert set(module.__all__) == public
    for name in module.__all__:
        value = getattr(module, name)
        if callable(value):
            assert (value.__doc__ or "").strip(), f"{package}.{name} has no docstring"
