"""Ask/tell wrappers around peer optimisers (random search, Optuna TPE/GP, HEBO) on a Domain.

Same interface as :class:`~gpunet_ray.searchers.LAMCTS` (``ask(n)``, ``tell(config, value,
feasible)``) so the benchmark drives every searcher identically. Optional dependencies are imported
lazily with an actionable message (``pip install optuna``; HEBO: ``pip install --no-deps hebo`` plus
``pymoo>=0.6 disjoint-set catboost``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpunet_ray.errors import BackendUnavailable, ConfigError

from ._core import LAMCTS, _finite, as_domain
from ._domain import Domain

__all__ = ["RandomCore", "OptunaCore", "HEBOCore"]


class RandomCore(LAMCTS):
    """Uniform random search with the same duplicate, pending, constraint and state handling."""

    def ask(self, n: int = 1) -> list[dict]:
        out: list[dict] = []
        self._random_fill(n, out, set())
        return [self.domain.to_config(f) for f in out]


def _need(module: str, hint: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise BackendUnavailable(f"{module} is not installed ({exc}); {hint}") from None


class OptunaCore:
    """Optuna TPE (``sampler="tpe"``, constant liar for batches) or GP (``sampler="gp"``)."""

    def __init__(self, domain: Any, *, seed: int | None = None, maximize: bool = True, sampler: str = "tpe",
                 n_init: int | None = None, constraint=None):
        ot = _need("optuna", "install it with `pip install optuna` (the [bench] extra)")
        ot.logging.set_verbosity(ot.logging.WARNING)
        self.domain: Domain = as_domain(domain)
        self.constraint = constraint
        kw = {} if n_init is None else {"n_startup_trials": int(n_init)}
        if sampler == "tpe":
            smp = ot.samplers.TPESampler(seed=seed, constant_liar=True, **kw)
        elif sampler == "gp":
            smp = ot.samplers.GPSampler(seed=seed, **kw)
        else:
            raise ConfigError(f"optuna sampler must be 'tpe' or 'gp', got {sampler!r}")
        self._ot = ot
        self.study = ot.create_study(direction="maximize" if maximize else "minimize", sampler=smp)
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
        self._worst = None
        self._maximize = maximize

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
            out.append(self.domain.to_config(cfg))
        return out

    def tell(self, config: dict, value: Any, feasible: bool = True, extra: Any = None) -> None:
        tr = self._trials[self.domain.key(config)].pop(0)
        if feasible and _finite(value):
            self.study.tell(tr, float(value))
        else:
            self.study.tell(tr, state=self._ot.trial.TrialState.FAIL)


class HEBOCore:
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
        np.random.seed(seed if seed is not None else 0)
        torch.manual_seed(seed if seed is not None else 0)
        kw = {} if n_init is None else {"rand_sample": int(n_init)}
        self.opt = HEBO(DesignSpace().parse(spec), scramble_seed=seed, **kw)
        self._sign = -1.0 if maximize else 1.0  # HEBO minimises
        self._rows: dict[str, list] = {}
        self._worst: float | None = None

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
        rec = self.opt.suggest(n_suggestions=n)
        out = []
        for i in range(len(rec)):
            row = rec.iloc[[i]]
            cfg = self._to_config(rec.iloc[i])
            self._rows.setdefault(self.domain.key(cfg), []).append(row)
            out.append(self.domain.to_config(cfg))
        return out

    def tell(self, config: dict, value: Any, feasible: bool = True, extra: Any = None) -> None:
        row = self._rows[self.domain.key(config)].pop(0)
        if feasible and _finite(value):
            y = self._sign * float(value)
            self._worst = y if self._worst is None else max(self._worst, y)
        else:
            y = self._worst if self._worst is not None else 1e6
        self.opt.observe(row, np.array([[y]]))

