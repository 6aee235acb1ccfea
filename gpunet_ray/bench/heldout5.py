"""Held-out set 5: fixed *before* the next change of the searcher, once held-out set 4 was run.

Held-out set 4 was run once (issue 14, 2026-11-30, with session 9's defaults). Any change made after
reading it is judged here, once, at the end; tuning uses the tuning problems and the spent sets 2, 3
and 4 only. Nothing here was used to choose anything, and no searcher had run on it when it was fixed
(its run with session 10's defaults, ``7315e8c``, started on 2026-11-30: docs/BENCHMARKS.md). Every shift,
rotation and table is drawn from :data:`SEED` (one stream per problem name). All objectives are
minimised.

**Continuous functions** on ``[-5, 5]^D`` (BBOB's transformations, :mod:`.heldout2`), none used by an
earlier set, ``f_opt = 0`` at ``optimum``:

* ``h5-linear-slope50``: a linear slope (BBOB f5's idea) along a random, conditioned direction ``w``
  (weights ``10^(i / (D - 1))``, rotated): the optimum is the box's corner ``5 sign(w)``;
* ``h5-gallagher21-30``: Gallagher's 21 Gaussian peaks (BBOB f22), rotated, the global peak with
  conditioning 1000 and the others up to 1000;
* ``h5-happycat20``: HappyCat (CEC 2014), shifted and rotated: a narrow curved valley around a sphere;
* ``h5-hgbat30``: HGBat (CEC 2014), shifted and rotated;
* ``h5-zakharov40``: Zakharov (CEC 2017), shifted, rotated and scaled by 1/4: a plate-shaped valley
  with quartic walls;
* ``h5-dixon-price60``: Dixon-Price, rotated, its optimum shifted into the box: a chain of coupled
  parabolas in 60 dimensions.

**Mixed problems** (``f_opt = 0`` at ``optimum``):

* ``h5-mixed34``: a data-pipeline recipe: a 4-way categorical "family" decides which of four blocks
  of 5 continuous dims matters (the others are ignored), a 10-level "policy" categorical whose
  levels lie on a hidden 2-D plane (neighbouring levels are similar), a log rate and a log decay
  whose optimum moves with the policy, 4 ordinal sizes on a rotated log bowl, 4 integers whose
  target product must be met, and 2 booleans with an interaction;
* ``h5-mixed48``: 16 integers in ``[0, 15]`` on a rotated, ill-conditioned integer quadratic, 16
  three-way categoricals in a chain of pairwise tables (the optimum by dynamic programming), 16
  continuous dims in a rotated bowl with a cosine ripple.

**NAS-like constrained problems** on two new spaces (``f_opt`` unknown; regret against the best value
any run found; ``reference`` is a fixed documented config), with :func:`accuracy_model5`, a new
synthetic accuracy model (not sets 2, 3 or 4's):

* ``h5-fusedwide``: :data:`FUSEDWIDE_SPACE_YAML` (wide fused-IRB stages up to the middle, IRB late,
  resolutions 224-384), GPU latency proxy (:func:`.heldout2.gpu_latency_ms`) <= 0.7 ms and <= 20 M
  parameters;
* ``h5-edgecpu``: :data:`EDGECPU_SPACE_YAML` (a small edge space, resolutions 128-224), CPU latency
  proxy (:func:`.heldout2.cpu_latency_ms`) <= 3.5 ms and peak activations (fp32, batch 1) <= 3 MB.

**Multi-objective** (two objectives, fixed ``ref_point``):

* ``h5-mo-zdt4r10``: ZDT4-like with 10 variables: ``f1 = x0`` and a multimodal (Rastrigin-like)
  distance function of the 9 shifted, rotated and scaled distance variables; ``ref_point = (1.1, 80)``;
* ``h5-mo-edgecpu``: ``h5-edgecpu``'s space, (``100 - accuracy_model5``, CPU latency ms), with the
  peak-activation limit as a constraint; ``ref_point = (50, 5 ms)``.
"""

from __future__ import annotations

import math
import zlib
from typing import Callable

import numpy as np

from gpunet_ray.searchers import Domain, Param

from ._problem import Problem
from .heldout2 import _box, _f_pen, _lam, _nas, _nas_mo, _rotation, _t_osz, _vec, cpu_latency_ms, gpu_latency_ms
from .heldout4 import _space

__all__ = ["SEED", "HELDOUT5", "HELDOUT5_MO", "PROBLEMS", "accuracy_model5", "FUSEDWIDE_SPACE_YAML",
           "FUSEDWIDE_REFERENCE", "EDGECPU_SPACE_YAML", "EDGECPU_REFERENCE"]

#: The seed every random element of the set is drawn from (with the problem's name).
SEED = 20261205


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng([SEED, zlib.crc32(name.encode())])


# -- continuous functions ---------------------------------------------------------------------------
def _continuous(name: str, kind: str, d: int) -> Problem:
    rng = _rng(name)
    R = _rotation(rng, d)
    x_opt = rng.uniform(-4.0, 4.0, d)
    if kind == "linear-slope":
        w = R.T @ (10.0 ** (np.arange(d) / (d - 1)) * rng.choice([-1.0, 1.0], d))
        x_opt = 5.0 * np.sign(w)
        top = float(np.sum(5.0 * np.abs(w)))

        def f(x):
            return float(top - w @ x)
    elif kind == "gallagher21":  # f22
        n = 21
        alphas = np.concatenate([[1000.0 ** 2], 1000.0 ** (2.0 * rng.permutation(n - 1) / (n - 2))])
        cs = np.vstack([_lam(a, d)[rng.permutation(d)] / a ** 0.25 for a in alphas])  # (n, d)
        ys = np.vstack([rng.uniform(-3.92, 3.92, d), rng.uniform(-4.9, 4.9, (n - 1, d))])
        x_opt = ys[0]
        ws = np.concatenate([[10.0], 1.1 + 8.0 * np.arange(n - 1) / (n - 2)])

        def f(x):
            u = (R @ (x[None, :] - ys).T).T
            g = np.max(ws * np.exp(-0.5 / d * np.sum(cs * u * u, axis=1)))
            return float(_t_osz(np.array([10.0 - g]))[0] ** 2 + _f_pen(x))
    elif kind == "happycat":  # minimum at z = -1
        def f(x):
            z = R @ (x - x_opt) - 1.0
            s = float(z @ z)
            return float(abs(s - d) ** 0.25 + (0.5 * s + float(z.sum())) / d + 0.5)
    elif kind == "hgbat":  # minimum at z = -1
        def f(x):
            z = R @ (x - x_opt) - 1.0
            s, t = float(z @ z), float(z.sum())
            return float(abs(s * s - t * t) ** 0.5 + (0.5 * s + t) / d + 0.5)
    elif kind == "zakharov":
        k = 0.5 * np.arange(1, d + 1) / d

        def f(x):
            z = 0.25 * (R @ (x - x_opt))
            t = float(k @ z)
            return float(z @ z + t ** 2 + t ** 4)
    elif kind == "dixon-price":
        i = np.arange(1, d + 1)
        z_opt = 2.0 ** (-(2.0 ** i - 2.0) / 2.0 ** i)

        def f(x):
            z = z_opt + 0.3 * (R @ (x - x_opt))
            return float((z[0] - 1.0) ** 2 + np.sum(i[1:] * (2.0 * z[1:] ** 2 - z[:-1]) ** 2))
    else:  # pragma: no cover - a typo in the table below
        raise ValueError(kind)

    prob = Problem(name, _box(d), lambda cfg: f(np.clip(_vec(cfg, d), -5.0, 5.0)), 0.0,
                   note=f"{kind}, D={d}, shifted and rotated")
    prob.optimum = {f"x{i}": float(x_opt[i]) for i in range(d)}
    return prob


# -- mixed problems ---------------------------------------------------------------------------------
def _mixed34() -> Problem:
    name = "h5-mixed34"
    rng = _rng(name)
    families, sizes = ("cnn", "vit", "mlp", "rnn"), (16, 32, 64, 128, 256)
    fam_best = families[int(rng.integers(4))]
    fam_cost = {f: (0.0 if f == fam_best else float(rng.uniform(0.4, 1.2))) for f in families}
    centres = {f: rng.uniform(0.15, 0.85, 5) for f in families}
    rots = {f: _rotation(rng, 5) for f in families}
    plane = rng.normal(size=(10, 2))  # the policies' hidden coordinates
    p_best = int(rng.integers(10))
    pol_cost = 0.3 * np.sum((plane - plane[p_best]) ** 2, axis=1)
    lr_at = -3.0 + 0.6 * plane[:, 0]  # the best log10 rate and decay move with the policy
    wd_at = -4.0 + 0.5 * plane[:, 1]
    k_best = rng.integers(0, 5, 4)
    Rk = _rotation(rng, 4)
    target = int(rng.integers(24, 200))  # n0 * n1 * n2 * n3, each in 1..8
    prods = {(a, b, c, e): abs(math.log(a * b * c * e / target)) + 0.02 * (a + b + c + e)
             for a in range(1, 9) for b in range(1, 9) for c in range(1, 9) for e in range(1, 9)}
    n_best = min(prods, key=prods.get)
    flags_best = tuple(bool(v) for v in rng.integers(0, 2, 2))
    dom = Domain((
        Param("family", "categorical", choices=families),
        Param("policy", "categorical", choices=tuple(f"p{i}" for i in range(10))),
        Param("lr", "log", low=1e-6, high=1.0),
        Param("wd", "log", low=1e-7, high=0.1),
        *(Param(f"s{i}", "ordinal", choices=sizes) for i in range(4)),
        *(Param(f"n{i}", "int", low=1, high=8) for i in range(4)),
        Param("flag0", "categorical", choices=(False, True)),
        Param("flag1", "categorical", choices=(False, True)),
        *(Param(f"{f}{i}", "float", low=0.0, high=1.0) for f in families for i in range(5)),
    ))

    def fn(c: dict) -> float:
        fam, p = str(c["family"]), int(str(c["policy"])[1:])
        v = fam_cost[fam] + float(pol_cost[p])
        v += (math.log10(float(c["lr"])) - lr_at[p]) ** 2 + 0.5 * (math.log10(float(c["wd"])) - wd_at[p]) ** 2
        z = Rk @ (np.log2([float(c[f"s{i}"]) for i in range(4)]) - 4.0 - k_best)
        v += float(z @ z) / 3.0
        v += prods[tuple(int(c[f"n{i}"]) for i in range(4))] - prods[n_best]
        m0, m1 = bool(c["flag0"]) != flags_best[0], bool(c["flag1"]) != flags_best[1]
        v += 0.25 * m0 + 0.25 * m1 + 0.3 * (m0 and m1)
        y = rots[fam] @ (np.array([float(c[f"{fam}{i}"]) for i in range(5)]) - centres[fam])
        return float(v + 4.0 * float(y @ y))

    opt = {"family": fam_best, "policy": f"p{p_best}", "lr": 10.0 ** lr_at[p_best], "wd": 10.0 ** wd_at[p_best],
           **{f"s{i}": sizes[int(k_best[i])] for i in range(4)}, **{f"n{i}": int(n_best[i]) for i in range(4)},
           "flag0": flags_best[0], "flag1": flags_best[1],
           **{f"{f}{i}": float(centres[f][i]) for f in families for i in range(5)}}
    return Problem(name, dom, fn, 0.0, optimum=opt,
                   note="pipeline recipe: a categorical picks the block that matters; policies on a hidden plane")


def _mixed48() -> Problem:
    name = "h5-mixed48"
    rng = _rng(name)
    k_best = rng.integers(0, 16, 16)
    Rq = _rotation(rng, 16)
    lam = 100.0 ** (np.arange(16) / 15.0)
    unary = rng.uniform(0.0, 0.8, (16, 3))
    pair = rng.uniform(0.0, 1.0, (15, 3, 3))
    # the chain's optimum by dynamic programming (exact), then every value is shifted by it
    cost, back = unary[0].copy(), []
    for i in range(1, 16):
        tot = cost[:, None] + pair[i - 1] + unary[i][None, :]
        back.append(np.argmin(tot, axis=0))
        cost = np.min(tot, axis=0)
    chain_min = float(np.min(cost))
    a_best = [int(np.argmin(cost))]
    for b in reversed(back):
        a_best.append(int(b[a_best[-1]]))
    a_best = a_best[::-1]
    levels = ("a", "b", "c")
    centre = rng.uniform(0.15, 0.85, 16)
    Ry = _rotation(rng, 16)
    dom = Domain((
        *(Param(f"k{i}", "int", low=0, high=15) for i in range(16)),
        *(Param(f"c{i}", "categorical", choices=levels) for i in range(16)),
        *(Param(f"y{i}", "float", low=0.0, high=1.0) for i in range(16)),
    ))

    def fn(c: dict) -> float:
        z = Rq @ (np.array([float(c[f"k{i}"]) for i in range(16)]) - k_best)
        v = float(np.sum(lam * z * z)) / 200.0
        a = [levels.index(c[f"c{i}"]) for i in range(16)]
        v += float(sum(unary[i, a[i]] for i in range(16)) + sum(pair[i, a[i], a[i + 1]] for i in range(15))) - chain_min
        y = Ry @ (np.array([float(c[f"y{i}"]) for i in range(16)]) - centre)
        return float(v + np.sum(2.0 * y * y + 0.3 * (1.0 - np.cos(5.0 * math.pi * y))))

    opt = {**{f"k{i}": int(k_best[i]) for i in range(16)}, **{f"c{i}": levels[a_best[i]] for i in range(16)},
           **{f"y{i}": float(centre[i]) for i in range(16)}}
    return Problem(name, dom, fn, 0.0, optimum=opt,
                   note="16 integers (rotated quadratic), 16 categoricals (pairwise chain), 16 continuous (ripple)")


# -- NAS-like problems ------------------------------------------------------------------------------
def accuracy_model5(stats, spec) -> float:
    """A synthetic top-1 (percent) for held-out set 5, unlike sets 2, 3 and 4's models in form.

    ``30 + 55 tanh(score / 4)`` (floored at 0) with ``score`` the sum of: compute ``1.2 (GMACs)^0.3``
    and width ``0.4 log(1 + params / 5e6)``; a depth bump ``1.5 exp(-((L - 24) / 14)^2)``; fused
    blocks early ``0.5 x`` their share among the first half's expanded layers and ``-0.3 x`` in the
    second half; per-stage width growth ``-0.5 x`` the mean of ``(log2(C_s / C_{s-1}) - 0.8)^2``;
    kernels ``0.35 x`` the share of 7x7 kernels at stride-1 layers of the last two stages; expansion
    ``0.2 x`` the number of distinct expansion ratios used, capped at 3; resolution ``1.1 tanh((res -
    192) / 96)``; squeeze-excite ``0.3 x`` its share when swish is used with it and ``-0.1 x`` else.
    """
    layers = [layer for layer in spec.layers if layer.stage is not None and layer.type != "tail"]
    n = max(1, len(layers))
    compute = 1.2 * (stats.macs / 1e9) ** 0.3 + 0.4 * math.log1p(stats.params / 5e6)
    depth = 1.5 * math.exp(-(((n - 24.0) / 14.0) ** 2))
    stages = sorted({layer.stage for layer in layers})
    first = set(stages[: len(stages) // 2])
    exp_early = [layer for layer in layers if layer.stage in first and layer.type in ("fused_irb", "irb")]
    exp_late = [layer for layer in layers if layer.stage not in first and layer.type in ("fused_irb", "irb")]
    fused = 0.5 * sum(1 for layer in exp_early if layer.type == "fused_irb") / max(1, len(exp_early)) \
        - 0.3 * sum(1 for layer in exp_late if layer.type == "fused_irb") / max(1, len(exp_late))
    outs = [[layer.out_chs for layer in layers if layer.stage == s][-1] for s in stages]
    growth = -0.5 * float(np.mean([(math.log2(b / a) - 0.8) ** 2 for a, b in zip(outs, outs[1:])])) \
        if len(outs) > 1 else 0.0
    tail = [layer for layer in layers if layer.stage in stages[-2:] and (layer.stride or 1) == 1]
    kernels = 0.35 * sum(1 for layer in tail if (layer.kernel or 0) >= 7) / max(1, len(tail))
    expansion = 0.2 * min(3, len({float(layer.expansion) for layer in layers if layer.expansion}))
    res = 1.1 * math.tanh((spec.resolution - 192.0) / 96.0)
    se_layers = [layer for layer in layers if layer.use_se]
    se = sum(0.3 if layer.act == "swish" else -0.1 for layer in se_layers) / n
    score = compute + depth + fused + growth + kernels + expansion + res + se
    return max(0.0, 30.0 + 55.0 * math.tanh(score / 4.0))


#: Wide fused-IRB stages up to the middle, IRB late, high resolutions.
FUSEDWIDE_SPACE_YAML = """\
name: heldout5-fusedwide
resolutions: {min: 224, max: 384, step: 32}
tail_channels: 1536
stages:
  - {block: conv, stride: 2, depths: [1], filters: [32, 48], kernels: [3]}
  - {block: fused_irb, stride: 1, depths: {min: 1, max: 2}, filters: [32, 48], kernels: [3], expansions: [1, 2],
     se: [false]}
  - {block: fused_irb, stride: 2, depths: {min: 1, max: 4}, filters: {min: 48, max: 96, step: 16}, kernels: [3, 5],
     expansions: [2, 4], se: [false]}
  - {block: fused_irb, stride: 2, depths: {min: 1, max: 5}, filters: {min: 64, max: 160, step: 32}, kernels: [3, 5],
     expansions: [2, 4, 6], se: [false, true]}
  - {block: irb, stride: 2, depths: {min: 2, max: 6}, filters: {min: 128, max: 256, step: 32}, kernels: [3, 5, 7],
     expansions: [3, 4, 6]}
  - {block: irb, stride: 1, depths: {min: 1, max: 6}, filters: {min: 160, max: 320, step: 32}, kernels: [3, 5, 7],
     expansions: [4, 6]}
"""

#: ``h5-fusedwide``'s documented reference: a hand-written EfficientNetV2-like member of the space.
FUSEDWIDE_REFERENCE = {
    "resolution": 256, "s0_filters": 32, "s0_act": "relu",
    "s1_depth": 1, "s1_filters": 32, "s1_expansion": 1, "s1_act": "relu",
    "s2_depth": 2, "s2_filters": 48, "s2_kernel": 3, "s2_expansion": 4, "s2_act": "relu",
    "s3_depth": 2, "s3_filters": 96, "s3_kernel": 3, "s3_expansion": 4, "s3_se": False, "s3_act": "swish",
    "s4_depth": 3, "s4_filters": 160, "s4_kernel": 3, "s4_expansion": 4, "s4_se": True, "s4_act": "swish",
    "s5_depth": 2, "s5_filters": 192, "s5_kernel": 5, "s5_expansion": 6, "s5_se": True, "s5_act": "swish",
}

#: A small edge space: narrow IRB stages at low resolutions.
EDGECPU_SPACE_YAML = """\
name: heldout5-edgecpu
resolutions: {min: 128, max: 224, step: 32}
tail_channels: 1024
stages:
  - {block: conv, stride: 2, depths: [1], filters: [8, 16, 24], kernels: [3]}
  - {block: irb, stride: 1, depths: [1], filters: [8, 16], kernels: [3], expansions: [1]}
  - {block: irb, stride: 2, depths: {min: 1, max: 3}, filters: {min: 16, max: 32, step: 8}, kernels: [3, 5],
     expansions: [2, 3, 4, 6]}
  - {block: irb, stride: 2, depths: {min: 1, max: 4}, filters: {min: 24, max: 48, step: 8}, kernels: [3, 5, 7],
     expansions: [3, 4, 6]}
  - {block: irb, stride: 2, depths: {min: 2, max: 5}, filters: {min: 48, max: 96, step: 16}, kernels: [3, 5],
     expansions: [3, 4, 6]}
  - {block: irb, stride: 1, depths: {min: 1, max: 4}, filters: {min: 64, max: 128, step: 16}, kernels: [3, 5, 7],
     expansions: [4, 6]}
  - {block: irb, stride: 2, depths: {min: 1, max: 4}, filters: {min: 96, max: 224, step: 32}, kernels: [3, 5, 7],
     expansions: [4, 6]}
"""

#: ``h5-edgecpu``'s documented reference: a hand-written MobileNetV2-0.5-like member of the space.
EDGECPU_REFERENCE = {
    "resolution": 160, "s0_filters": 16, "s0_act": "relu",
    "s1_depth": 1, "s1_filters": 8, "s1_kernel": 3, "s1_expansion": 1, "s1_se": False, "s1_act": "relu",
    "s2_depth": 2, "s2_filters": 16, "s2_kernel": 3, "s2_expansion": 6, "s2_se": False, "s2_act": "relu",
    "s3_depth": 3, "s3_filters": 24, "s3_kernel": 3, "s3_expansion": 6, "s3_se": False, "s3_act": "relu",
    "s4_depth": 3, "s4_filters": 48, "s4_kernel": 3, "s4_expansion": 6, "s4_se": False, "s4_act": "relu",
    "s5_depth": 2, "s5_filters": 64, "s5_kernel": 3, "s5_expansion": 6, "s5_se": False, "s5_act": "relu",
    "s6_depth": 2, "s6_filters": 96, "s6_kernel": 3, "s6_expansion": 6, "s6_se": False, "s6_act": "relu",
}

FUSEDWIDE_BUDGET_MS, FUSEDWIDE_MAX_PARAMS = 0.7, 20_000_000
EDGECPU_BUDGET_MS, EDGECPU_MAX_PEAK_MB = 3.5, 3.0


def fusedwide_space():
    """The :data:`FUSEDWIDE_SPACE_YAML` space."""
    return _space(FUSEDWIDE_SPACE_YAML)


def edgecpu_space():
    """The :data:`EDGECPU_SPACE_YAML` space."""
    return _space(EDGECPU_SPACE_YAML)


def _peak_ok(st) -> bool:
    return st.peak_activations * 4 <= EDGECPU_MAX_PEAK_MB * 1e6


def _fusedwide_checks(spec, st) -> bool:
    return st.params <= FUSEDWIDE_MAX_PARAMS and gpu_latency_ms(st, spec) <= FUSEDWIDE_BUDGET_MS


def _edgecpu_checks(spec, st) -> bool:
    return _peak_ok(st) and cpu_latency_ms(st, spec) <= EDGECPU_BUDGET_MS


def _h5_fusedwide() -> Problem:
    return _nas("h5-fusedwide", fusedwide_space(), _fusedwide_checks, FUSEDWIDE_REFERENCE,
                f"new fused-wide space; GPU latency <= {FUSEDWIDE_BUDGET_MS} ms and <= 20 M params",
                accuracy=accuracy_model5)


def _h5_edgecpu() -> Problem:
    return _nas("h5-edgecpu", edgecpu_space(), _edgecpu_checks, EDGECPU_REFERENCE,
                f"new edge space; CPU latency <= {EDGECPU_BUDGET_MS} ms and peak activations <= "
                f"{EDGECPU_MAX_PEAK_MB} MB", accuracy=accuracy_model5)


# -- multi-objective --------------------------------------------------------------------------------
def _mo_zdt4r10() -> Problem:
    name = "h5-mo-zdt4r10"
    rng = _rng(name)
    R = _rotation(rng, 9)
    centre = rng.uniform(0.25, 0.75, 9)
    dom = Domain(tuple(Param(f"x{i}", "float", low=0.0, high=1.0) for i in range(10)))

    def fn(c: dict) -> tuple[float, float]:
        x = np.clip(np.array([float(c[f"x{i}"]) for i in range(10)]), 0.0, 1.0)
        z = 8.0 * (R @ (x[1:] - centre))
        g = 1.0 + float(np.sum(z * z + 4.0 * (1.0 - np.cos(2.0 * math.pi * z))))
        f1 = float(x[0])
        return (f1, g * (1.0 - math.sqrt(f1 / g)))

    prob = Problem(name, dom, fn, None, objectives=2, ref_point=(1.1, 80.0),
                   note="ZDT4-like, 10 variables: Rastrigin-like distance function, shifted, rotated and scaled")
    prob.optimum = {"x0": 0.0, **{f"x{i + 1}": float(centre[i]) for i in range(9)}}  # on the front
    return prob


def _mo_edgecpu() -> Problem:
    return _nas_mo("h5-mo-edgecpu", edgecpu_space(), _peak_ok, accuracy_model5, cpu_latency_ms, (50.0, 5.0),
                   f"new edge space; (100 - accuracy_model5, CPU latency ms); peak activations <= "
                   f"{EDGECPU_MAX_PEAK_MB} MB")


PROBLEMS: dict[str, Callable[[], Problem]] = {
    "h5-linear-slope50": lambda: _continuous("h5-linear-slope50", "linear-slope", 50),
    "h5-gallagher21-30": lambda: _continuous("h5-gallagher21-30", "gallagher21", 30),
    "h5-happycat20": lambda: _continuous("h5-happycat20", "happycat", 20),
    "h5-hgbat30": lambda: _continuous("h5-hgbat30", "hgbat", 30),
    "h5-zakharov40": lambda: _continuous("h5-zakharov40", "zakharov", 40),
    "h5-dixon-price60": lambda: _continuous("h5-dixon-price60", "dixon-price", 60),
    "h5-mixed34": _mixed34,
    "h5-mixed48": _mixed48,
    "h5-fusedwide": _h5_fusedwide,
    "h5-edgecpu": _h5_edgecpu,
    "h5-mo-zdt4r10": _mo_zdt4r10,
    "h5-mo-edgecpu": _mo_edgecpu,
}

#: The single-objective members of held-out set 5, and the multi-objective ones.
HELDOUT5 = tuple(n for n in PROBLEMS if not n.startswith("h5-mo-"))
HELDOUT5_MO = tuple(n for n in PROBLEMS if n.startswith("h5-mo-"))
