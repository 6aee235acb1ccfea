"""Two-objective benchmark problems (both objectives minimised; set ``mo``, tuning allowed).

Each carries a fixed hypervolume reference point (``ref_point``) and, where the Pareto front is
known, its hypervolume (``max_hv``); the reference points and fronts are BoTorch's
(``botorch.test_functions.multi_objective``, for the minimised form), so figures compare with
theirs:

* ``zdt1``, ``zdt2``, ``zdt3``: Zitzler, Deb & Thiele (2000) with 6 variables on ``[0, 1]^6``;
  convex, concave and disconnected fronts; ``ref_point = (11, 11)``.
* ``dtlz2``: Deb et al. (2002), 6 variables, 2 objectives; the front is the quarter circle;
  ``ref_point = (1.1, 1.1)``.
* ``branin-currin``: Branin vs Currin (Belakaria et al., 2019) on ``[0, 1]^2``, rescaled as
  BoTorch does; ``ref_point = (18, 6)``.
* ``tiny-gpunet-mo``: the tiny GPUNet space (37 dims), ``(100 - tiny_accuracy_proxy,
  tiny_latency_ms)``: what a latency-tiered hub search trades; ``ref_point = (40, 1.5 ms)``
  (every random architecture has error < 45 and latency < 1.9 ms); front unknown.

Held-out two-objective problems are in :mod:`.heldout2` (``--set heldout2-mo``), :mod:`.heldout3`
(``--set heldout3-mo``), :mod:`.heldout4` (``--set heldout4-mo``), :mod:`.heldout5` (``--set heldout5-mo``),
:mod:`.heldout6` (``--set heldout6-mo``), :mod:`.heldout7` (``--set heldout7-mo``) and :mod:`.heldout8`
(``--set heldout8-mo``).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from gpunet_ray.searchers import Domain, Param

from ._problem import Problem

__all__ = ["PROBLEMS", "MO_SET"]


def _unit_box(d: int) -> Domain:
    return Domain(tuple(Param(f"x{i}", "float", low=0.0, high=1.0) for i in range(d)))


def _x(c: dict, d: int) -> np.ndarray:
    return np.clip(np.array([float(c[f"x{i}"]) for i in range(d)]), 0.0, 1.0)


def _zdt(name: str, kind: int, d: int = 6) -> Problem:
    def fn(c: dict) -> tuple[float, float]:
        x = _x(c, d)
        f1 = float(x[0])
        g = 1.0 + 9.0 * float(np.mean(x[1:]))
        r = f1 / g
        if kind == 1:
            h = 1.0 - math.sqrt(r)
        elif kind == 2:
            h = 1.0 - r * r
        else:
            h = 1.0 - math.sqrt(r) - r * math.sin(10.0 * math.pi * f1)
        return f1, g * h

    max_hv = {1: 120.0 + 2.0 / 3.0, 2: 120.0 + 1.0 / 3.0, 3: 128.77811613069076}[kind]
    return Problem(name, _unit_box(d), fn, None, objectives=2, ref_point=(11.0, 11.0), max_hv=max_hv,
                   optimum={"x0": 0.25, **{f"x{i}": 0.0 for i in range(1, d)}},
                   note=f"ZDT{kind}, {d} variables")


def _dtlz2(d: int = 6) -> Problem:
    def fn(c: dict) -> tuple[float, float]:
        x = _x(c, d)
        g = float(np.sum((x[1:] - 0.5) ** 2))
        a = 0.5 * math.pi * x[0]
        return (1.0 + g) * math.cos(a), (1.0 + g) * math.sin(a)

    return Problem("dtlz2", _unit_box(d), fn, None, objectives=2, ref_point=(1.1, 1.1), max_hv=1.21 - math.pi / 4,
                   optimum={"x0": 0.5, **{f"x{i}": 0.5 for i in range(1, d)}}, note=f"DTLZ2, {d} variables")


def _branin_currin() -> Problem:
    def fn(c: dict) -> tuple[float, float]:
        x0, x1 = _x(c, 2)
        u, v = 15.0 * x0 - 5.0, 15.0 * x1
        branin = (v - 5.1 / (4 * math.pi ** 2) * u * u + 5.0 / math.pi * u - 6.0) ** 2 \
            + 10.0 * (1.0 - 1.0 / (8 * math.pi)) * math.cos(u) + 10.0
        f = 1.0 - math.exp(-1.0 / (2.0 * x1)) if x1 > 0 else 1.0
        currin = f * (2300 * x0 ** 3 + 1900 * x0 ** 2 + 2092 * x0 + 60) / (100 * x0 ** 3 + 500 * x0 ** 2 + 4 * x0 + 20)
        return float(branin), float(currin)

    return Problem("branin-currin", _unit_box(2), fn, None, objectives=2, ref_point=(18.0, 6.0),
                   max_hv=59.36011874867746, note="Branin vs Currin, 2 variables")


def _tiny_mo() -> Problem:
    from gpunet_ray.search_space import arch_stats, get_space

    from .problems import tiny_accuracy_proxy, tiny_latency_ms

    space = get_space("tiny")

    def fn(c: dict) -> tuple[float, float]:
        spec = space.from_config(c)
        st = arch_stats(spec)
        return 100.0 - tiny_accuracy_proxy(st, spec), tiny_latency_ms(st, spec)

    return Problem("tiny-gpunet-mo", Domain.from_search_space(space), fn, None, objectives=2, ref_point=(40.0, 1.5),
                   note="tiny GPUNet space: (100 - accuracy proxy, latency proxy ms)")


PROBLEMS: dict[str, Callable[[], Problem]] = {
    "zdt1": lambda: _zdt("zdt1", 1),
    "zdt2": lambda: _zdt("zdt2", 2),
    "zdt3": lambda: _zdt("zdt3", 3),
    "dtlz2": _dtlz2,
    "branin-currin": _branin_currin,
    "tiny-gpunet-mo": _tiny_mo,
}

#: The two-objective problems one may tune on.
MO_SET = tuple(PROBLEMS)
