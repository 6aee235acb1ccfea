"""What an ask/tell core has been told and what it has in flight: :class:`Observations`.

One store for every core that keeps its history (:class:`~gpunet_ray.searchers.LAMCTS`,
``RandomCore``): the told configs (flat and in the unit view), their values, feasibility and extras,
the duplicate keys, and the pending (asked, untold) configs; plus the views the cores and their users
read (``best``, ``pareto_front``, ``history``) and its JSON form. Pure numpy.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Sequence

import numpy as np

from gpunet_ray.errors import ConfigError

from ._domain import Domain
from ._pareto import dominance_counts
from ._values import finite

__all__ = ["Observations", "ObservedCore", "safe_json", "generator_from_state"]


def safe_json(obj: Any) -> Any:
    """``obj`` through JSON (values JSON cannot hold become strings); None stays None."""
    return json.loads(json.dumps(obj, default=str)) if obj is not None else None


def generator_from_state(state: dict) -> np.random.Generator:
    """The ``numpy.random.Generator`` a core's state saved (``rng``: its bit generator's state, ``rng_kind``)."""
    bg = getattr(np.random, state.get("rng_kind", "PCG64"))()
    bg.state = state["rng"]
    return np.random.Generator(bg)


class Observations:
    """Observations of ``objectives`` values (user signs) over ``domain``; ``sign``: +1 where maximised."""

    def __init__(self, domain: Domain, maximize: Sequence[bool]):
        self.domain = domain
        self.objectives = len(maximize)
        self.sign = np.array([1.0 if m else -1.0 for m in maximize])
        self.clear()

    def clear(self) -> None:
        self.flat: list[dict] = []
        self.U: list[np.ndarray] = []
        self.Y: list[np.ndarray] = []  # raw values (user signs), NaN when missing
        self.feas: list[bool] = []
        self.extra: list[Any] = []
        self.keys: set[str] = set()
        self.pending: dict[str, dict] = {}
        self._Ucache: np.ndarray | None = None
        self._Ycache: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.flat)

    # -- recording --------------------------------------------------------------------------------
    def add(self, config: dict, value: Any, feasible: bool = True, extra: Any = None) -> tuple[np.ndarray, bool]:
        """Record a told result (see :meth:`AskTellOptimizer.tell`); returns (values, feasible)."""
        d = self.domain
        flat = d.flat(config)
        d.to_unit([flat])  # validates choices (ConfigError)
        m = self.objectives
        if value is None:
            vals = [math.nan] * m
        elif np.ndim(value) == 0:
            vals = [value] if m == 1 else None
        else:
            vals = list(value)
        if vals is None or len(vals) != m:
            raise ConfigError(f"tell: expected {m} objective value(s), got {value!r}")
        ok = bool(feasible) and all(finite(v) for v in vals)
        y = np.array([float(v) if finite(v) else math.nan for v in vals])
        key = d.key(flat)
        self.pending.pop(key, None)
        self._append(flat, y, ok, extra)
        self.keys.add(key)
        return y, ok

    def _append(self, flat: dict, y: np.ndarray, ok: bool, extra: Any) -> None:
        self.flat.append(flat)
        self.U.append(self.domain.to_unit([flat])[0])
        self._Ucache = None
        self.Y.append(y)
        self.feas.append(ok)
        self.extra.append(extra)

    def add_pending(self, config: dict) -> None:
        flat = self.domain.flat(config)
        self.domain.to_unit([flat])
        self.pending[self.domain.key(flat)] = flat

    def forget(self, config: dict) -> None:
        self.pending.pop(self.domain.key(config), None)

    def seen(self, key: str, batch_keys: set) -> bool:
        """Whether a config's duplicate key is told, in flight or already in this batch."""
        return key in self.keys or key in self.pending or key in batch_keys

    def accept(self, flat: dict, out: list, batch_keys: set, constraint: Callable[[dict], bool] | None) -> bool:
        """Add ``flat`` to the batch ``out`` (and to the pending configs) unless it is a duplicate or
        fails the known ``constraint``."""
        key = self.domain.key(flat)
        if self.seen(key, batch_keys):
            return False
        if constraint is not None and not constraint(self.domain.to_config(flat)):
            return False
        out.append(flat)
        batch_keys.add(key)
        self.pending[key] = flat
        return True

    def random_fill(self, rng: np.random.Generator, k: int, out: list, batch_keys: set,
                    constraint: Callable[[dict], bool] | None) -> None:
        """Add up to ``k`` uniform configs to the batch ``out`` (see :meth:`accept`); gives up after
        50 rounds of ``4 k`` draws (a finite space may be exhausted)."""
        if k <= 0:
            return
        target = len(out) + k
        tries = 0
        while len(out) < target and tries < 50:
            tries += 1
            for u in self.domain.uniform(rng, 4 * k):
                if len(out) >= target:
                    break
                self.accept(self.domain.from_unit(u)[0], out, batch_keys, constraint)

    # -- views --------------------------------------------------------------------------------------
    def internal(self) -> np.ndarray:
        """(n, m) objective values, all maximised (cached until the next tell)."""
        if not self.Y:
            return np.zeros((0, self.objectives))
        if self._Ycache is None or len(self._Ycache) != len(self.Y):
            self._Ycache = np.vstack(self.Y) * self.sign
        return self._Ycache

    def unit(self) -> np.ndarray:
        """(n, P) told configs in the unit view (cached until the next tell)."""
        if self._Ucache is None or len(self._Ucache) != len(self.U):
            self._Ucache = np.vstack(self.U)
        return self._Ucache

    def feasible(self) -> np.ndarray:
        return np.array(self.feas, dtype=bool)

    def record(self, i: int) -> dict:
        v = self.Y[i]
        val = float(v[0]) if len(v) == 1 else tuple(float(x) for x in v)
        return {"config": self.domain.to_config(self.flat[i]), "value": val, "extra": self.extra[i]}

    def best(self) -> dict | None:
        """Best feasible observation ``{"config", "value", "extra"}`` (single objective)."""
        if self.objectives != 1:
            raise ConfigError("best is for single-objective search; use pareto_front()")
        t = self.internal()[:, 0]
        feas = self.feasible()
        if not feas.any():
            return None
        return self.record(int(np.argmax(np.where(feas, t, -np.inf))))

    def pareto_front(self) -> list[dict]:
        """Non-dominated feasible observations, ``[{"config", "value", "extra"}]`` (value: tuple)."""
        Y = self.internal()
        feas = np.where(self.feasible())[0]
        if not len(feas):
            return []
        dom = dominance_counts(Y[feas])
        return [self.record(int(i)) for i in feas[dom == 0]]

    def history(self) -> list[dict]:
        """Every observation in order: ``{"config", "value", "feasible", "extra"}``."""
        return [{**self.record(i), "feasible": self.feas[i]} for i in range(len(self.flat))]

    # -- JSON -----------------------------------------------------------------------------------------
    def observations_json(self) -> list[dict]:
        d = self.domain
        return [{"config": d.config_to_json(self.flat[i]),
                 "value": [None if not math.isfinite(v) else float(v) for v in self.Y[i]],
                 "feasible": self.feas[i], "extra": safe_json(self.extra[i])} for i in range(len(self.flat))]

    def pending_json(self) -> list:
        return [self.domain.config_to_json(c) for c in self.pending.values()]

    def load_json(self, observations: list[dict], pending: list) -> None:
        """Replace everything with the JSON of :meth:`observations_json` / :meth:`pending_json`."""
        d = self.domain
        self.clear()
        for ob in observations:
            flat = d.config_from_json(ob["config"])
            self._append(flat, np.array([math.nan if v is None else float(v) for v in ob["value"]]),
                         bool(ob["feasible"]), ob.get("extra"))
            self.keys.add(d.key(flat))
        self._Ucache = None
        for j in pending:
            flat = d.config_from_json(j)
            self.pending[d.key(flat)] = flat


class ObservedCore:
    """The part of an ask/tell core that only delegates to its :class:`Observations` (``self.obs``)."""

    obs: Observations
    domain: Domain

    @property
    def n_observations(self) -> int:
        return len(self.obs)

    @property
    def pending(self) -> list[dict]:
        """Configs asked and not yet told (or forgotten)."""
        return [self.domain.to_config(c) for c in self.obs.pending.values()]

    def add_pending(self, config: dict) -> None:
        """Mark a config chosen elsewhere (e.g. a user's point to evaluate) as in flight."""
        self.obs.add_pending(config)

    def forget(self, config: dict) -> None:
        """Drop a pending config (e.g. a trial that was cancelled without a result)."""
        self.obs.forget(config)

    @property
    def best(self) -> dict | None:
        """Best feasible observation: ``{"config", "value", "extra"}`` (single objective)."""
        return self.obs.best()

    def pareto_front(self) -> list[dict]:
        """Non-dominated feasible observations, ``[{"config", "value", "extra"}]`` (value: tuple)."""
        return self.obs.pareto_front()

    def history(self) -> list[dict]:
        """Every observation in order: ``{"config", "value", "feasible", "extra"}``."""
        return self.obs.history()
