"""A user's own ask/tell optimiser, as a package outside gpunet_ray would ship it
(tests/test_searcher_plugin.py finds it by import path, register_optimizer and entry point).

:class:`ToyCore` walks any space in a fixed, recognisable order (:func:`toy_config`): the i-th
config takes value ``(i * (k + 1)) mod n`` of its k-th parameter's ``n`` (the unit-cube bin of
that index), so the first one is the space's smallest network. With ``$TOY_OPTIMIZER_LOG`` set,
every ask and tell is appended to that JSON-lines file, so a test can see that a search ran on it.
"""

from __future__ import annotations

import json
import os

from gpunet_ray.searchers import Domain, as_domain, bin_centre

BINS = 7  # continuous parameters are walked over this many bins


def toy_config(domain: Domain, i: int) -> dict:
    """The i-th config :class:`ToyCore` suggests (flat)."""
    out = {}
    for k, p in enumerate(domain.params):
        n = p.n or BINS
        out[p.name] = p.from_unit(bin_centre((i * (k + 1)) % n, n))
    return out


class ToyCore:
    """Single-objective: the search refuses it for several budgets (the declared capability)."""

    multi_objective = False

    def __init__(self, space, *, seed=None, maximize=True, start: int = 0):
        self.domain = as_domain(space)
        self.maximize = maximize
        self.i = int(start)
        self.told = 0

    def _log(self, **rec) -> None:
        path = os.environ.get("TOY_OPTIMIZER_LOG")
        if path:
            with open(path, "a") as f:
                f.write(json.dumps(rec, default=str) + "\n")

    def ask(self, n: int = 1) -> list[dict]:
        out = []
        for _ in range(n):
            cfg = self.domain.to_config(toy_config(self.domain, self.i))
            self.i += 1
            self._log(ask=cfg)
            out.append(cfg)
        return out

    def tell(self, config: dict, value, feasible: bool = True, extra=None) -> None:
        self.told += 1
        self._log(tell=config, value=value, feasible=bool(feasible))

    def state_dict(self) -> dict:
        return {"i": self.i, "told": self.told}

    def load_state_dict(self, state: dict) -> None:
        self.i, self.told = int(state["i"]), int(state["told"])


def two_objective_toy(space, *, seed=None, maximize=True, objectives=1):
    """A function factory that declares the multi-objective capability."""
    core = ToyCore(space, seed=seed, maximize=maximize)
    core.objectives = objectives
    return core


two_objective_toy.multi_objective = True

NOT_CALLABLE = 42
