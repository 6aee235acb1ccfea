"""Lazy package attributes: the names a package exports, imported on first use (so that importing
the package stays cheap: no Ray, torch or scipy until a name that needs them is used)."""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Callable


def lazy_attributes(package: str, table: dict[str, str]) -> tuple[Callable, Callable]:
    """``(__getattr__, __dir__)`` for ``package``: ``table`` maps a name to the module it lives in
    (absolute, or relative to ``package``)."""

    def __getattr__(name: str):
        if name in table:
            return getattr(import_module(table[name], package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(table))

    return __getattr__, __dir__
