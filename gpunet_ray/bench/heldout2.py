"""Held-out set 2 (issue 14): problems fixed *before* any change of the searcher, run once at the end.

Nothing here was used to choose a default, and no searcher was run on it before the final run
(docs/BENCHMARKS.md, "Held-out set 2", records the commit that fixed it). Every shift, rotation and
table is drawn from :data:`SEED` (one stream per problem name), so the set is the same everywhere.
All objectives are minimised.

**BBOB-style functions** on ``[-5, 5]^D`` (Hansen et al., "Real-parameter black-box optimization
benchmarking 2009: noiseless functions definitions", INRIA RR-6829; the same transformations
``T_osz``, ``T_asy``, ``Lambda^alpha``, random rotations ``R``/``Q`` and the boundary penalty
``f_pen``), with ``f_opt = 0`` at the shifted optimum ``x_opt`` (given as ``Problem.optimum``):

* ``h2-ellipsoid20``, ``h2-ellipsoid60``: rotated ellipsoid (BBOB f10), conditioning 1e6;
* ``h2-rastrigin20``, ``h2-rastrigin40``: rotated, asymmetric Rastrigin (BBOB f15), ~10^D local minima;
* ``h2-schwefel20``: Schwefel ``x sin(sqrt|x|)`` (BBOB f20), the optimum near the box's edge in the
  inner variables (``f(x_opt)`` is 0 up to ~1e-12: the constant of the definition is rounded);
* ``h2-bueche40``: Bueche-Rastrigin (BBOB f4), separable, asymmetric scaling;
* ``h2-lunacek20``: Lunacek bi-Rastrigin (BBOB f24), rotated: a deceptive double funnel.

**Mixed integer / categorical problems with interactions** (``f_opt = 0`` at ``optimum``):

* ``h2-mixed20``: 8 continuous dims on a rotated, ill-conditioned bowl with a cosine ripple whose
  centre moves with a 4-way categorical; a log "learning rate" and "weight decay" whose optimum
  depends on a 3-way "optimiser" and on each other; four integers (one log-spaced) with coupled
  targets; six categoricals with pairwise interaction tables;
* ``h2-mixed30``: integer-heavy: 12 integers through a rotated ellipsoid (so they interact), 6
  ordinals whose best index depends on a categorical, 8 four-way categoricals in a chain of
  pairwise tables, 4 continuous dims whose centre depends on a categorical.

**NAS-like constrained problems** on spaces and models the LA-MCTS defaults were not designed on
(``f_opt`` unknown: regret is measured against the best value any run found; ``reference`` is the
value of a fixed, documented config):

* ``h2-gpunet``: the published GPUNet space (44 dims); minimise ``100 - accuracy_model`` subject to
  :func:`gpu_latency_ms` <= 1.6 ms *and* at most 30 M parameters (two constraints, about 30 % of
  random configs pass; the tiny problem had a latency budget only). Reference: NVIDIA's GPUNet-2 as
  the space encodes it (its head is the stage-0 conv; 1.09 ms, 25.8 M parameters; 20.566).
* ``h2-mobile``: a new mobile-style space (:data:`MOBILE_SPACE_YAML`, 7 stages, kernels up to 7,
  resolutions 160-288); minimise ``100 - accuracy_model`` subject to :func:`cpu_latency_ms` <= 10 ms
  and a peak activation memory (fp32, batch 1) <= 4 MB (about 35 % of random configs pass).
  Reference: :data:`MOBILE_REFERENCE`, a hand-written MobileNetV2-like member (43.893).

**Multi-objective** (two objectives, both minimised; hypervolume against the fixed ``ref_point``):

* ``h2-mo-dtlz2r10``: DTLZ2 with 10 variables whose 9 distance variables are shifted and rotated;
  the front is the quarter circle, ``max_hv = 1.21 - pi / 4`` at ``ref_point = (1.1, 1.1)``;
* ``h2-mo-gpunet``: the GPUNet space, (``100 - accuracy_model``, :func:`gpu_latency_ms`), with the
  30 M-parameter limit as a constraint; ``ref_point = (30, 3 ms)``; the front is unknown.
"""

from __future__ import annotations

import math
import zlib
from typing import Callable

import numpy as np

from gpunet_ray.searchers import Domain, Param

from ._problem import Problem

__all__ = ["SEED", "HELDOUT2", "HELDOUT2_MO", "PROBLEMS", "accuracy_model", "gpu_latency_ms", "cpu_latency_ms",
           "MOBILE_SPACE_YAML", "MOBILE_REFERENCE"]

#: The seed every random element of the set is drawn from (with the problem's name).
SEED = 20261129


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng([SEED, zlib.crc32(name.encode())])


# -- BBOB transformations --------------------------------------------------------------------------
def _rotation(rng: np.random.Generator, d: int) -> np.ndarray:
    """A uniformly random orthogonal matrix (QR of a Gaussian matrix, signs fixed)."""
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    return q * np.sign(np.diag(r))[None, :]


def _t_osz(x: np.ndarray) -> np.ndarray:
    """BBOB's oscillation: smooth, symmetric-breaking ripples, identity at 0 and in sign."""
    x = np.asarray(x, dtype=float)
    xh = np.where(x != 0, np.log(np.abs(np.where(x != 0, x, 1.0))), 0.0)
    c1 = np.where(x > 0, 10.0, 5.5)
    c2 = np.where(x > 0, 7.9, 3.1)
    return np.sign(x) * np.exp(xh + 0.049 * (np.sin(c1 * xh) + np.sin(c2 * xh)))


def _t_asy(x: np.ndarray, beta: float) -> np.ndarray:
    d = len(x)
    e = 1.0 + beta * np.arange(d) / max(1, d - 1) * np.sqrt(np.maximum(x, 0.0))
    return np.where(x > 0, np.abs(x) ** e, x)


def _lam(alpha: float, d: int) -> np.ndarray:
    """Diagonal of BBOB's ``Lambda^alpha`` (conditioning ``sqrt(alpha)``)."""
    return alpha ** (0.5 * np.arange(d) / max(1, d - 1))


def _f_pen(x: np.ndarray) -> float:
    return float(np.sum(np.maximum(0.0, np.abs(x) - 5.0) ** 2))


def _box(d: int) -> Domain:
    return Domain(tuple(Param(f"x{i}", "float", low=-5.0, high=5.0) for i in range(d)))


def _vec(c: dict, d: int) -> np.ndarray:
    return np.array([float(c[f"x{i}"]) for i in range(d)])


def _bbob(name: str, kind: str, d: int) -> Problem:
    rng = _rng(name)
    R, Q = _rotation(rng, d), _rotation(rng, d)
    x_opt = rng.uniform(-4.0, 4.0, d)
    signs = np.where(rng.random(d) < 0.5, -1.0, 1.0)
    if kind == "ellipsoid":  # f10
        w = 10.0 ** (6.0 * np.arange(d) / (d - 1))

        def f(x):
            z = _t_osz(R @ (x - x_opt))
            return float(np.sum(w * z * z))
    elif kind == "rastrigin":  # f15
        lam = _lam(10.0, d)

        def f(x):
            z = R @ (lam * (Q @ _t_asy(_t_osz(R @ (x - x_opt)), 0.2)))
            return float(10.0 * (d - np.sum(np.cos(2 * math.pi * z))) + z @ z)
    elif kind == "bueche":  # f4: odd (1-based) coordinates of x_opt positive
        x_opt[::2] = np.abs(x_opt[::2])
        base = 10.0 ** (0.5 * np.arange(d) / (d - 1))
        odd = (np.arange(d) % 2) == 0

        def f(x):
            t = _t_osz(x - x_opt)
            z = base * np.where(odd & (t > 0), 10.0, 1.0) * t
            return float(10.0 * (d - np.sum(np.cos(2 * math.pi * z))) + z @ z + 100.0 * _f_pen(x))
    elif kind == "schwefel":  # f20
        x_opt = 4.2096874633 / 2.0 * signs
        two = 2.0 * np.abs(x_opt)
        lam = _lam(10.0, d)

        def f(x):
            xh = 2.0 * signs * x
            zh = xh.copy()
            zh[1:] += 0.25 * (xh[:-1] - two[:-1])
            z = 100.0 * (lam * (zh - two) + two)
            return float(-np.sum(z * np.sin(np.sqrt(np.abs(z)))) / (100.0 * d) + 4.189828872724339
                         + 100.0 * _f_pen(z / 100.0))
    elif kind == "lunacek":  # f24
        mu0, dd = 2.5, 1.0
        s = 1.0 - 1.0 / (2.0 * math.sqrt(d + 20.0) - 8.2)
        mu1 = -math.sqrt((mu0 ** 2 - dd) / s)
        x_opt = mu0 / 2.0 * signs
        lam = _lam(100.0, d)

        def f(x):
            xh = 2.0 * signs * x
            z = Q @ (lam * (R @ (xh - mu0)))
            return float(min(np.sum((xh - mu0) ** 2), dd * d + s * np.sum((xh - mu1) ** 2))
                         + 10.0 * (d - np.sum(np.cos(2 * math.pi * z))) + 1e4 * _f_pen(x))
    else:  # pragma: no cover - a typo in the table below
        raise ValueError(kind)

    prob = Problem(name, _box(d), lambda c: f(np.clip(_vec(c, d), -5.0, 5.0)), 0.0,
                   note=f"BBOB {kind}, D={d}, shifted (and rotated where BBOB rotates)")
    prob.optimum = {f"x{i}": float(x_opt[i]) for i in range(d)}
    return prob


# -- mixed problems ---------------------------------------------------------------------------------
def _table(rng: np.random.Generator, n: int, m: int, best: tuple[int, int]) -> np.ndarray:
    """An ``n x m`` interaction table, >= 0.2 except 0 at ``best``."""
    t = rng.uniform(0.2, 1.5, (n, m))
    t[best] = 0.0
    return t


def _mixed20() -> Problem:
    name = "h2-mixed20"
    rng = _rng(name)
    modes, opts, acts, norms = ("a", "b", "c", "d"), ("sgd", "adam", "lamb"), ("relu", "gelu", "silu"), \
        ("bn", "ln", "none")
    c4, c5 = tuple(f"p{i}" for i in range(5)), tuple(f"q{i}" for i in range(5))
    R = _rotation(rng, 8)
    w = 10.0 ** (3.0 * np.arange(8) / 7)
    centre = {m: rng.uniform(-3.0, 3.0, 8) for m in modes}
    mode_best = modes[int(rng.integers(4))]
    mode_cost = {m: (0.0 if m == mode_best else float(rng.uniform(0.3, 1.0))) for m in modes}
    lr_best = {o: float(rng.uniform(-4.0, -1.0)) for o in opts}  # log10
    wd_best = {o: float(rng.uniform(-5.0, -2.0)) for o in opts}
    opt_best = opts[int(rng.integers(3))]
    opt_cost = {o: (0.0 if o == opt_best else 0.4) for o in opts}
    a_best, n_best = int(rng.integers(3)), int(rng.integers(3))
    t_act = _table(rng, 3, 3, (a_best, n_best))
    p_best, q_best = int(rng.integers(5)), int(rng.integers(5))
    t_45 = _table(rng, 5, 5, (p_best, q_best))
    n1_plus_n2 = {m: 2 * int(rng.integers(5, 16)) for m in modes}  # n1 + n2 should hit this (even), n1 - n2 = 4
    log_n0 = {a: int(rng.integers(2, 6)) for a in acts}  # best n0 = 2^k, depends on the activation
    dom = Domain((
        *(Param(f"x{i}", "float", low=-5.0, high=5.0) for i in range(8)),
        Param("lr", "log", low=1e-5, high=1.0),
        Param("wd", "log", low=1e-6, high=1e-1),
        Param("n0", "int", low=1, high=64, log=True),
        Param("n1", "int", low=0, high=20),
        Param("n2", "int", low=0, high=20),
        Param("n3", "int", low=1, high=8),
        Param("mode", "categorical", choices=modes),
        Param("opt", "categorical", choices=opts),
        Param("act", "categorical", choices=acts),
        Param("norm", "categorical", choices=norms),
        Param("c4", "categorical", choices=c4),
        Param("c5", "categorical", choices=c5),
    ))

    def fn(c: dict) -> float:
        z = R @ (np.array([float(c[f"x{i}"]) for i in range(8)]) - centre[c["mode"]])
        land = float(np.sum(w * z * z) / 100.0 + 0.5 * np.sum(1.0 - np.cos(math.pi * z)))
        dl = math.log10(c["lr"]) - lr_best[c["opt"]]
        dw = math.log10(c["wd"]) - wd_best[c["opt"]] - 0.5 * dl  # the best decay moves with the rate
        hyp = dl * dl + 0.5 * dw * dw
        n1, n2 = int(c["n1"]), int(c["n2"])
        ints = (((n1 + n2 - n1_plus_n2[c["mode"]]) / 4.0) ** 2 + abs(n1 - n2 - 4) / 3.0
                + abs(math.log2(int(c["n0"])) - log_n0[c["act"]]) / 2.0 + abs(int(c["n3"]) - 3) * 0.15)
        cats = (mode_cost[c["mode"]] + opt_cost[c["opt"]] + t_act[acts.index(c["act"]), norms.index(c["norm"])]
                + t_45[c4.index(c["c4"]), c5.index(c["c5"])])
        return land + hyp + ints + cats

    a = acts[a_best]
    s = n1_plus_n2[mode_best]
    opt = {**{f"x{i}": float(centre[mode_best][i]) for i in range(8)},
           "lr": 10.0 ** lr_best[opt_best], "wd": 10.0 ** (wd_best[opt_best]), "n0": 2 ** log_n0[a],
           "n1": (s + 4) // 2, "n2": (s - 4) // 2, "n3": 3, "mode": mode_best, "opt": opt_best, "act": a,
           "norm": norms[n_best], "c4": c4[p_best], "c5": c5[q_best]}
    return Problem(name, dom, fn, 0.0, optimum=opt,
                   note="8 continuous, 2 log-continuous, 4 integer, 6 categorical dims; interactions")


def _mixed30() -> Problem:
    name = "h2-mixed30"
    rng = _rng(name)
    R = _rotation(rng, 12)
    w = 10.0 ** (2.0 * np.arange(12) / 11)
    k_best = rng.integers(2, 14, 12)
    levels = (1, 2, 4, 8, 16, 32)
    g_names = tuple(f"g{i}" for i in range(8))
    g_best = rng.integers(0, 4, 8)
    unary = [rng.uniform(0.1, 0.6, 4) for _ in range(8)]
    for j in range(8):
        unary[j][g_best[j]] = 0.0
    chain = [_table(rng, 4, 4, (int(g_best[j]), int(g_best[j + 1]))) for j in range(7)]
    o_best = rng.integers(0, 6, (4, 6))  # best ordinal index per value of g1
    y_centre = rng.uniform(0.15, 0.85, (4, 4))  # continuous centre per value of g2
    dom = Domain((
        *(Param(f"k{i}", "int", low=0, high=15) for i in range(12)),
        *(Param(f"o{i}", "ordinal", choices=levels) for i in range(6)),
        *(Param(g, "categorical", choices=("A", "B", "C", "D")) for g in g_names),
        *(Param(f"y{i}", "float", low=0.0, high=1.0) for i in range(4)),
    ))
    letters = ("A", "B", "C", "D")

    def fn(c: dict) -> float:
        z = R @ (np.array([int(c[f"k{i}"]) for i in range(12)], dtype=float) - k_best)
        f = float(np.sum(w * z * z)) / 16.0
        g = [letters.index(c[x]) for x in g_names]
        f += sum(float(unary[j][g[j]]) for j in range(8)) + sum(float(chain[j][g[j], g[j + 1]]) for j in range(7))
        f += sum(0.3 * abs(levels.index(c[f"o{i}"]) - int(o_best[g[1], i])) ** 1.5 for i in range(6))
        y = np.array([float(c[f"y{i}"]) for i in range(4)]) - y_centre[g[2]]
        f += float(np.sum(4.0 * y * y + 0.5 * (1.0 - np.cos(6.0 * math.pi * y))))
        return f

    opt = {**{f"k{i}": int(k_best[i]) for i in range(12)},
           **{f"o{i}": levels[int(o_best[g_best[1], i])] for i in range(6)},
           **{g: letters[int(g_best[j])] for j, g in enumerate(g_names)},
           **{f"y{i}": float(y_centre[g_best[2], i]) for i in range(4)}}
    return Problem(name, dom, fn, 0.0, optimum=opt,
                   note="12 integer (rotated), 6 ordinal, 8 categorical (chained), 4 continuous dims")


# -- NAS-like problems ------------------------------------------------------------------------------
def accuracy_model(stats, spec) -> float:
    """A synthetic top-1 (percent) for held-out set 2, unlike ``tiny_accuracy_proxy`` in form.

    ``85 * (1 - exp(-score / 3))`` with ``score`` the sum of: capacity ``1.1 log(1 + 4 GMACs) +
    0.5 log(1 + Mparams / 2)``; depth ``2.5 (1 - exp(-L / 15))`` minus ``0.03`` per layer over 45
    (too deep degrades); width balance ``-0.6 * mean`` over consecutive stages of the squared log
    excess of the channel ratio outside ``[1, 2.5]``; ``0.25 x`` the share of 5x5+ kernels in the
    first half of the stages; ``0.4 x`` the SE share in the last two stages; ``0.3 x`` the swish
    share; resolution ``0.8 log(res / 224) (1 - exp(-L / 20))`` (resolution pays with depth).
    """
    layers = [layer for layer in spec.layers if layer.type not in ("tail",) and layer.stage is not None]
    n = max(1, len(layers))
    cap = 1.1 * math.log1p(4.0 * stats.macs / 1e9) + 0.5 * math.log1p(stats.params / 2e6)
    depth = 2.5 * (1.0 - math.exp(-n / 15.0)) - 0.03 * max(0, n - 45)
    stages = sorted({layer.stage for layer in layers})
    outs = [[layer.out_chs for layer in layers if layer.stage == s][-1] for s in stages]
    ratios = [b / a for a, b in zip(outs, outs[1:])]
    balance = -0.6 * float(np.mean([max(0.0, math.log(r) - math.log(2.5)) ** 2 + max(0.0, -math.log(r)) ** 2
                                    for r in ratios])) if ratios else 0.0
    half = stages[: max(1, len(stages) // 2)]
    early = [layer for layer in layers if layer.stage in half]
    rf = 0.25 * sum(1 for layer in early if (layer.kernel or 0) >= 5) / max(1, len(early))
    late = [layer for layer in layers if layer.stage in stages[-2:]]
    se = 0.4 * sum(1 for layer in late if layer.use_se) / max(1, len(late))
    swish = 0.3 * sum(1 for layer in layers if layer.act == "swish") / n
    res = 0.8 * math.log(spec.resolution / 224.0) * (1.0 - math.exp(-n / 20.0))
    score = cap + depth + balance + rf + se + swish + res
    return 85.0 * (1.0 - math.exp(-score / 3.0))


def gpu_latency_ms(stats, spec) -> float:
    """A GPU-style latency proxy (ms, batch 1, FP16): per layer the larger of compute and memory time.

    ``0.05 + sum over layers of (max(MACs / 1.5e10, 2 bytes x working set / 4.5e8) + 0.01)`` plus
    0.015 ms per squeeze-excite layer: 15 TMAC/s and 450 GB/s effective, 10 us per layer. It puts
    the released GPUNet-0/1/2 at 0.44/0.51/1.09 ms (published on an A100: 0.46/0.59/1.25 ms).
    """
    t = 0.05
    for layer, ls in zip(spec.layers, stats.layers):
        t += max(ls.macs / 1.5e10, 2.0 * ls.peak / 4.5e8) + 0.01 + (0.015 if layer.use_se else 0.0)
    return t


def cpu_latency_ms(stats, spec) -> float:
    """A mobile-CPU-style latency proxy (ms, batch 1): compute-bound, depthwise layers less efficient.

    ``0.1 + sum over layers of (MACs / (e x 1.5e8) + 4e-7 x output elements + 0.01)`` with
    efficiency ``e = 0.6`` for inverted-residual (depthwise) layers and 1 otherwise, plus 0.05 ms
    per squeeze-excite layer and ``1.5e-7`` ms per swish output element.
    """
    t = 0.1
    for layer, ls in zip(spec.layers, stats.layers):
        eff = 0.6 if layer.type == "irb" else 1.0
        t += ls.macs / (eff * 1.5e8) + 4e-7 * ls.activations + 0.01
        t += (0.05 if layer.use_se else 0.0) + (1.5e-7 * ls.activations if layer.act == "swish" else 0.0)
    return t


#: A mobile-style space the defaults never saw (the published and tiny spaces are GPUNet's plan).
MOBILE_SPACE_YAML = """\
name: heldout2-mobile
resolutions: {min: 160, max: 288, step: 32}
tail_channels: 1024
stages:
  - {block: conv, stride: 2, depths: [1], filters: [16, 24, 32], kernels: [3]}
  - {block: fused_irb, stride: 1, depths: [1, 2], filters: [16, 24], kernels: [3], expansions: [1, 2], se: [false]}
  - {block: fused_irb, stride: 2, depths: {min: 1, max: 4}, filters: {min: 24, max: 48, step: 8}, kernels: [3, 5],
     expansions: [2, 4, 6], se: [false]}
  - {block: irb, stride: 2, depths: {min: 1, max: 5}, filters: {min: 40, max: 80, step: 8}, kernels: [3, 5, 7],
     expansions: [3, 4, 6]}
  - {block: irb, stride: 2, depths: {min: 2, max: 6}, filters: {min: 80, max: 160, step: 16}, kernels: [3, 5, 7],
     expansions: [3, 4, 6]}
  - {block: irb, stride: 1, depths: {min: 0, max: 6}, filters: {min: 112, max: 192, step: 16}, kernels: [3, 5, 7],
     expansions: [3, 4, 6]}
  - {block: irb, stride: 2, depths: {min: 1, max: 5}, filters: {min: 160, max: 320, step: 32}, kernels: [3, 5, 7],
     expansions: [4, 6]}
"""

#: The documented reference of ``h2-mobile``: a hand-written MobileNetV2-like member of the space.
MOBILE_REFERENCE = {
    "resolution": 192, "s0_filters": 32, "s0_act": "relu",
    "s1_depth": 1, "s1_filters": 16, "s1_expansion": 1, "s1_act": "relu",
    "s2_depth": 2, "s2_filters": 24, "s2_kernel": 3, "s2_expansion": 4, "s2_act": "relu",
    "s3_depth": 3, "s3_filters": 40, "s3_kernel": 5, "s3_expansion": 4, "s3_se": False, "s3_act": "relu",
    "s4_depth": 3, "s4_filters": 80, "s4_kernel": 3, "s4_expansion": 6, "s4_se": False, "s4_act": "swish",
    "s5_depth": 2, "s5_filters": 112, "s5_kernel": 5, "s5_expansion": 6, "s5_se": True, "s5_act": "swish",
    "s6_depth": 2, "s6_filters": 160, "s6_kernel": 5, "s6_expansion": 6, "s6_se": True, "s6_act": "swish",
}

GPUNET_BUDGET_MS, GPUNET_MAX_PARAMS = 1.6, 30_000_000
MOBILE_BUDGET_MS, MOBILE_MAX_PEAK_MB = 10.0, 4.0


def _nas(name: str, space, checks: Callable, ref_config: dict | None, note: str,
         accuracy: Callable = accuracy_model) -> Problem:
    """Minimise ``100 - accuracy(stats, spec)`` over ``space`` where ``checks(spec, stats)`` holds (else
    infeasible); ``reference`` is the value of ``ref_config``. Held-out set 3 passes its own model."""
    from gpunet_ray.search_space import arch_stats

    dom = Domain.from_search_space(space)

    def evaluate(c: dict):
        spec = space.from_config(c)
        st = arch_stats(spec)
        return spec, st

    def ok(c: dict) -> bool:
        return checks(*evaluate(c))

    def fn(c: dict) -> float | None:
        spec, st = evaluate(c)
        if not checks(spec, st):
            return None
        return 100.0 - accuracy(st, spec)

    prob = Problem(name, dom, fn, None, constraint=ok, note=note)
    if ref_config is not None:
        flat = dom.flat(ref_config)
        prob.reference_config = flat
        prob.reference = fn(flat)
    return prob


def _nas_mo(name: str, space, within: Callable, accuracy: Callable, latency: Callable,
            ref_point: tuple[float, float], note: str) -> Problem:
    """Two objectives over ``space``: ``(100 - accuracy(stats, spec), latency(stats, spec))``, minimised, where
    ``within(stats)`` holds (else infeasible), scored against ``ref_point`` (the NAS problems of the
    held-out sets' two-objective halves)."""
    from gpunet_ray.search_space import arch_stats

    dom = Domain.from_search_space(space)

    def fn(c: dict) -> tuple[float, float] | None:
        spec = space.from_config(c)
        st = arch_stats(spec)
        if not within(st):
            return None
        return (100.0 - accuracy(st, spec), latency(st, spec))

    def ok(c: dict) -> bool:
        return within(arch_stats(space.from_config(c)))

    return Problem(name, dom, fn, None, constraint=ok, objectives=2, ref_point=ref_point, note=note)


def _gpunet_checks(spec, st) -> bool:
    return st.params <= GPUNET_MAX_PARAMS and gpu_latency_ms(st, spec) <= GPUNET_BUDGET_MS


def _h2_gpunet() -> Problem:
    from gpunet_ray.search_space import get_space
    from gpunet_ray.search_space.presets import get_preset

    space = get_space("gpunet")
    return _nas("h2-gpunet", space, _gpunet_checks, space.to_config(get_preset("gpunet-2")),
                f"published GPUNet space; GPU latency <= {GPUNET_BUDGET_MS} ms and <= 30 M params")


def mobile_space():
    """The :data:`MOBILE_SPACE_YAML` space."""
    import yaml

    from gpunet_ray.search_space import SearchSpace

    return SearchSpace.from_dict(yaml.safe_load(MOBILE_SPACE_YAML))


def _mobile_checks(spec, st) -> bool:
    return st.peak_activations * 4 <= MOBILE_MAX_PEAK_MB * 1e6 and cpu_latency_ms(st, spec) <= MOBILE_BUDGET_MS


def _h2_mobile() -> Problem:
    return _nas("h2-mobile", mobile_space(), _mobile_checks, MOBILE_REFERENCE,
                f"new mobile space; CPU latency <= {MOBILE_BUDGET_MS} ms and peak activations "
                f"<= {MOBILE_MAX_PEAK_MB} MB")


# -- multi-objective --------------------------------------------------------------------------------
def _mo_dtlz2r10() -> Problem:
    name = "h2-mo-dtlz2r10"
    rng = _rng(name)
    R = _rotation(rng, 9)
    centre = rng.uniform(0.2, 0.8, 9)
    dom = Domain(tuple(Param(f"x{i}", "float", low=0.0, high=1.0) for i in range(10)))

    def fn(c: dict) -> tuple[float, float]:
        x = np.clip(np.array([float(c[f"x{i}"]) for i in range(10)]), 0.0, 1.0)
        z = R @ (x[1:] - centre)
        g = float(z @ z)
        a = 0.5 * math.pi * x[0]
        return ((1.0 + g) * math.cos(a), (1.0 + g) * math.sin(a))

    prob = Problem(name, dom, fn, None, objectives=2, ref_point=(1.1, 1.1), max_hv=1.21 - math.pi / 4,
                   note="DTLZ2, 10 variables, distance variables shifted and rotated")
    prob.optimum = {"x0": 0.5, **{f"x{i + 1}": float(centre[i]) for i in range(9)}}  # on the front
    return prob


def _mo_gpunet() -> Problem:
    from gpunet_ray.search_space import get_space

    return _nas_mo("h2-mo-gpunet", get_space("gpunet"), lambda st: st.params <= GPUNET_MAX_PARAMS, accuracy_model,
                   gpu_latency_ms, (30.0, 3.0),
                   "published GPUNet space; (100 - accuracy_model, GPU latency ms); <= 30 M params")


PROBLEMS: dict[str, Callable[[], Problem]] = {
    "h2-ellipsoid20": lambda: _bbob("h2-ellipsoid20", "ellipsoid", 20),
    "h2-ellipsoid60": lambda: _bbob("h2-ellipsoid60", "ellipsoid", 60),
    "h2-rastrigin20": lambda: _bbob("h2-rastrigin20", "rastrigin", 20),
    "h2-rastrigin40": lambda: _bbob("h2-rastrigin40", "rastrigin", 40),
    "h2-schwefel20": lambda: _bbob("h2-schwefel20", "schwefel", 20),
    "h2-bueche40": lambda: _bbob("h2-bueche40", "bueche", 40),
    "h2-lunacek20": lambda: _bbob("h2-lunacek20", "lunacek", 20),
    "h2-mixed20": _mixed20,
    "h2-mixed30": _mixed30,
    "h2-gpunet": _h2_gpunet,
    "h2-mobile": _h2_mobile,
    "h2-mo-dtlz2r10": _mo_dtlz2r10,
    "h2-mo-gpunet": _mo_gpunet,
}

#: The single-objective members of held-out set 2, and the multi-objective ones.
HELDOUT2 = tuple(n for n in PROBLEMS if not n.startswith("h2-mo-"))
HELDOUT2_MO = tuple(n for n in PROBLEMS if n.startswith("h2-mo-"))
