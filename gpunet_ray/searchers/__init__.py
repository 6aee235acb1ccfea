"""Searchers: a Ray-free LA-MCTS + BO ask/tell core, its Ray Tune adapter, and a name registry.

``from gpunet_ray.searchers import LAMCTS, LAMCTSSearch, get_searcher, list_searchers, Domain``.
Ray is imported only when :class:`LAMCTSSearch` (or a Tune searcher from the registry) is used;
torch/BoTorch only when a GP is first fitted.
"""

from __future__ import annotations

from ._core import LAMCTS, as_domain
from ._domain import KINDS, Domain, Param
from ._registry import get_optimizer, get_searcher, list_optimizers, list_searchers

__all__ = [
    "LAMCTS",
    "LAMCTSSearch",
    "RandomSearch",
    "SearcherSetupError",
    "Domain",
    "Param",
    "KINDS",
    "as_domain",
    "get_searcher",
    "list_searchers",
    "get_optimizer",
    "list_optimizers",
]


def __getattr__(name):  # Ray only on use
    if name in ("LAMCTSSearch", "RandomSearch", "SearcherSetupError"):
        from . import _tune

        return getattr(_tune, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
