"""Lazy re-exports for package ``__init__`` modules (PEP 562), so ``hopia --help`` stays fast.

A package lists its public names and the private module each lives in; the module is
imported on first use of the name, not when the package (or its ``_cli``) is imported.

Examples
--------
>>> getattr_, dir_ = lazy_exports("pkg", {"sqrt": "math"})
>>> getattr_("sqrt")(9.0)
3.0
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(
    package: str, names: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return ``__getattr__`` and ``__dir__`` for a package exporting ``names`` (name → module)."""

    def __getattr__(name: str) -> Any:
        if name in names:
            return getattr(importlib.import_module(names[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(names)

    return __getattr__, __dir__
