"""Held-out set 6: fixed *before* the next change of the searcher, while held-out set 5 was running.

Held-out set 5 was being run once (issue 14, 2026-11-30, with session 10's defaults) when this set was
written; nothing of set 5's run had been read. Any change made after reading set 5 is judged here,
once, at the end; tuning uses the tuning problems and the spent sets 2 to 5 only. Nothing here was used
to choose anything, and no searcher had run on it when it was fixed. Every shift, rotation and table is
drawn from :data:`SEED` (one stream per problem name). All objectives are minimised.

**Continuous functions** on ``[-5, 5]^D`` (BBOB's transformations, :mod:`.heldout2`), none used by an
earlier set, ``f_opt = 0`` at ``optimum``:

* ``h6-sep-ellipsoid50``: BBOB f2, the *separable* ellipsoid (conditioning 1e6, with BBOB's
  oscillation ``T_osz``), shifted, not rotated: the axes are the coordinates;
* ``h6-powell40``: Powell's singular function (groups of four with quartic couplings; the Hessian is
  singular at the optimum), shifted and rotated;
* ``h6-schaffer-f6-30``: the expanded Schaffer F6 (CEC): the sum over consecutive pairs of a
  ring-shaped multimodal function, shifted, rotated and scaled by 4;
* ``h6-salomon20``: Salomon: concentric rings around the optimum (``1 - cos(2 pi |z|) + 0.1 |z|``),
  shifted and rotated;
* ``h6-alpine24``: an Alpine-N1-like ``|z (sin z + 0.1)| + 0.05 |z|`` per coordinate (kinked,
  multimodal; the last term leaves one global optimum), shifted, rotated and scaled by 2;
* ``h6-qing30``: Qing-like ``(z_i^2 - c_i)^2`` (``c_i`` from 0.3 to 9): ``2^D`` funnels of equal
  depth, rotated; ``optimum`` is one of them, planted inside the box.

**Mixed problems** (``f_opt = 0`` at ``optimum``):

* ``h6-mixed28``: a conditional training recipe: an integer ``layers`` (1-8) decides how many of 8
  ordinal widths matter (the others are ignored); a 5-way ``optimizer`` categorical moves the best log
  rate, which also scales with an ordinal batch size (linearly for SGD, by its square root for the
  others); ``momentum`` matters only for SGD and ``beta2`` only for the Adam family; an integer warm-up
  interacts with the rate; label smoothing and dropout; three booleans with a three-way interaction;
  8 augmentation magnitudes on a rotated bowl;
* ``h6-mixed60``: 12 four-way categoricals assign tasks to machines (a planted perfect partition:
  the cost is the makespan's excess over the mean load); 24 integers in ``[0, 31]`` under a rotated L1
  norm; 24 continuous dims on a rotated bowl with a small Rastrigin ripple on its first 8 directions.

**NAS-like constrained problems** on two new spaces (``f_opt`` unknown; regret against the best value
any run found; ``reference`` is a fixed documented config), with :func:`accuracy_model6`, a new
synthetic accuracy model (not sets 2 to 5's), and :func:`npu_latency_ms`, a new latency proxy for an
NPU-like accelerator on which depthwise convolutions and squeeze-excite are slow:

* ``h6-npu``: :data:`NPU_SPACE_YAML` (plain and fused stages early, IRB late, resolutions 160-288),
  NPU latency proxy <= 1.4 ms and <= 6 M parameters (the weights must fit on chip);
* ``h6-wideshallow``: :data:`WIDESHALLOW_SPACE_YAML` (few, wide stages at resolutions 256-448), GPU
  latency proxy (:func:`.heldout2.gpu_latency_ms`) <= 0.7 ms and <= 8 GMACs.

**Multi-objective** (two objectives, fixed ``ref_point``):

* ``h6-mo-dtlz1r8``: DTLZ1-like with 8 variables: a linear front ``f1 + f2 = 0.5`` and a multimodal
  (Rastrigin-like) distance function of the 7 shifted, rotated and scaled distance variables;
  ``ref_point = (10, 10)``;
* ``h6-mo-npu``: ``h6-npu``'s space, (``100 - accuracy_model6``, NPU latency ms), with the parameter
  limit as a constraint; ``ref_point = (50, 2 ms)``.
"""

from __future__ import annotations

import math
import zlib
from typing import Callable

import numpy as np

from gpunet_ray.search_space.blocks.base import mid_channels
from gpunet_ray.searchers import Domain, Param

from ._problem import Problem
from .heldout2 import _box, _nas, _nas_mo, _rotation, _t_osz, _vec, gpu_latency_ms
from .heldout4 import _space

__all__ = ["SEED", "HELDOUT6", "HELDOUT6_MO", "PROBLEMS", "accuracy_model6", "npu_latency_ms", "NPU_SPACE_YAML",
           "NPU_REFERENCE", "WIDESHALLOW_SPACE_YAML", "WIDESHALLOW_REFERENCE"]

#: The seed every random element of the set is drawn from (with the problem's name).
SEED = 20261206


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng([SEED, zlib.crc32(name.encode())])


# -- continuous functions ---------------------------------------------------------------------------
def _continuous(name: str, kind: str, d: int) -> Problem:
    rng = _rng(name)
    R = _rotation(rng, d)
    x_opt = rng.uniform(-4.0, 4.0, d)
    if kind == "sep-ellipsoid":  # f2
        w = 10.0 ** (6.0 * np.arange(d) / (d - 1))

        def f(x):
            z = _t_osz(x - x_opt)
            return float(w @ (z * z))
    elif kind == "powell":
        def f(x):
            z = R @ (x - x_opt)
            a, b, c, e = z[0::4], z[1::4], z[2::4], z[3::4]
            return float(np.sum((a + 10.0 * b) ** 2 + 5.0 * (c - e) ** 2 + (b - 2.0 * c) ** 4
                                + 10.0 * (a - e) ** 4))
    elif kind == "schaffer-f6":
        def f(x):
            z = 4.0 * (R @ (x - x_opt))
            s = z[:-1] ** 2 + z[1:] ** 2
            return float(np.sum(0.5 + (np.sin(np.sqrt(s)) ** 2 - 0.5) / (1.0 + 0.001 * s) ** 2))
    elif kind == "salomon":
        def f(x):
            r = float(np.linalg.norm(R @ (x - x_opt)))
            return 1.0 - math.cos(2.0 * math.pi * r) + 0.1 * r
    elif kind == "alpine":
        def f(x):
            z = 2.0 * (R @ (x - x_opt))
            return float(np.sum(np.abs(z * (np.sin(z) + 0.1)) + 0.05 * np.abs(z)))
    elif kind == "qing":
        c = 0.3 + 8.7 * np.arange(d) / (d - 1)
        sign = rng.choice([-1.0, 1.0], d)
        s = x_opt - R.T @ (sign * np.sqrt(c))  # one funnel planted at x_opt (z = sign sqrt(c))

        def f(x):
            z = R @ (x - s)
            return float(np.sum((z * z - c) ** 2))
    else:  # pragma: no cover - a typo in the table below
        raise ValueError(kind)

    prob = Problem(name, _box(d), lambda cfg: f(np.clip(_vec(cfg, d), -5.0, 5.0)), 0.0,
                   note=f"{kind}, D={d}, shifted" + ("" if kind == "sep-ellipsoid" else " and rotated"))
    prob.optimum = {f"x{i}": float(x_opt[i]) for i in range(d)}
    return prob


# -- mixed problems ---------------------------------------------------------------------------------
OPTIMIZERS = ("sgd", "adam", "adamw", "lamb", "lion")


def _mixed28() -> Problem:
    name = "h6-mixed28"
    rng = _rng(name)
    sizes, batches = (16, 32, 64, 128, 256, 512), (32, 64, 128, 256, 512, 1024)
    depth_best = int(rng.integers(3, 8))  # 3..7
    w_best = np.sort(rng.integers(0, 6, 8))  # widths grow with depth (indices into sizes)
    opt_best = OPTIMIZERS[int(rng.integers(5))]
    opt_cost = {o: (0.0 if o == opt_best else float(rng.uniform(0.3, 1.0))) for o in OPTIMIZERS}
    lr_base = {o: float(rng.uniform(-3.5, -1.0)) for o in OPTIMIZERS}  # best log10 rate at batch 256
    b_best = int(rng.integers(6))
    mom_best, beta2_best = float(rng.uniform(0.8, 0.98)), float(rng.uniform(0.9, 0.999))
    warm_best, smooth_best, drop_best = int(rng.integers(2, 15)), float(rng.uniform(0.0, 0.2)), \
        float(rng.uniform(0.05, 0.4))
    flags_best = tuple(bool(v) for v in rng.integers(0, 2, 3))
    aug_centre, Ra = rng.uniform(0.2, 0.8, 8), _rotation(rng, 8)
    dom = Domain((
        Param("layers", "int", low=1, high=8),
        *(Param(f"w{i}", "ordinal", choices=sizes) for i in range(8)),
        Param("optimizer", "categorical", choices=OPTIMIZERS),
        Param("lr", "log", low=1e-6, high=1.0),
        Param("batch", "ordinal", choices=batches),
        Param("momentum", "float", low=0.0, high=0.999),
        Param("beta2", "float", low=0.8, high=0.9999),
        Param("warmup", "int", low=0, high=20),
        Param("smoothing", "float", low=0.0, high=0.3),
        Param("dropout", "float", low=0.0, high=0.5),
        *(Param(f, "categorical", choices=(False, True)) for f in ("mixup", "cutmix", "ema")),
        *(Param(f"aug{i}", "float", low=0.0, high=1.0) for i in range(8)),
    ))

    def lr_at(o: str, batch: int, warmup: int) -> float:
        scale = math.log10(batch / 256.0) * (1.0 if o == "sgd" else 0.5)
        return lr_base[o] + scale + 0.02 * (warmup - warm_best)  # a longer warm-up tolerates a larger rate

    def fn(c: dict) -> float:
        n, o = int(c["layers"]), str(c["optimizer"])
        v = 0.15 * abs(n - depth_best) + opt_cost[o]
        w = np.log2([float(c[f"w{i}"]) for i in range(n)]) - 4.0
        v += float(np.sum((w - w_best[:n]) ** 2)) / 4.0  # only the first ``layers`` widths matter
        batch, warmup = int(c["batch"]), int(c["warmup"])
        v += (math.log10(float(c["lr"])) - lr_at(o, batch, warmup)) ** 2
        v += 0.05 * abs(batches.index(batch) - b_best) + 0.002 * (warmup - warm_best) ** 2
        if o == "sgd":
            v += 20.0 * (float(c["momentum"]) - mom_best) ** 2
        elif o in ("adam", "adamw", "lamb"):
            v += 200.0 * (float(c["beta2"]) - beta2_best) ** 2
        v += 10.0 * (float(c["smoothing"]) - smooth_best) ** 2 + 4.0 * (float(c["dropout"]) - drop_best) ** 2
        m = [bool(c[f]) != b for f, b in zip(("mixup", "cutmix", "ema"), flags_best)]
        v += 0.1 * sum(m) + 0.3 * (m[0] and m[1] and m[2])
        y = Ra @ (np.array([float(c[f"aug{i}"]) for i in range(8)]) - aug_centre)
        return float(v + 3.0 * float(y @ y))

    opt = {"layers": depth_best, **{f"w{i}": sizes[int(w_best[i])] for i in range(8)}, "optimizer": opt_best,
           "lr": 10.0 ** lr_at(opt_best, batches[b_best], warm_best), "batch": batches[b_best],
           "momentum": mom_best, "beta2": beta2_best, "warmup": warm_best, "smoothing": smooth_best,
           "dropout": drop_best, **dict(zip(("mixup", "cutmix", "ema"), flags_best)),
           **{f"aug{i}": float(aug_centre[i]) for i in range(8)}}
    return Problem(name, dom, fn, 0.0, optimum=opt,
                   note="conditional recipe: depth gates the widths; the optimizer gates momentum / beta2 and "
                        "moves the rate with the batch")


def _mixed60() -> Problem:
    name = "h6-mixed60"
    rng = _rng(name)
    machines = ("m0", "m1", "m2", "m3")
    assign = rng.permutation(np.arange(12) % 4)  # the planted partition: 3 tasks per machine
    dur = np.zeros(12)
    for m in range(4):  # each machine's tasks sum to 1 (a perfect partition exists)
        idx = np.flatnonzero(assign == m)
        dur[idx] = rng.dirichlet(np.full(len(idx), 2.0))
    k_best = rng.integers(0, 32, 24)
    Rk = _rotation(rng, 24)
    centre, Ry = rng.uniform(0.15, 0.85, 24), _rotation(rng, 24)
    dom = Domain((
        *(Param(f"t{i}", "categorical", choices=machines) for i in range(12)),
        *(Param(f"k{i}", "int", low=0, high=31) for i in range(24)),
        *(Param(f"y{i}", "float", low=0.0, high=1.0) for i in range(24)),
    ))

    def fn(c: dict) -> float:
        load = np.zeros(4)
        for i in range(12):
            load[machines.index(c[f"t{i}"])] += dur[i]
        v = 3.0 * (float(load.max()) - 1.0)  # the makespan's excess over the mean load (which is 1)
        v += float(np.sum(np.abs(Rk @ (np.array([float(c[f"k{i}"]) for i in range(24)]) - k_best)))) / 24.0
        y = Ry @ (np.array([float(c[f"y{i}"]) for i in range(24)]) - centre)
        return float(v + 2.0 * float(y @ y) + 0.2 * float(np.sum(1.0 - np.cos(6.0 * math.pi * y[:8]))))

    opt = {**{f"t{i}": machines[int(assign[i])] for i in range(12)}, **{f"k{i}": int(k_best[i]) for i in range(24)},
           **{f"y{i}": float(centre[i]) for i in range(24)}}
    return Problem(name, dom, fn, 0.0, optimum=opt,
                   note="12 categoricals (planted perfect partition, makespan), 24 integers (rotated L1), "
                        "24 continuous (bowl with a ripple)")


# -- NAS-like problems ------------------------------------------------------------------------------
def npu_latency_ms(stats, spec) -> float:
    """An NPU-style latency proxy (ms, batch 1, int8): dense convolutions fast, depthwise slow, SRAM spills.

    ``0.08 + sum over layers of (dense MACs / 2e12 + depthwise MACs / 4e10 + 0.012)``: an inverted
    residual's depthwise convolution (``out_hw^2 x mid x k^2`` MACs) runs at 2 % of the dense rate; a
    layer whose working set (input + output, one byte each) exceeds 1 MB of on-chip SRAM adds the
    excess at 10 GB/s; squeeze-excite adds 0.03 ms and swish ``5e-8`` ms per output element (a lookup
    table).
    """
    t = 0.08
    for layer, ls in zip(spec.layers, stats.layers):
        dw = ls.out_hw ** 2 * mid_channels(layer, spec.distill) * layer.kernel ** 2 if layer.type == "irb" else 0
        t += (ls.macs - dw) / 2e12 * 1e3 + dw / 4e10 * 1e3 + 0.012
        t += max(0, ls.peak - 1_000_000) / 1e10 * 1e3
        t += (0.03 if layer.use_se else 0.0) + (5e-8 * ls.activations if layer.act == "swish" else 0.0)
    return t


def _receptive_field(spec) -> float:
    rf, jump = 1.0, 1.0
    for layer in spec.layers:
        if layer.kernel:
            rf += (layer.kernel - 1) * jump
        jump *= layer.stride or 1
    return rf


def accuracy_model6(stats, spec) -> float:
    """A synthetic top-1 (percent) for held-out set 6, unlike sets 2 to 5's models in form.

    ``25 + 60 / (1 + exp(-(score - 2.5) / 1.1))`` with ``score`` the sum of: compute ``0.7 log2(1 + 4
    GMACs)``; a parameter sweet spot ``-0.5 (log10(params / 3e6))^2``; depth balance ``0.8 x`` the
    normalised entropy of the layers' spread over the stages; receptive field ``0.7 tanh(RF / res)``;
    squeeze-excite ``0.4 x`` its share in the last third of the layers; activations ``0.3 x`` (swish's
    share in the second half minus its share in the first); expansion uniformity ``-0.15 x`` the
    standard deviation of the expansion ratios; resolution ``0.8 log(res / 160) - 0.3 log(res / 160)^2``.
    """
    layers = [layer for layer in spec.layers if layer.stage is not None and layer.type != "tail"]
    n = max(1, len(layers))
    compute = 0.7 * math.log2(1.0 + 4.0 * stats.macs / 1e9)
    params = -0.5 * math.log10(max(stats.params, 1) / 3e6) ** 2
    stages = sorted({layer.stage for layer in layers})
    counts = np.array([sum(1 for layer in layers if layer.stage == s) for s in stages], dtype=float)
    p = counts / counts.sum()
    balance = 0.8 * float(-np.sum(p * np.log(p)) / math.log(len(stages))) if len(stages) > 1 else 0.0
    rf = 0.7 * math.tanh(_receptive_field(spec) / spec.resolution)
    last = layers[-max(1, n // 3):]
    se = 0.4 * sum(1 for layer in last if layer.use_se) / len(last)
    half = n // 2
    first, second = layers[:half] or layers, layers[half:]
    act = 0.3 * (sum(1 for layer in second if layer.act == "swish") / len(second)
                 - sum(1 for layer in first if layer.act == "swish") / len(first))
    exp = [float(layer.expansion) for layer in layers if layer.expansion]
    expansion = -0.15 * float(np.std(exp)) if exp else 0.0
    r = math.log(spec.resolution / 160.0)
    res = 0.8 * r - 0.3 * r * r
    score = compute + params + balance + rf + se + act + expansion + res
    return 25.0 + 60.0 / (1.0 + math.exp(-(score - 2.5) / 1.1))


#: Plain and fused stages early, IRB late, moderate resolutions: an NPU-friendly plan is not the default.
NPU_SPACE_YAML = """\
name: heldout6-npu
resolutions: {min: 160, max: 288, step: 32}
tail_channels: 1024
stages:
  - {block: conv, stride: 2, depths: [1], filters: [16, 24, 32], kernels: [3]}
  - {block: conv, stride: 1, depths: {min: 1, max: 2}, filters: [16, 24, 32], kernels: [3]}
  - {block: fused_irb, stride: 2, depths: {min: 1, max: 4}, filters: {min: 24, max: 64, step: 8}, kernels: [3, 5],
     expansions: [2, 3, 4], se: [false]}
  - {block: fused_irb, stride: 2, depths: {min: 1, max: 5}, filters: {min: 48, max: 96, step: 16}, kernels: [3, 5],
     expansions: [2, 4, 6], se: [false, true]}
  - {block: irb, stride: 2, depths: {min: 1, max: 6}, filters: {min: 80, max: 176, step: 16}, kernels: [3, 5, 7],
     expansions: [3, 4, 6]}
  - {block: irb, stride: 2, depths: {min: 1, max: 5}, filters: {min: 128, max: 320, step: 32}, kernels: [3, 5],
     expansions: [4, 6]}
"""

#: ``h6-npu``'s documented reference: a hand-written member of the space, dense early and modest late.
NPU_REFERENCE = {
    "resolution": 224, "s0_filters": 24, "s0_act": "relu",
    "s1_depth": 1, "s1_filters": 24, "s1_kernel": 3, "s1_act": "relu",
    "s2_depth": 2, "s2_filters": 32, "s2_kernel": 3, "s2_expansion": 4, "s2_act": "relu",
    "s3_depth": 2, "s3_filters": 64, "s3_kernel": 3, "s3_expansion": 4, "s3_se": False, "s3_act": "relu",
    "s4_depth": 2, "s4_filters": 112, "s4_kernel": 3, "s4_expansion": 4, "s4_se": False, "s4_act": "relu",
    "s5_depth": 1, "s5_filters": 192, "s5_kernel": 3, "s5_expansion": 4, "s5_se": False, "s5_act": "relu",
}

#: Few, wide stages at high resolutions.
WIDESHALLOW_SPACE_YAML = """\
name: heldout6-wideshallow
resolutions: {min: 256, max: 448, step: 32}
tail_channels: 1280
stages:
  - {block: conv, stride: 2, depths: [1], filters: [32, 48, 64], kernels: [3]}
  - {block: fused_irb, stride: 2, depths: {min: 1, max: 3}, filters: {min: 48, max: 128, step: 16}, kernels: [3, 5],
     expansions: [1, 2, 4], se: [false]}
  - {block: fused_irb, stride: 2, depths: {min: 1, max: 3}, filters: {min: 96, max: 256, step: 32}, kernels: [3, 5],
     expansions: [2, 4], se: [false, true]}
  - {block: irb, stride: 2, depths: {min: 1, max: 3}, filters: {min: 192, max: 512, step: 64}, kernels: [3, 5, 7],
     expansions: [2, 3, 4, 6]}
  - {block: irb, stride: 2, depths: {min: 1, max: 3}, filters: {min: 384, max: 1024, step: 128}, kernels: [3, 5],
     expansions: [2, 4, 6]}
"""

#: ``h6-wideshallow``'s documented reference: a hand-written member of the space.
WIDESHALLOW_REFERENCE = {
    "resolution": 288, "s0_filters": 32, "s0_act": "relu",
    "s1_depth": 1, "s1_filters": 64, "s1_kernel": 3, "s1_expansion": 2, "s1_act": "relu",
    "s2_depth": 2, "s2_filters": 128, "s2_kernel": 3, "s2_expansion": 4, "s2_se": False, "s2_act": "relu",
    "s3_depth": 2, "s3_filters": 256, "s3_kernel": 3, "s3_expansion": 4, "s3_se": False, "s3_act": "swish",
    "s4_depth": 1, "s4_filters": 384, "s4_kernel": 3, "s4_expansion": 4, "s4_se": False, "s4_act": "swish",
}

NPU_BUDGET_MS, NPU_MAX_PARAMS = 1.4, 6_000_000
WIDESHALLOW_BUDGET_MS, WIDESHALLOW_MAX_GMACS = 0.7, 8.0


def npu_space():
    """The :data:`NPU_SPACE_YAML` space."""
    return _space(NPU_SPACE_YAML)


def wideshallow_space():
    """The :data:`WIDESHALLOW_SPACE_YAML` space."""
    return _space(WIDESHALLOW_SPACE_YAML)


def _npu_checks(spec, st) -> bool:
    return st.params <= NPU_MAX_PARAMS and npu_latency_ms(st, spec) <= NPU_BUDGET_MS


def _wideshallow_checks(spec, st) -> bool:
    return st.macs <= WIDESHALLOW_MAX_GMACS * 1e9 and gpu_latency_ms(st, spec) <= WIDESHALLOW_BUDGET_MS


def _h6_npu() -> Problem:
    return _nas("h6-npu", npu_space(), _npu_checks, NPU_REFERENCE,
                f"new NPU space; NPU latency <= {NPU_BUDGET_MS} ms and <= 6 M params", accuracy=accuracy_model6)


def _h6_wideshallow() -> Problem:
    return _nas("h6-wideshallow", wideshallow_space(), _wideshallow_checks, WIDESHALLOW_REFERENCE,
                f"new wide-shallow space; GPU latency <= {WIDESHALLOW_BUDGET_MS} ms and <= "
                f"{WIDESHALLOW_MAX_GMACS} GMACs", accuracy=accuracy_model6)


# -- multi-objective --------------------------------------------------------------------------------
def _mo_dtlz1r8() -> Problem:
    name = "h6-mo-dtlz1r8"
    rng = _rng(name)
    R = _rotation(rng, 7)
    centre = rng.uniform(0.25, 0.75, 7)
    dom = Domain(tuple(Param(f"x{i}", "float", low=0.0, high=1.0) for i in range(8)))

    def fn(c: dict) -> tuple[float, float]:
        x = np.clip(np.array([float(c[f"x{i}"]) for i in range(8)]), 0.0, 1.0)
        z = 6.0 * (R @ (x[1:] - centre))
        g = float(np.sum(z * z + 1.0 - np.cos(2.0 * math.pi * z)))
        return (0.5 * float(x[0]) * (1.0 + g), 0.5 * (1.0 - float(x[0])) * (1.0 + g))

    prob = Problem(name, dom, fn, None, objectives=2, ref_point=(10.0, 10.0),
                   note="DTLZ1-like, 8 variables: a linear front, Rastrigin-like distance function, shifted, "
                        "rotated and scaled")
    prob.optimum = {"x0": 0.0, **{f"x{i + 1}": float(centre[i]) for i in range(7)}}  # on the front
    return prob


def _mo_npu() -> Problem:
    return _nas_mo("h6-mo-npu", npu_space(), lambda st: st.params <= NPU_MAX_PARAMS, accuracy_model6,
                   npu_latency_ms, (50.0, 2.0), "new NPU space; (100 - accuracy_model6, NPU latency ms); <= 6 M params")


PROBLEMS: dict[str, Callable[[], Problem]] = {
    "h6-sep-ellipsoid50": lambda: _continuous("h6-sep-ellipsoid50", "sep-ellipsoid", 50),
    "h6-powell40": lambda: _continuous("h6-powell40", "powell", 40),
    "h6-schaffer-f6-30": lambda: _continuous("h6-schaffer-f6-30", "schaffer-f6", 30),
    "h6-salomon20": lambda: _continuous("h6-salomon20", "salomon", 20),
    "h6-alpine24": lambda: _continuous("h6-alpine24", "alpine", 24),
    "h6-qing30": lambda: _continuous("h6-qing30", "qing", 30),
    "h6-mixed28": _mixed28,
    "h6-mixed60": _mixed60,
    "h6-npu": _h6_npu,
    "h6-wideshallow": _h6_wideshallow,
    "h6-mo-dtlz1r8": _mo_dtlz1r8,
    "h6-mo-npu": _mo_npu,
}

#: The single-objective members of held-out set 6, and the multi-objective ones.
HELDOUT6 = tuple(n for n in PROBLEMS if not n.startswith("h6-mo-"))
HELDOUT6_MO = tuple(n for n in PROBLEMS if n.startswith("h6-mo-"))
