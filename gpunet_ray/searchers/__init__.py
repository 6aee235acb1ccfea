"""Searchers: a Ray-free LA-MCTS + BO ask/tell core, its Ray Tune adapter, and name registries.

``from gpunet_ray.searchers import LAMCTS, LAMCTSSearch, get_optimizer, register_optimizer, Domain``.
Every optimiser core implements :class:`AskTellOptimizer` (``ask``/``tell``/``state_dict``/
``load_state_dict``) and is made available by name through :func:`register_optimizer`. LA-MCTS is
split into parts: the partition tree (``_tree``), the GP's targets (``_targets``), candidate
generation and the trust region (``_candidates``), the acquisition's optimisation (``_acquisition``),
its options (:class:`LAMCTSOptions`) and the observation store (``_observations``).
Importing this package is cheap (numpy only): the LA-MCTS core (scipy) is imported when
:class:`LAMCTS` is first used, Ray only when :class:`LAMCTSSearch` (or a Tune
searcher from the registry) is, torch/BoTorch only when a GP is first fitted. The unit-cube
encoding every optimiser coordinate uses (:func:`choice_to_unit`, :func:`unit_to_choice`,
:func:`bin_centre`, :func:`bin_index`) is :mod:`._param`'s.
"""

from __future__ import annotations

from gpunet_ray._lazy import lazy_attributes


from ._domain import KINDS, Domain, Param, as_domain
from ._param import bin_centre, bin_index, choice_to_unit, unit_to_choice
from ._registry import (
    OPTIMIZER_GROUP,
    SEARCHER_GROUP,
    RegistryInfo,
    get_optimizer,
    get_searcher,
    list_optimizers,
    list_searchers,
    optimizer_help,
    optimizer_info,
    register_optimizer,
    register_searcher,
    searcher_info,
)

__all__ = [
    "AskTellOptimizer",
    "SupportsPending",
    "LAMCTS",
    "LAMCTSOptions",
    "RandomCore",
    "LAMCTSSearch",
    "RandomSearch",
    "SearcherSetupError",
    "TuneAdapter",
    "core_objectives",
    "Domain",
    "Param",
    "KINDS",
    "as_domain",
    "bin_centre",
    "bin_index",
    "choice_to_unit",
    "unit_to_choice",
    "RegistryInfo",
    "OPTIMIZER_GROUP",
    "SEARCHER_GROUP",
    "register_optimizer",
    "list_optimizers",
    "optimizer_info",
    "optimizer_help",
    "get_optimizer",
    "register_searcher",
    "list_searchers",
    "searcher_info",
    "get_searcher",
]

_LAZY = {
    "AskTellOptimizer": "._protocol",
    "SupportsPending": "._protocol",
    "LAMCTS": "._core",
    "LAMCTSOptions": "._options",
    "RandomCore": "._random",
    "LAMCTSSearch": "._tune",
    "RandomSearch": "._tune",
    "SearcherSetupError": "gpunet_ray.errors",
    "TuneAdapter": "._adapter",
    "core_objectives": "._adapter",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)  # the heavy modules load on first use
