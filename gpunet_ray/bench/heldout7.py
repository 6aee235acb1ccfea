"""Held-out set 7: fixed *before* the next change of the searcher, while held-out set 6 was running.

Held-out set 6 was being run once (issue 14, 2026-11-30, with the session-11 defaults told their budget)
when this set was written; its 50-evaluation tables had been read, its 200-evaluation ones had not, and no
default had changed since it was fixed. Any change adopted after set 6 is judged here, once, at the end;
tuning uses the tuning problems and the spent sets only. No searcher had run on this set when it was fixed.
Every shift, rotation and table is drawn from :data:`SEED` (one stream per problem name). All objectives are
minimised.

**Continuous functions** on ``[-5, 5]^D``, none used by an earlier set, ``f_opt = 0`` at ``optimum``:

* ``h7-michalewicz20``: Michalewicz (``m = 10``: steep, narrow valleys; separable), each coordinate mapped
  onto ``[0, pi]`` with a random shift (wrapped) and sign, minus its exact minimum (found per coordinate);
* ``h7-schwefel12-40``: Schwefel's problem 1.2 (the sum of squared prefix sums: non-separable and
  ill-conditioned without a rotation), shifted and scaled by 2;
* ``h7-trid30``: Trid's quadratic ``sum (z_i - 1)^2 - sum z_i z_{i-1}`` about its minimiser (a tridiagonal
  Hessian whose conditioning grows with D^2), shifted, ``z`` scaled by 40 (Trid's box is ``[-D^2, D^2]``);
* ``h7-griewank60``: Griewank (a wide bowl with a product of cosines), shifted, rotated and scaled by 60;
* ``h7-cigtab30``: the cigar-tablet (one axis 1e8, one 1, the rest 1e4), shifted and rotated;
* ``h7-bohachevsky30``: the chained Bohachevsky function (a bowl with cosine ripples on consecutive
  pairs), shifted, rotated and scaled by 2.

**Mixed problems** (``f_opt = 0`` at ``optimum``):

* ``h7-mixed32``: a gradient-boosting recipe: a 3-way ``booster`` (``gblinear`` ignores every tree
  parameter, ``dart`` alone uses the two drop rates), a ``grow_policy`` (``lossguide`` alone uses
  ``max_leaves``, ``depthwise`` alone ``max_depth``), the learning rate and the number of trees trading
  off (the best rate falls as the trees grow), regularisation on log scales, a 3-way tree method and a
  3-way objective, and 16 feature weights on a rotated bowl;
* ``h7-mixed44``: 20 booleans under a planted quadratic (QUBO) with positive pairwise couplings between
  the flipped bits, 12 ordinals on a rotated L2 norm of their levels, 12 continuous dims on a rotated
  bowl with an Ackley-like ripple.

**NAS-like constrained problems** on two new spaces (``f_opt`` unknown; regret against the best value
any run found; ``reference`` is a fixed documented config), with :func:`accuracy_model7`, a new synthetic
accuracy model, and :func:`roofline_latency_ms`, a new latency proxy (a roofline per layer: the larger of
compute time and memory time, depthwise compute at a quarter of the rate):

* ``h7-roofline``: :data:`ROOFLINE_SPACE_YAML` (resolutions 128-256), roofline latency <= 4.5 ms and peak
  activations <= 2 M elements;
* ``h7-deepthin``: :data:`DEEPTHIN_SPACE_YAML` (seven deep, thin stages at 192-320 px: thin, high-resolution
  layers are memory-bound on the roofline), roofline latency <= 11 ms and <= 4 M parameters.

**Multi-objective** (two objectives, fixed ``ref_point``):

* ``h7-mo-kursawe10``: Kursawe with 10 variables on ``[-5, 5]`` (a disconnected, non-convex front), shifted
  and rotated; ``ref_point = (-35, 30)``;
* ``h7-mo-roofline``: ``h7-roofline``'s space, (``100 - accuracy_model7``, roofline latency ms), with the
  activation limit as a constraint; ``ref_point = (35, 6 ms)``.
"""

from __future__ import annotations

import math
import zlib
from typing import Callable

import numpy as np

from gpunet_ray.search_space.blocks.base import mid_channels
from gpunet_ray.searchers import Domain, Param

from ._problem import Problem
from .heldout2 import _box, _nas, _nas_mo, _rotation, _vec
from .heldout4 import _space

__all__ = ["SEED", "HELDOUT7", "HELDOUT7_MO", "PROBLEMS", "accuracy_model7", "roofline_latency_ms",
           "ROOFLINE_SPACE_YAML", "ROOFLINE_REFERENCE", "DEEPTHIN_SPACE_YAML", "DEEPTHIN_REFERENCE"]

#: The seed every random element of the set is drawn from (with the problem's name).
SEED = 20261207


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng([SEED, zlib.crc32(name.encode())])


# -- continuous functions ---------------------------------------------------------------------------
def _michalewicz_1d(t: np.ndarray, i: int, m: int = 10) -> np.ndarray:
    return -np.sin(t) * np.sin((i + 1) * t * t / math.pi) ** (2 * m)


def _michalewicz_min(i: int) -> tuple[float, float]:
    """The exact minimiser and minimum of coordinate ``i``'s term on ``[0, pi]`` (a fine grid, then Brent)."""
    from scipy.optimize import minimize_scalar

    t = np.linspace(0.0, math.pi, 200001)
    j = int(np.argmin(_michalewicz_1d(t, i)))
    lo, hi = t[max(0, j - 2)], t[min(len(t) - 1, j + 2)]
    r = minimize_scalar(lambda v: float(_michalewicz_1d(np.array([v]), i)[0]), bounds=(lo, hi), method="bounded",
                        options={"xatol": 1e-14})
    return float(r.x), float(r.fun)


def _continuous(name: str, kind: str, d: int) -> Problem:
    rng = _rng(name)
    R = _rotation(rng, d)
    x_opt = rng.uniform(-4.0, 4.0, d)
    if kind == "michalewicz":
        sign = rng.choice([-1.0, 1.0], d)
        mins = [_michalewicz_min(i) for i in range(d)]
        t_opt = np.array([m[0] for m in mins])
        f_min = float(sum(m[1] for m in mins))
        # t = t_opt + sign * (x - x_opt) * pi / 10, wrapped into [0, pi]: the minimiser sits at x_opt
        idx = np.arange(d)

        def f(x):
            t = np.mod(t_opt + sign * (x - x_opt) * math.pi / 10.0, math.pi)
            return float(np.sum(_michalewicz_1d(t, idx)) - f_min)
    elif kind == "schwefel12":
        def f(x):
            return float(np.sum(np.cumsum(2.0 * (x - x_opt)) ** 2))
    elif kind == "trid":
        A = np.eye(d) - 0.5 * (np.eye(d, k=1) + np.eye(d, k=-1))  # Trid's Hessian / 2 about its minimiser

        def f(x):
            z = 40.0 * (x - x_opt)
            return float(z @ A @ z)
    elif kind == "griewank":
        sq = np.sqrt(np.arange(1, d + 1))

        def f(x):
            z = 60.0 * (R @ (x - x_opt))
            return float(1.0 + z @ z / 4000.0 - np.prod(np.cos(z / sq)))
    elif kind == "cigtab":
        def f(x):
            z = R @ (x - x_opt)
            return float(z[0] ** 2 + 1e8 * z[-1] ** 2 + 1e4 * np.sum(z[1:-1] ** 2))
    elif kind == "bohachevsky":
        def f(x):
            z = 2.0 * (R @ (x - x_opt))
            a, b = z[:-1], z[1:]
            return float(np.sum(a * a + 2.0 * b * b - 0.3 * np.cos(3.0 * math.pi * a)
                                - 0.4 * np.cos(4.0 * math.pi * b) + 0.7))
    else:  # pragma: no cover - a typo in the table below
        raise ValueError(kind)

    rotated = kind in ("griewank", "cigtab", "bohachevsky")
    prob = Problem(name, _box(d), lambda cfg: f(np.clip(_vec(cfg, d), -5.0, 5.0)), 0.0,
                   note=f"{kind}, D={d}, shifted" + (" and rotated" if rotated else ""))
    prob.optimum = {f"x{i}": float(x_opt[i]) for i in range(d)}
    return prob


# -- mixed problems ---------------------------------------------------------------------------------
BOOSTERS = ("gbtree", "dart", "gblinear")
TREE_METHODS = ("exact", "approx", "hist")
OBJECTIVES = ("logloss", "hinge", "focal")


def _mixed32() -> Problem:
    name = "h7-mixed32"
    rng = _rng(name)
    booster_best = BOOSTERS[int(rng.integers(2))]  # a tree booster (gblinear is a trap: no tree terms, a cost)
    policy_best = ("depthwise", "lossguide")[int(rng.integers(2))]
    depth_best, leaves_best = int(rng.integers(3, 11)), int(rng.integers(16, 200))
    log_trees_best = float(rng.uniform(2.0, 3.0))  # 100 .. 1000 trees
    rate_at = float(rng.uniform(-1.6, -0.8))  # the best log10 rate at log_trees_best; slope -1 in log_trees
    mcw_best, gamma_best = float(rng.uniform(-1.0, 1.0)), float(rng.uniform(0.0, 3.0))
    sub_best, col_best = float(rng.uniform(0.5, 0.95)), float(rng.uniform(0.4, 0.9))
    alpha_best, lambda_best = float(rng.uniform(-3.0, 0.0)), float(rng.uniform(-1.0, 1.5))
    drop_best, skip_best = float(rng.uniform(0.05, 0.3)), float(rng.uniform(0.2, 0.7))
    method_cost = dict(zip(TREE_METHODS, (0.15, 0.3, 0.0)))
    obj_best = OBJECTIVES[int(rng.integers(3))]
    wc, Rw = rng.uniform(0.2, 0.8, 16), _rotation(rng, 16)
    dom = Domain((
        Param("booster", "categorical", choices=BOOSTERS),
        Param("grow_policy", "categorical", choices=("depthwise", "lossguide")),
        Param("max_depth", "int", low=2, high=12),
        Param("max_leaves", "int", low=8, high=256),
        Param("n_trees", "int", low=20, high=3000),
        Param("lr", "log", low=1e-3, high=1.0),
        Param("min_child_weight", "log", low=0.01, high=100.0),
        Param("gamma", "float", low=0.0, high=5.0),
        Param("subsample", "float", low=0.3, high=1.0),
        Param("colsample", "float", low=0.2, high=1.0),
        Param("reg_alpha", "log", low=1e-4, high=10.0),
        Param("reg_lambda", "log", low=1e-2, high=100.0),
        Param("rate_drop", "float", low=0.0, high=0.5),
        Param("skip_drop", "float", low=0.0, high=1.0),
        Param("tree_method", "categorical", choices=TREE_METHODS),
        Param("objective", "categorical", choices=OBJECTIVES),
        *(Param(f"fw{i}", "float", low=0.0, high=1.0) for i in range(16)),
    ))

    def fn(c: dict) -> float:
        b = str(c["booster"])
        log_trees = math.log10(float(c["n_trees"]))
        v = 0.2 * (log_trees - log_trees_best) ** 2
        v += (math.log10(float(c["lr"])) - (rate_at - (log_trees - log_trees_best))) ** 2  # rate x trees
        v += 0.3 * (str(c["objective"]) != obj_best)
        v += 0.5 * (math.log10(float(c["reg_lambda"])) - lambda_best) ** 2 / 4.0
        v += 0.2 * (math.log10(float(c["reg_alpha"])) - alpha_best) ** 2 / 4.0
        if b == "gblinear":  # no tree terms at all, and a linear model's fixed cost
            v += 1.2
        else:
            v += 0.25 * (b != booster_best)
            if str(c["grow_policy"]) == "depthwise":
                v += 0.04 * (int(c["max_depth"]) - depth_best) ** 2 + 0.2 * (policy_best != "depthwise")
            else:
                v += 0.5 * math.log2(int(c["max_leaves"]) / leaves_best) ** 2 / 4.0 + 0.2 * (policy_best != "lossguide")
            v += 0.3 * (math.log10(float(c["min_child_weight"])) - mcw_best) ** 2
            v += 0.05 * (float(c["gamma"]) - gamma_best) ** 2
            v += 4.0 * (float(c["subsample"]) - sub_best) ** 2 + 4.0 * (float(c["colsample"]) - col_best) ** 2
            v += method_cost[str(c["tree_method"])]
            if b == "dart":
                v += 10.0 * (float(c["rate_drop"]) - drop_best) ** 2 + 2.0 * (float(c["skip_drop"]) - skip_best) ** 2
        y = Rw @ (np.array([float(c[f"fw{i}"]) for i in range(16)]) - wc)
        return float(v + 2.0 * float(y @ y))

    trees_opt = min((int(math.floor(10.0 ** log_trees_best)), int(math.ceil(10.0 ** log_trees_best))),
                    key=lambda n: abs(math.log10(n) - log_trees_best))
    # n_trees is an integer: the rate that is best at the nearest count (in log) makes the optimum exact
    lr_opt = 10.0 ** (rate_at - (math.log10(trees_opt) - log_trees_best))
    opt = {"booster": booster_best, "grow_policy": policy_best, "max_depth": depth_best, "max_leaves": leaves_best,
           "n_trees": trees_opt, "lr": lr_opt, "min_child_weight": 10.0 ** mcw_best,
           "gamma": gamma_best, "subsample": sub_best, "colsample": col_best, "reg_alpha": 10.0 ** alpha_best,
           "reg_lambda": 10.0 ** lambda_best, "rate_drop": drop_best, "skip_drop": skip_best, "tree_method": "hist",
           "objective": obj_best, **{f"fw{i}": float(wc[i]) for i in range(16)}}
    shift = 0.2 * (math.log10(trees_opt) - log_trees_best) ** 2
    prob = Problem(name, dom, lambda c: fn(c) - shift, 0.0, optimum=opt,
                   note="boosting recipe: the booster and the grow policy gate their parameters; the rate trades "
                        "off with the number of trees")
    return prob


def _mixed44() -> Problem:
    name = "h7-mixed44"
    rng = _rng(name)
    bits = rng.integers(0, 2, 20).astype(bool)
    Q = np.triu(rng.uniform(0.0, 0.4, (20, 20)) * (rng.random((20, 20)) < 0.3), 1)  # sparse positive couplings
    lin = rng.uniform(0.2, 0.6, 20)
    levels = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
    lv_best, Rl = rng.integers(0, 10, 12), _rotation(rng, 12)
    centre, Ry = rng.uniform(0.2, 0.8, 12), _rotation(rng, 12)
    dom = Domain((
        *(Param(f"b{i}", "categorical", choices=(False, True)) for i in range(20)),
        *(Param(f"l{i}", "ordinal", choices=levels) for i in range(12)),
        *(Param(f"y{i}", "float", low=0.0, high=1.0) for i in range(12)),
    ))

    def fn(c: dict) -> float:
        flip = np.array([bool(c[f"b{i}"]) != bits[i] for i in range(20)], dtype=float)
        v = float(lin @ flip + flip @ Q @ flip)  # every flipped bit costs, flipped pairs cost more
        lv = np.array([levels.index(int(c[f"l{i}"])) for i in range(12)], dtype=float)
        v += float(np.linalg.norm(Rl @ (lv - lv_best))) / 3.0
        y = Ry @ (np.array([float(c[f"y{i}"]) for i in range(12)]) - centre)
        r = float(np.sqrt(np.mean(y * y)))
        v += 3.0 * float(y @ y) + 0.5 * (1.0 - math.exp(-4.0 * r)) + 0.2 * float(np.mean(1.0 - np.cos(8.0 * math.pi * y)))
        return v

    opt = {**{f"b{i}": bool(bits[i]) for i in range(20)}, **{f"l{i}": levels[int(lv_best[i])] for i in range(12)},
           **{f"y{i}": float(centre[i]) for i in range(12)}}
    return Problem(name, dom, fn, 0.0, optimum=opt,
                   note="20 booleans (planted QUBO), 12 ordinals (rotated L2), 12 continuous (bowl with an "
                        "Ackley-like ripple)")


# -- NAS-like problems ------------------------------------------------------------------------------
def roofline_latency_ms(stats, spec) -> float:
    """A roofline latency proxy (ms, batch 1, fp16): each layer takes the larger of its compute time and
    its memory time, plus a launch cost.

    ``0.05 + sum over layers of (max(dense MACs / 1e11 + depthwise MACs / 2.5e10, 2 bytes x (working set
    + parameters) / 2.5e10) x 1e3 + 0.006)``: an inverted residual's depthwise convolution (``out_hw^2 x
    mid x k^2`` MACs) runs at a quarter of the dense rate; kernels of 7 cost 1.3x their MACs (poor tiling);
    squeeze-excite adds 0.02 ms (a global pooling round trip).
    """
    t = 0.05
    for layer, ls in zip(spec.layers, stats.layers):
        dw = ls.out_hw ** 2 * mid_channels(layer, spec.distill) * layer.kernel ** 2 if layer.type == "irb" else 0
        k7 = 1.3 if (layer.kernel or 0) >= 7 else 1.0
        compute = ((ls.macs - dw) / 1e11 + k7 * dw / 2.5e10) * 1e3
        memory = 2.0 * (ls.peak + ls.params) / 2.5e10 * 1e3
        t += max(compute, memory) + 0.006 + (0.02 if layer.use_se else 0.0)
    return t


def accuracy_model7(stats, spec) -> float:
    """A synthetic top-1 (percent) for held-out set 7, unlike sets 2 to 6's models in form.

    ``90 - 62 exp(-score)`` with ``score`` the sum of: compute ``0.45 (GMACs)^0.4``; capacity ``0.25
    log10(1 + params / 1e6)``; the widest stage over the narrowest (a preference for a 6-12x spread:
    ``-0.12 (log2(ratio) - 3.2)^2``); depth ``0.06 x`` the number of layers, capped at 24 (diminishing:
    ``-0.002 x`` the excess over 24); kernels ``0.2 x`` the share of kernels above 3 in the middle third;
    squeeze-excite ``0.15 x`` its share overall; resolution ``0.6 log(res / 128) - 0.25 log(res / 128)^2``.
    """
    layers = [layer for layer in spec.layers if layer.stage is not None and layer.type != "tail"]
    n = len(layers)
    compute = 0.45 * (stats.macs / 1e9) ** 0.4
    capacity = 0.25 * math.log10(1.0 + stats.params / 1e6)
    widths = {}
    for layer in layers:
        widths[layer.stage] = max(widths.get(layer.stage, 0), layer.out_chs)
    w = [v for v in widths.values() if v]
    spread = -0.12 * (math.log2(max(w) / min(w)) - 3.2) ** 2 if len(w) > 1 else -0.5
    depth = 0.06 * min(n, 24) - 0.002 * max(0, n - 24)
    mid = layers[n // 3: max(n // 3 + 1, 2 * n // 3)]
    kernels = 0.2 * sum(1 for layer in mid if (layer.kernel or 0) > 3) / max(1, len(mid))
    se = 0.15 * sum(1 for layer in layers if layer.use_se) / max(1, n)
    r = math.log(spec.resolution / 128.0)
    res = 0.6 * r - 0.25 * r * r
    score = compute + capacity + spread + depth + kernels + se + res
    return 90.0 - 62.0 * math.exp(-max(score, 0.0))


#: Conv early, IRB from the second stage, low to moderate resolutions.
ROOFLINE_SPACE_YAML = """\
name: heldout7-roofline
resolutions: {min: 128, max: 256, step: 32}
tail_channels: 1280
stages:
  - {block: conv, stride: 2, depths: [1], filters: [16, 24, 32], kernels: [3]}
  - {block: irb, stride: 1, depths: {min: 1, max: 2}, filters: [16, 24], kernels: [3], expansions: [1, 2]}
  - {block: irb, stride: 2, depths: {min: 1, max: 4}, filters: {min: 24, max: 48, step: 8}, kernels: [3, 5, 7],
     expansions: [3, 4, 6]}
  - {block: irb, stride: 2, depths: {min: 1, max: 4}, filters: {min: 40, max: 96, step: 8}, kernels: [3, 5, 7],
     expansions: [3, 4, 6]}
  - {block: irb, stride: 2, depths: {min: 1, max: 6}, filters: {min: 80, max: 192, step: 16}, kernels: [3, 5, 7],
     expansions: [3, 4, 6]}
  - {block: irb, stride: 2, depths: {min: 1, max: 4}, filters: {min: 160, max: 384, step: 32}, kernels: [3, 5],
     expansions: [4, 6]}
"""

#: ``h7-roofline``'s documented reference: a hand-written member of the space.
ROOFLINE_REFERENCE = {
    "resolution": 192, "s0_filters": 16, "s0_act": "relu",
    "s1_depth": 1, "s1_filters": 16, "s1_kernel": 3, "s1_expansion": 1, "s1_se": False, "s1_act": "relu",
    "s2_depth": 2, "s2_filters": 24, "s2_kernel": 3, "s2_expansion": 4, "s2_se": False, "s2_act": "relu",
    "s3_depth": 2, "s3_filters": 48, "s3_kernel": 5, "s3_expansion": 4, "s3_se": False, "s3_act": "relu",
    "s4_depth": 3, "s4_filters": 96, "s4_kernel": 3, "s4_expansion": 4, "s4_se": False, "s4_act": "swish",
    "s5_depth": 1, "s5_filters": 192, "s5_kernel": 3, "s5_expansion": 6, "s5_se": False, "s5_act": "swish",
}

#: Seven thin stages, deep, at moderate to high resolutions.
DEEPTHIN_SPACE_YAML = """\
name: heldout7-deepthin
resolutions: {min: 192, max: 320, step: 32}
tail_channels: 768
stages:
  - {block: conv, stride: 2, depths: [1], filters: [8, 16, 24], kernels: [3]}
  - {block: conv, stride: 1, depths: {min: 1, max: 3}, filters: [8, 16, 24], kernels: [3]}
  - {block: fused_irb, stride: 2, depths: {min: 2, max: 6}, filters: {min: 16, max: 40, step: 8}, kernels: [3, 5],
     expansions: [2, 3, 4], se: [false]}
  - {block: fused_irb, stride: 2, depths: {min: 2, max: 6}, filters: {min: 24, max: 56, step: 8}, kernels: [3, 5],
     expansions: [2, 4], se: [false, true]}
  - {block: irb, stride: 2, depths: {min: 2, max: 8}, filters: {min: 40, max: 96, step: 8}, kernels: [3, 5],
     expansions: [3, 4, 6]}
  - {block: irb, stride: 1, depths: {min: 2, max: 8}, filters: {min: 64, max: 128, step: 16}, kernels: [3, 5],
     expansions: [3, 4, 6]}
  - {block: irb, stride: 2, depths: {min: 1, max: 6}, filters: {min: 96, max: 224, step: 32}, kernels: [3, 5],
     expansions: [4, 6]}
"""

#: ``h7-deepthin``'s documented reference: a hand-written member of the space.
DEEPTHIN_REFERENCE = {
    "resolution": 224, "s0_filters": 16, "s0_act": "relu",
    "s1_depth": 1, "s1_filters": 16, "s1_kernel": 3, "s1_act": "relu",
    "s2_depth": 2, "s2_filters": 24, "s2_kernel": 3, "s2_expansion": 3, "s2_act": "relu",
    "s3_depth": 2, "s3_filters": 40, "s3_kernel": 3, "s3_expansion": 4, "s3_se": False, "s3_act": "relu",
    "s4_depth": 3, "s4_filters": 64, "s4_kernel": 3, "s4_expansion": 4, "s4_se": False, "s4_act": "relu",
    "s5_depth": 2, "s5_filters": 96, "s5_kernel": 3, "s5_expansion": 4, "s5_se": False, "s5_act": "swish",
    "s6_depth": 1, "s6_filters": 128, "s6_kernel": 3, "s6_expansion": 6, "s6_se": False, "s6_act": "swish",
}

ROOFLINE_BUDGET_MS, ROOFLINE_MAX_PEAK = 4.5, 2_000_000
DEEPTHIN_BUDGET_MS, DEEPTHIN_MAX_PARAMS = 11.0, 4_000_000


def roofline_space():
    """The :data:`ROOFLINE_SPACE_YAML` space."""
    return _space(ROOFLINE_SPACE_YAML)


def deepthin_space():
    """The :data:`DEEPTHIN_SPACE_YAML` space."""
    return _space(DEEPTHIN_SPACE_YAML)


def _roofline_checks(spec, st) -> bool:
    return st.peak_activations <= ROOFLINE_MAX_PEAK and roofline_latency_ms(st, spec) <= ROOFLINE_BUDGET_MS


def _deepthin_checks(spec, st) -> bool:
    return st.params <= DEEPTHIN_MAX_PARAMS and roofline_latency_ms(st, spec) <= DEEPTHIN_BUDGET_MS


def _h7_roofline() -> Problem:
    return _nas("h7-roofline", roofline_space(), _roofline_checks, ROOFLINE_REFERENCE,
                f"new roofline space; roofline latency <= {ROOFLINE_BUDGET_MS} ms and <= 2 M peak activations",
                accuracy=accuracy_model7)


def _h7_deepthin() -> Problem:
    return _nas("h7-deepthin", deepthin_space(), _deepthin_checks, DEEPTHIN_REFERENCE,
                f"new deep-thin space; roofline latency <= {DEEPTHIN_BUDGET_MS} ms and <= 4 M params",
                accuracy=accuracy_model7)


# -- multi-objective --------------------------------------------------------------------------------
def _mo_kursawe10() -> Problem:
    name = "h7-mo-kursawe10"
    rng = _rng(name)
    R = _rotation(rng, 10)
    shift = rng.uniform(-1.0, 1.0, 10)
    dom = _box(10)

    def fn(c: dict) -> tuple[float, float]:
        z = R @ (np.clip(_vec(c, 10), -5.0, 5.0) - shift)
        f1 = float(np.sum(-10.0 * np.exp(-0.2 * np.sqrt(z[:-1] ** 2 + z[1:] ** 2))))
        f2 = float(np.sum(np.abs(z) ** 0.8 + 5.0 * np.sin(z ** 3)))
        return (f1, f2)

    prob = Problem(name, dom, fn, None, objectives=2, ref_point=(-35.0, 30.0),
                   note="Kursawe, 10 variables: a disconnected, non-convex front; shifted and rotated")
    prob.optimum = {f"x{i}": float(shift[i]) for i in range(10)}  # z = 0: f1's minimum, the front's end
    return prob


def _mo_roofline() -> Problem:
    return _nas_mo("h7-mo-roofline", roofline_space(), lambda st: st.peak_activations <= ROOFLINE_MAX_PEAK,
                   accuracy_model7, roofline_latency_ms, (35.0, 6.0),
                   "new roofline space; (100 - accuracy_model7, roofline latency ms); <= 2 M peak activations")


PROBLEMS: dict[str, Callable[[], Problem]] = {
    "h7-michalewicz20": lambda: _continuous("h7-michalewicz20", "michalewicz", 20),
    "h7-schwefel12-40": lambda: _continuous("h7-schwefel12-40", "schwefel12", 40),
    "h7-trid30": lambda: _continuous("h7-trid30", "trid", 30),
    "h7-griewank60": lambda: _continuous("h7-griewank60", "griewank", 60),
    "h7-cigtab30": lambda: _continuous("h7-cigtab30", "cigtab", 30),
    "h7-bohachevsky30": lambda: _continuous("h7-bohachevsky30", "bohachevsky", 30),
    "h7-mixed32": _mixed32,
    "h7-mixed44": _mixed44,
    "h7-roofline": _h7_roofline,
    "h7-deepthin": _h7_deepthin,
    "h7-mo-kursawe10": _mo_kursawe10,
    "h7-mo-roofline": _mo_roofline,
}

#: The single-objective members of held-out set 7, and the multi-objective ones.
HELDOUT7 = tuple(n for n in PROBLEMS if not n.startswith("h7-mo-"))
HELDOUT7_MO = tuple(n for n in PROBLEMS if n.startswith("h7-mo-"))
