"""Several latency budgets with single-objective optimisers: :class:`PerTierCore` (the per-tier mode).

A search with several budgets tells its core two objectives (top-1 up, latency down). A
single-objective optimiser (Optuna TPE/GP, HEBO, a plugin) cannot take that; in the per-tier mode it
runs as one core per budget instead, each maximising top-1 subject to latency <= its budget. The
cores take turns suggesting, and every result is told to all of them (over a core's budget it is
infeasible for that core), so no trained candidate is wasted on one tier. Ask it for with the search
option ``searcher.options.multi_budget: per-tier`` (see :mod:`gpunet_ray.driver`).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

from gpunet_ray.errors import ConfigError

from ._domain import as_domain
from ._protocol import all_constraints

__all__ = ["PerTierCore"]

STATE_FORMAT = "gpunet_ray.searchers.per_tier"
STATE_VERSION = 1


class PerTierCore:
    """One single-objective core per latency budget, behind the two-objective ask/tell interface.

    Args:
        domain: the space (anything :func:`~gpunet_ray.searchers.as_domain` takes).
        budgets_ms: the latency budgets (ms), one core each (sorted ascending).
        make_core: ``make_core(tier_index, seed)`` -> a single-objective ask/tell core maximising top-1.
        seed: tier ``i``'s core gets ``seed + 1000 * i`` (None: None).

    ``tell(config, (top1, latency_ms), feasible)``: core ``i`` is told ``top1`` when the result is
    feasible and ``latency_ms <= budgets_ms[i]``, else an infeasible result.
    """

    multi_objective = True

    def __init__(self, domain: Any, budgets_ms: Sequence[float], make_core: Callable[[int, Any], Any], *,
                 seed: int | None = None):
        self.domain = as_domain(domain)
        self.budgets_ms = tuple(sorted(float(b) for b in budgets_ms))
        if not self.budgets_ms or any(not (b > 0) for b in self.budgets_ms):
            raise ConfigError(f"per-tier mode needs positive budgets, got {list(budgets_ms)}")
        self.cores = [make_core(i, None if seed is None else int(seed) + 1000 * i)
                      for i in range(len(self.budgets_ms))]
        self._turn = 0
        self._owner: dict[str, int] = {}  # config key -> the tier whose core suggested it (in flight)
        self._own = [getattr(c, "constraint", None) for c in self.cores]
        self._constraint: Callable[[dict], bool] | None = None

    @property
    def constraint(self) -> Callable[[dict], bool] | None:
        """A known constraint for every tier's core (with the core's own, where it had one); cores
        without a ``constraint`` attribute ignore it."""
        return self._constraint

    @constraint.setter
    def constraint(self, fn: Callable[[dict], bool] | None) -> None:
        self._constraint = fn
        for core, own in zip(self.cores, self._own):
            if hasattr(core, "constraint"):
                core.constraint = all_constraints(own, fn)

    def ask(self, n: int = 1) -> list[dict]:
        """``n`` configs, the tiers' cores taking turns (one each per turn)."""
        out: list[dict] = []
        for _ in range(max(0, int(n))):
            i = self._turn % len(self.cores)
            self._turn += 1
            got = self.cores[i].ask(1)
            for cfg in got:
                self._owner[self.domain.key(self.domain.flat(cfg))] = i
                for j, other in enumerate(self.cores):  # the others should not suggest it as well
                    if j != i and hasattr(other, "add_pending"):
                        other.add_pending(cfg)
                out.append(cfg)
        return out

    def tell(self, config: dict, value: Any, feasible: bool = True, extra: Any = None) -> None:
        """``value``: ``(top1, latency_ms)`` (a NaN or None marks an unknown part)."""
        try:
            top1, lat = (None, None) if value is None else (value[0], value[1])
        except (TypeError, IndexError):
            raise ConfigError(f"per-tier mode is told (top1, latency_ms), got {value!r}") from None
        ok = bool(feasible) and _finite(top1) and _finite(lat)
        self._owner.pop(self.domain.key(self.domain.flat(config)), None)
        for b, core in zip(self.budgets_ms, self.cores):
            if ok and float(lat) <= b:
                core.tell(config, float(top1), feasible=True, extra=extra)
            else:
                core.tell(config, None, feasible=False, extra=extra)

    def add_pending(self, config: dict) -> None:
        for core in self.cores:
            if hasattr(core, "add_pending"):
                core.add_pending(config)

    def forget(self, config: dict) -> None:
        self._owner.pop(self.domain.key(self.domain.flat(config)), None)
        for core in self.cores:
            if hasattr(core, "forget"):
                core.forget(config)

    def state_dict(self) -> dict:
        return {"format": STATE_FORMAT, "version": STATE_VERSION, "budgets_ms": list(self.budgets_ms),
                "turn": self._turn, "owner": dict(self._owner), "cores": [c.state_dict() for c in self.cores]}

    def load_state_dict(self, state: dict) -> None:
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise ConfigError("not a per-tier searcher state (format tag missing)")
        if int(state.get("version", -1)) != STATE_VERSION:
            raise ConfigError(f"per-tier state version {state.get('version')} is not supported")
        if [float(b) for b in state["budgets_ms"]] != list(self.budgets_ms):
            raise ConfigError(f"the saved per-tier state is for budgets {state['budgets_ms']} ms, "
                              f"not {list(self.budgets_ms)}")
        for core, s in zip(self.cores, state["cores"]):
            core.load_state_dict(s)
        self._turn = int(state["turn"])
        self._owner = {str(k): int(v) for k, v in state["owner"].items()}


def _finite(v: Any) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False
