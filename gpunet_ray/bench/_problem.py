"""The benchmark problem record shared by the problem sets (:mod:`.problems`, :mod:`.heldout2`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from gpunet_ray.searchers import Domain

__all__ = ["Problem"]


@dataclass
class Problem:
    """One benchmark problem; every objective is minimised.

    ``fn(config)`` returns a float (``objectives == 1``) or a tuple of ``objectives`` floats, or
    None for an infeasible config. ``f_opt`` is the known optimum (regret = best value - ``f_opt``),
    or None: regret is then measured against the best value any run found, and ``reference`` is a
    documented value to read it against (``reference_config`` gives it). Multi-objective problems
    carry a fixed ``ref_point`` for the hypervolume and, where the front is known, ``max_hv``.
    """

    name: str
    domain: Domain
    fn: Callable[[dict], float | tuple | None]  # None -> infeasible
    f_opt: float | None  # None: regret against the best value found by any run
    constraint: Callable[[dict], bool] | None = None  # the known constraint, for the "+constraint" variant
    optimum: dict | None = None  # a config where f == f_opt, where one is known (tests check it)
    reference: float | None = None  # a documented value when f_opt is unknown (fn(reference_config))
    reference_config: dict | None = None
    objectives: int = 1
    ref_point: tuple[float, ...] | None = None  # hypervolume reference point (multi-objective)
    max_hv: float | None = None  # hypervolume of the true Pareto front, where known
    note: str = ""  # one line: what the problem is
