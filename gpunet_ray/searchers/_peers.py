"""Ask/tell wrappers around peer optimisers (Optuna TPE/GP, HEBO) on a Domain; ``RandomCore`` is
:mod:`._random`'s (imported here for the old import path).

Same interface as :class:`~gpunet_ray.searchers.LAMCTS` (``ask(n)``, ``tell(config, value,
feasible)``) so the benchmark drives every searcher identically. Optional dependencies are imported
lazily with an actionable message (``pip install optuna``; HEBO: ``pip install --no-deps hebo`` plus
``pymoo>=0.6 disjoint-set catboost``).
"""

from __future__ import annotations

import contextlib
from typing import Any, Sequence

import numpy as np

from gpunet_ray.errors import BackendUnavailable, ConfigError

from ._domain import Domain, as_domain
from ._random import RandomCore
from ._values import finite as _finite

__all__ = ["RandomCore", "OptunaCore", "HEBOCore"]


class _ReplayState:
    """JSON state by replay: observations and pending configs (the peer's model is refitted)."""

    _FORMAT = "gpunet_ray.searchers.peer"

    def _init_log(self) -> None:
        self._log: list[tuple[list, Any, bool]] = []
        self._asked: dict[str, dict] = {}

    def _record(self, config: dict, value: Any, feasible: bool) -> None:
        flat = self.domain.flat(config)
        self._asked.pop(self.domain.key(flat), None)
        v = _floats(value) if feasible else None
        self._log.append((self.domain.config_to_json(flat), v, bool(feasible and v is not None)))

    @property
    def pending(self) -> list[dict]:
        return [self.domain.to_config(c) for c in self._asked.values()]

    def forget(self, config: dict) -> None:
        self._asked.pop(self.domain.key(config), None)

    def state_dict(self) -> dict:
        return {"format": self._FORMAT, "version": 1, "kind": type(self).__name__,
                "domain": self.domain.to_dict(),
                "observations": [list(o) for o in self._log],
                "pending": [self.domain.config_to_json(c) for c in self._asked.values()]}

    def load_state_dict(self, state: dict) -> None:
        if state.get("format") != self._FORMAT or state.get("kind") != type(self).__name__:
            raise ConfigError(f"not a {type(self).__name__} state")
        if state["domain"]["params"] != self.domain.to_dict()["params"]:
            raise ConfigError("the saved searcher state was made for a different search space")
        self._replay([(self.domain.config_from_json(c), v, f) for c, v, f in state["observations"]],
                     [self.domain.config_from_json(c) for c in state["pending"]])


def _need(module: str, hint: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise BackendUnavailable(f"{module} is not installed ({exc}); {hint}") from None


def _floats(value: Any) -> float | list[float] | None:
    """A told value as a float, or a list of floats (several objectives); None unless all are finite."""
    if value is None:
        return None
    if np.ndim(value) == 0:
        return float(value) if _finite(value) else None
    vals = list(value)
    return [float(v) for v in vals] if all(_finite(v) for v in vals) else None


class OptunaCore(_ReplayState):
    """Optuna TPE (``sampler="tpe"``, constant liar for batches) or GP (``sampler="gp"``), or any Optuna
    sampler instance (e.g. ``NSGAIISampler``; its own seed). Several objectives (``objectives=N``, one
    ``maximize`` flag each) with the samplers that support them (TPE, NSGA-II)."""

    def __init__(self, domain: Any, *, seed: int | None = None, maximize: bool | Sequence[bool] = True,
                 sampler: Any = "tpe", n_init: int | None = None, constraint=None, objectives: int = 1):
        ot = _need("optuna", "install it with `pip install optuna` (the [bench] extra)")
        ot.logging.set_verbosity(ot.logging.WARNING)
        self.domain: Domain = as_domain(domain)
        self.constraint = constraint
        kw = {} if n_init is None else {"n_startup_trials": int(n_init)}
        if isinstance(sampler, ot.samplers.BaseSampler):
            smp = sampler
        elif sampler == "tpe":
            smp = ot.samplers.TPESampler(seed=seed, constant_liar=True, **kw)
        elif sampler == "gp":
            smp = ot.samplers.GPSampler(seed=seed, **kw)
        else:
            raise ConfigError(f"optuna sampler must be 'tpe' or 'gp' (or an optuna sampler), got {sampler!r}")
        self._ot = ot
        flags = (bool(maximize),) * objectives if isinstance(maximize, (bool, np.bool_)) else tuple(maximize)
        if len(flags) != objectives:
            raise ConfigError(f"maximize needs one flag per objective ({objectives}), got {maximize}")
        self.objectives = objectives
        if objectives == 1:
            self.study = ot.create_study(direction="maximize" if flags[0] else "minimize", sampler=smp)
        else:
            self.study = ot.create_study(directions=["maximize" if m else "minimize" for m in flags], sampler=smp)
        self._dists = {}
        for p in self.domain.params:
            if p.kind in ("float", "log"):
                self._dists[p.name] = ot.distributions.FloatDistribution(p.low, p.high, log=p.kind == "log",
                                                                         step=None if p.kind == "log" else p.q)
            elif p.kind == "int":
                self._dists[p.name] = ot.distributions.IntDistribution(p.low, p.high, step=1 if p.log else p.q,
                                                                       log=p.log)
            elif p.kind == "ordinal":
                self._dists[p.name] = ot.distributions.IntDistribution(0, len(p.choices) - 1)
            else:
                self._dists[p.name] = ot.distributions.CategoricalDistribution(list(range(len(p.choices))))
        self._trials: dict[str, Any] = {}
        self._maximize = maximize
        self._init_log()

    def _to_config(self, params: dict) -> dict:
        out = {}
        for p in self.domain.params:
            v = params[p.name]
            out[p.name] = p.choices[v] if p.kind in ("ordinal", "categorical") else v
        return out

    def ask(self, n: int = 1) -> list[dict]:
        out = []
        for _ in range(n):
            for _try in range(20):
                tr = self.study.ask(fixed_distributions=self._dists)
                cfg = self._to_config(tr.params)
                if self.constraint is not None and not self.constraint(self.domain.to_config(cfg)):
                    self.study.tell(tr, state=self._ot.trial.TrialState.FAIL)
                    continue
                break
            self._trials.setdefault(self.domain.key(cfg), []).append(tr)
            self._asked[self.domain.key(cfg)] = cfg
            out.append(self.domain.to_config(cfg))
        return out

    def _params(self, flat: dict) -> dict:
        return {p.name: (p.choices.index(flat[p.name]) if p.kind in ("ordinal", "categorical") else flat[p.name])
                for p in self.domain.params}

    def tell(self, config: dict, value: Any, feasible: bool = True, extra: Any = None) -> None:
        flat = self.domain.flat(config)
        queue = self._trials.get(self.domain.key(flat))
        v = _floats(value) if feasible else None
        if v is not None and (np.ndim(v) == 0) != (self.objectives == 1):
            raise ConfigError(f"tell: expected {self.objectives} objective value(s), got {value!r}")
        if queue:
            tr = queue.pop(0)
            if v is not None:
                self.study.tell(tr, v)
            else:
                self.study.tell(tr, state=self._ot.trial.TrialState.FAIL)
        else:  # evaluated elsewhere
            one = self.objectives == 1
            self.study.add_trial(self._ot.trial.create_trial(
                params=self._params(flat), distributions=self._dists, value=v if one else None,
                values=None if one or v is None else v,
                state=self._ot.trial.TrialState.COMPLETE if v is not None else self._ot.trial.TrialState.FAIL))
        self._record(flat, value, feasible)

    def _replay(self, obs: list, pending: list) -> None:
        for flat, v, f in obs:
            self.tell(flat, v, feasible=f)
        for flat in pending:
            self.study.enqueue_trial(self._params(flat))
            tr = self.study.ask(fixed_distributions=self._dists)
            self._trials.setdefault(self.domain.key(flat), []).append(tr)
            self._asked[self.domain.key(flat)] = flat


class HEBOCore(_ReplayState):
    """HEBO (Cowen-Rivers et al., JAIR 2022); infeasible results are told as the worst value seen."""

    def __init__(self, domain: Any, *, seed: int | None = None, maximize: bool = True, n_init: int | None = None,
                 constraint=None):
        _need("hebo", "install it with `pip install --no-deps hebo` and "
                      "`pip install --only-binary :all: 'pymoo>=0.6' disjoint-set catboost`")
        import pandas as pd
        import torch
        from hebo.design_space.design_space import DesignSpace
        from hebo.optimizers.hebo import HEBO

        self.domain: Domain = as_domain(domain)
        self.constraint = constraint
        self._pd = pd
        spec = []
        for p in self.domain.params:
            if p.kind == "float":
                spec.append({"name": p.name, "type": "num", "lb": p.low, "ub": p.high})
            elif p.kind == "log":
                spec.append({"name": p.name, "type": "pow", "lb": p.low, "ub": p.high})
            elif p.kind == "int":
                spec.append({"name": p.name, "type": "int", "lb": 0, "ub": p.n - 1})
            elif p.kind == "ordinal":
                spec.append({"name": p.name, "type": "int", "lb": 0, "ub": len(p.choices) - 1})
            else:
                spec.append({"name": p.name, "type": "cat", "categories": [str(i) for i in range(len(p.choices))]})
        # HEBO draws from numpy's and torch's global generators: it gets private streams of its own, swapped
        # in around each call (:meth:`_own_rng`), so the caller's global state is neither seeded nor consumed.
        s = seed if seed is not None else 0
        self._np_state = np.random.RandomState(s).get_state()
        self._torch_state = torch.Generator().manual_seed(s).get_state()
        kw = {} if n_init is None else {"rand_sample": int(n_init)}
        with self._own_rng():
            self.opt = HEBO(DesignSpace().parse(spec), scramble_seed=seed, **kw)
        self._sign = -1.0 if maximize else 1.0  # HEBO minimises
        self._worst: float | None = None
        self._init_log()

    @contextlib.contextmanager
    def _own_rng(self):
        """Run HEBO on its own numpy and torch random streams; the global ones are restored after."""
        import torch

        saved = np.random.get_state()
        with torch.random.fork_rng(devices=[]):
            np.random.set_state(self._np_state)
            torch.set_rng_state(self._torch_state)
            try:
                yield
            finally:
                self._np_state = np.random.get_state()
                self._torch_state = torch.get_rng_state()
                np.random.set_state(saved)

    def _to_config(self, row) -> dict:
        out = {}
        for p in self.domain.params:
            v = row[p.name]
            if p.kind == "int":
                out[p.name] = int(p.low + int(round(float(v))) * p.q)
            elif p.kind == "ordinal":
                out[p.name] = p.choices[int(round(float(v)))]
            elif p.kind == "categorical":
                out[p.name] = p.choices[int(v)]
            else:
                out[p.name] = float(v)
        return out

    def ask(self, n: int = 1) -> list[dict]:
        with self._own_rng():
            rec = self.opt.suggest(n_suggestions=n)
        out = []
        for i in range(len(rec)):
            cfg = self._to_config(rec.iloc[i])
            self._asked[self.domain.key(cfg)] = cfg
            out.append(self.domain.to_config(cfg))
        return out

    def _row(self, flat: dict):
        r = {}
        for p in self.domain.params:
            v = flat[p.name]
            if p.kind == "int":
                r[p.name] = (int(v) - p.low) // p.q
            elif p.kind == "ordinal":
                r[p.name] = p.choices.index(v)
            elif p.kind == "categorical":
                r[p.name] = str(p.choices.index(v))
            else:
                r[p.name] = float(v)
        return self._pd.DataFrame([r])

    def _replay(self, obs: list, pending: list) -> None:
        for flat, v, f in obs:
            self.tell(flat, v, feasible=f)
        for flat in pending:
            self._asked[self.domain.key(flat)] = flat

    def tell(self, config: dict, value: Any, feasible: bool = True, extra: Any = None) -> None:
        flat = self.domain.flat(config)
        row = self._row(flat)
        self._record(flat, value, feasible)
        if feasible and _finite(value):
            y = self._sign * float(value)
            self._worst = y if self._worst is None else max(self._worst, y)
        elif self._worst is not None:
            y = self._worst
        else:
            return  # nothing feasible yet: no value to stand in for it
        with self._own_rng():
            self.opt.observe(row, np.array([[y]]))

