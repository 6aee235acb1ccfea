"""Uniform random search as an ask/tell core: :class:`RandomCore` (no model, no tree)."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from gpunet_ray.errors import ConfigError

from ._domain import as_domain
from ._observations import Observations, ObservedCore, generator_from_state, safe_json

__all__ = ["RandomCore"]

_LAMCTS_FORMAT = "gpunet_ray.searchers.lamcts"  # the LAMCTS core's state (RandomCore was its subclass)


class RandomCore(ObservedCore):
    """Uniform random search with duplicate, pending, constraint and JSON state handling.

    Args:
        domain: a :class:`Domain`, a ``SearchSpace``, a Ray Tune param space or a list of Param.
        seed: int, None or ``numpy.random.Generator``; same seed and same tells -> same asks.
        maximize: bool, or one bool per objective; ``objectives``: how many values a tell carries.
        constraint: known-constraint callable ``constraint(config) -> bool``; failing configs are
            never proposed.

    Its state also reads the LA-MCTS-format states the random core wrote when it was a subclass of
    :class:`~gpunet_ray.searchers.LAMCTS` (observations, pending configs, generator).
    """

    multi_objective = True
    STATE_FORMAT = "gpunet_ray.searchers.random"
    STATE_VERSION = 1

    def __init__(self, domain: Any, *, seed: int | np.random.Generator | None = None,
                 maximize: bool | Sequence[bool] = True, objectives: int = 1,
                 constraint: Callable[[dict], bool] | None = None):
        if objectives < 1:
            raise ConfigError(f"objectives must be >= 1, got {objectives}")
        if isinstance(maximize, (bool, np.bool_)):
            maximize = (bool(maximize),) * objectives
        maximize = tuple(bool(m) for m in maximize)
        if len(maximize) != objectives:
            raise ConfigError(f"maximize needs one flag per objective ({objectives}), got {maximize}")
        self.domain = as_domain(domain)
        self.constraint = constraint
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.obs = Observations(self.domain, maximize)

    def ask(self, n: int = 1) -> list[dict]:
        out: list[dict] = []
        self.obs.random_fill(self.rng, n, out, set(), self.constraint)
        return [self.domain.to_config(f) for f in out]

    def tell(self, config: dict, value: Any, feasible: bool = True, extra: Any = None) -> None:
        self.obs.add(config, value, feasible, extra)

    def state_dict(self) -> dict:
        return {"format": self.STATE_FORMAT, "version": self.STATE_VERSION, "domain": self.domain.to_dict(),
                "maximize": [bool(s > 0) for s in self.obs.sign],
                "rng": safe_json(self.rng.bit_generator.state), "rng_kind": type(self.rng.bit_generator).__name__,
                "observations": self.obs.observations_json(), "pending": self.obs.pending_json()}

    def load_state_dict(self, state: dict) -> None:
        fmt = state.get("format") if isinstance(state, dict) else None
        if fmt not in (self.STATE_FORMAT, _LAMCTS_FORMAT):
            raise ConfigError("not a RandomCore searcher state (format tag missing)")
        if int(state.get("version", -1)) != self.STATE_VERSION:
            raise ConfigError(f"searcher state version {state.get('version')} is not supported "
                              f"(this build reads version {self.STATE_VERSION})")
        if state["domain"]["params"] != self.domain.to_dict()["params"]:
            raise ConfigError("the saved searcher state was made for a different search space")
        maximize = state["maximize"] if fmt == self.STATE_FORMAT else state["options"]["maximize"]
        self.rng = generator_from_state(state)
        self.obs = Observations(self.domain, maximize)
        self.obs.load_json(state["observations"], state["pending"])
