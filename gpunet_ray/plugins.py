"""Finding user code by import path (``"package.module:qual.name"``): the one loader behind every
extension point that takes one (latency backends, optimisers/searchers, trainables)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .errors import BackendUnavailable, ConfigError

__all__ = ["import_object", "entry_points"]


def import_object(path: str, what: str, where: str = "here") -> Any:
    """The object at ``path``. ``what`` names it in messages (e.g. ``"latency backend"``); ``where``
    says where the module must import (e.g. ``"here and on every Ray node running latency actors"``).

    A malformed path, a missing module or attribute is a :class:`ConfigError`; a module that exists
    but fails to import (a missing dependency of it) is :class:`BackendUnavailable`."""
    mod_name, _, qual = str(path).partition(":")
    if not mod_name or not qual:
        raise ConfigError(f"{what} {path!r}: an import path is 'package.module:name'")
    try:
        obj = import_module(mod_name)
    except ImportError as exc:
        missing = getattr(exc, "name", None) or ""
        if isinstance(exc, ModuleNotFoundError) and missing and (mod_name + ".").startswith(missing + "."):
            raise ConfigError(f"{what} {path!r}: no module named {missing!r}; the module must be importable "
                              f"(installed, or on PYTHONPATH) {where}") from None
        raise BackendUnavailable(f"{what} {path!r} does not import: {exc}") from None
    for part in qual.split("."):
        if not hasattr(obj, part):
            raise ConfigError(f"{what} {path!r}: module {mod_name!r} has no {qual!r}")
        obj = getattr(obj, part)
    return obj


def entry_points(group: str) -> dict:
    """``{name: EntryPoint}`` of an entry-point group (the first one of a name wins)."""
    from importlib.metadata import entry_points as _eps

    try:
        eps = _eps(group=group)
    except Exception:  # noqa: BLE001 - broken metadata of some distribution must not break the built-ins
        return {}
    out: dict = {}
    for ep in eps:
        out.setdefault(ep.name, ep)
    return out
