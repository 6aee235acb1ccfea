"""Benchmark problems for the searchers (all minimised; ``regret = f - f_opt``).

* ``hartmann6``, ``ackley10``, ``levy10``, ``rosenbrock10``: BoTorch's test functions on their
  standard boxes.
* ``mixed8``: 4 continuous + 2 integer + 2 categorical dimensions with interactions (the
  categorical ``c0`` shifts the continuous optimum); ``f_opt = 0``.
* ``tiny-gpunet``: the tiny GPUNet space, maximise an accuracy proxy (reported as error =
  100 - proxy) under a latency budget; configs over the budget are *infeasible*. The latency
  proxy is an analytic model of arch_stats (documented in :func:`tiny_latency_ms`); ``f_opt`` is
  unknown, so regret is measured against the best feasible value any run found (see the report).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from gpunet_ray.searchers import Domain, Param

__all__ = ["Problem", "get_problem", "list_problems", "tiny_latency_ms", "tiny_accuracy_proxy"]


@dataclass
class Problem:
    name: str
    domain: Domain
    fn: Callable[[dict], float | None]  # None -> infeasible
    f_opt: float | None  # None: regret against the best value found by any run
    constraint: Callable[[dict], bool] | None = None  # the known constraint, for the "+constraint" variant


def _botorch(name: str, cls: str, dim: int | None) -> Problem:
    import torch
    from botorch import test_functions as tf

    f = getattr(tf, cls)(**({"dim": dim} if dim else {}))
    lo, hi = f.bounds[0].tolist(), f.bounds[1].tolist()
    dom = Domain(tuple(Param(f"x{i}", "float", low=lo[i], high=hi[i]) for i in range(f.dim)))

    def fn(c: dict) -> float:
        x = torch.tensor([[min(max(float(c[f"x{i}"]), lo[i]), hi[i]) for i in range(f.dim)]], dtype=torch.double)
        return float(f.evaluate_true(x))

    return Problem(name, dom, fn, float(f.optimal_value))


def _levy(z: np.ndarray) -> float:
    w = 1 + (z - 1) / 4
    t = math.sin(math.pi * w[0]) ** 2 + ((w[-1] - 1) ** 2) * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    t += float(np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2)))
    return t


def _mixed() -> Problem:
    shift = {"a": 0.0, "b": 1.5, "c": -2.0, "d": 3.0}
    c0_cost = {"a": 0.0, "b": 0.3, "c": 0.6, "d": 0.9}
    c1_cost = {"x": 0.5, "y": 0.0, "z": 1.0}
    dom = Domain((
        *(Param(f"x{i}", "float", low=-5.0, high=5.0) for i in range(4)),
        Param("n0", "int", low=0, high=15),
        Param("n1", "int", low=0, high=7),
        Param("c0", "categorical", choices=tuple(shift)),
        Param("c1", "categorical", choices=tuple(c1_cost)),
    ))

    def fn(c: dict) -> float:
        z = np.array([c[f"x{i}"] for i in range(4)]) - shift[c["c0"]] + 0.0
        return (_levy(z) + ((c["n0"] - 11) / 4.0) ** 2 + abs(c["n1"] - 3) / 3.0
                + c0_cost[c["c0"]] + c1_cost[c["c1"]])

    return Problem("mixed8", dom, fn, 0.0)


# -- tiny GPUNet ----------------------------------------------------------------------------------
def tiny_latency_ms(stats, spec) -> float:
    """Analytic latency proxy (ms, batch 1): a roofline-like sum of compute and memory terms.

    ``latency_ms = 0.05 + macs / 1.25e8 + activations * 2e-7 + 0.012 * layers + 0.02 * se_layers``:
    a fixed 0.05 ms overhead, compute at 125 MMAC per ms, activation traffic at 2e-7 ms per
    output element, 0.012 ms per layer (operator overhead) and 0.02 ms per squeeze-excite layer.
    On the tiny space it spans 0.18-2.0 ms for random architectures (median 0.56 ms).
    """
    se = sum(1 for l in spec.layers if getattr(l, "use_se", False))
    return 0.05 + stats.macs / 1.25e8 + stats.activations * 2e-7 + 0.012 * len(spec.layers) + 0.02 * se


def tiny_accuracy_proxy(stats, spec) -> float:
    """A cheap, smooth accuracy proxy (percent, higher is better) with diminishing returns.

    Capacity ``log(MACs)`` and ``log(params)`` raise it with saturation; depth helps up to ~12
    layers; swish (+0.4 per layer share) and squeeze-excite (+0.3 per SE layer share) help;
    resolution adds a small term. Designed so that accuracy and latency conflict.
    """
    layers = [l for l in spec.layers if l.type != "tail"]
    n = max(1, len(layers))
    cap = 0.55 * math.log(stats.macs / 1e6 + 1.0) + 0.35 * math.log(stats.params / 1e5 + 1.0)
    depth = 2.0 * (1.0 - math.exp(-len(layers) / 6.0))
    swish = sum(1 for l in layers if l.act == "swish") / n
    se = sum(1 for l in layers if getattr(l, "use_se", False)) / n
    res = (spec.resolution - 64) / 64.0
    score = cap + depth + 0.4 * swish + 0.3 * se + 0.3 * res
    return 80.0 * (1.0 - math.exp(-score / 2.5))


def _tiny(budget_ms: float | None = None) -> Problem:
    from gpunet_ray.search_space import arch_stats, get_space

    space = get_space("tiny")
    dom = Domain.from_search_space(space)
    if budget_ms is None:
        budget_ms = 0.45  # about 25 % of random tiny architectures fit

    def lat(c: dict) -> float:
        spec = space.from_config(c)
        return tiny_latency_ms(arch_stats(spec), spec)

    def fn(c: dict) -> float | None:
        spec = space.from_config(c)
        st = arch_stats(spec)
        if tiny_latency_ms(st, spec) > budget_ms:
            return None
        return 100.0 - tiny_accuracy_proxy(st, spec)

    return Problem("tiny-gpunet", dom, fn, None, constraint=lambda c: lat(c) <= budget_ms)


_PROBLEMS: dict[str, Callable[[], Problem]] = {
    "hartmann6": lambda: _botorch("hartmann6", "Hartmann", 6),
    "ackley10": lambda: _botorch("ackley10", "Ackley", 10),
    "levy10": lambda: _botorch("levy10", "Levy", 10),
    "rosenbrock10": lambda: _botorch("rosenbrock10", "Rosenbrock", 10),
    "mixed8": _mixed,
    "tiny-gpunet": _tiny,
}


def list_problems() -> list[str]:
    return list(_PROBLEMS)


def get_problem(name: str) -> Problem:
    from gpunet_ray.errors import ConfigError

    if name not in _PROBLEMS:
        raise ConfigError(f"unknown problem {name!r}; use one of {', '.join(_PROBLEMS)}")
    return _PROBLEMS[name]()
