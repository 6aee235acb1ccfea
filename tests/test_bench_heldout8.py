"""Held-out set 8: each problem evaluates, is deterministic, has the declared dimensions, and its optimum
(or documented reference) is right. No searcher runs on this set here (it is to be run once, at the end of the
next round of searcher work): a handful of evaluations per problem only."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heldout_checks import (check_cli_lists_the_set, check_dimensions_and_determinism, check_nas, check_optimum,
                            check_registered, check_strict_local_minimum, points)

from gpunet_ray.bench import heldout8
from gpunet_ray.bench.problems import get_problem

pytestmark = pytest.mark.timeout(120)

#: name -> (objectives, {kind: count}) as declared in gpunet_ray/bench/heldout8.py's docstring
DECLARED = {
    "h8-whitley20": (1, {"float": 20}),
    "h8-stretched-v24": (1, {"float": 24}),
    "h8-pinter30": (1, {"float": 30}),
    "h8-brown40": (1, {"float": 40}),
    "h8-schwefel221-50": (1, {"float": 50}),
    "h8-quintic60": (1, {"float": 60}),
    "h8-mixed35": (1, {"ordinal": 4, "categorical": 5, "int": 1, "float": 23, "log": 2}),
    "h8-mixed42": (1, {"categorical": 26, "float": 10, "int": 6}),
    "h8-lowres": (1, None),
    "h8-plainwide": (1, None),
    "h8-mo-uf1r12": (2, {"float": 12}),
    "h8-mo-lowres": (2, None),
}
ALL = list(DECLARED)
SINGLE = [n for n in ALL if DECLARED[n][0] == 1]
CONTINUOUS = [n for n in SINGLE if DECLARED[n][1] is not None and set(DECLARED[n][1]) == {"float"}]
NAS = ["h8-lowres", "h8-plainwide"]


def _x(p) -> np.ndarray:
    return np.array([p.optimum[f"x{i}"] for i in range(len(p.domain))])


def _cfg(x) -> dict:
    return {f"x{i}": float(v) for i, v in enumerate(x)}


def test_the_set_is_registered_and_apart_from_every_other_set():
    check_registered("heldout8", DECLARED, heldout8.SEED)


@pytest.mark.parametrize("name", ALL)
def test_dimensions_types_and_determinism(name):
    check_dimensions_and_determinism(name, *DECLARED[name])


@pytest.mark.parametrize("name", [n for n in SINGLE if n not in NAS])
def test_value_at_the_optimum_is_f_opt_and_random_points_are_far_worse(name):
    check_optimum(name, continuous=name in CONTINUOUS)


@pytest.mark.parametrize("name", CONTINUOUS)
def test_the_optimum_is_a_strict_local_minimum(name):
    check_strict_local_minimum(name)


def test_whitley_and_brown_couple_their_coordinates():
    for name in ("h8-whitley20", "h8-brown40"):
        p = get_problem(name)
        x = _x(p)
        one = [p.fn(_cfg(x + 0.3 * np.eye(len(x))[i])) for i in (0, 1)]
        both = p.fn(_cfg(x + 0.3 * (np.eye(len(x))[0] + np.eye(len(x))[1])))
        assert abs(both - sum(one)) > 1e-3 * sum(one), name  # not separable


def test_schwefel221_is_a_max_norm_and_quintic_is_kinked():
    p = get_problem("h8-schwefel221-50")
    x = _x(p)
    rng = np.random.default_rng(1)
    for _ in range(3):  # positively homogeneous about the optimum, as a norm is
        d = rng.normal(size=len(x)) * 0.05  # inside the box (the function clips)
        assert p.fn(_cfg(x + 2.0 * d)) == pytest.approx(2.0 * p.fn(_cfg(x + d)), rel=1e-9)
    q = get_problem("h8-quintic60")
    x = _x(q)
    d = rng.normal(size=len(x))
    d /= np.linalg.norm(d)
    small, double = q.fn(_cfg(x + 1e-6 * d)), q.fn(_cfg(x + 2e-6 * d))
    assert double / small == pytest.approx(2.0, rel=1e-3)  # |p(z)| grows linearly from a simple root
    assert heldout8._quintic(np.array([-1.0, 2.0])).max() == 0.0


def test_mixed35_plan_structure():
    p = get_problem("h8-mixed35")
    o = p.optimum
    assert p.fn(o) == pytest.approx(0.0, abs=1e-12)
    assert o["dp"] * o["tp"] * o["pp"] <= 64 and o["pp"] > 1  # the planted best plan pipelines
    for key, choices in (("dp", heldout8.DPS), ("tp", heldout8.TPS), ("pp", heldout8.PPS),
                         ("micro", heldout8.MICROS), ("ckpt", heldout8.CKPT), ("zero", heldout8.ZERO),
                         ("seq_par", (False, True)), ("fp8", (False, True)), ("overlap", (False, True)),
                         ("interleave", (1, 2, 3, 4))):
        for c in choices:  # no single change of the discrete plan beats the exhaustive optimum
            assert p.fn({**o, key: c}) >= -1e-12, (key, c)
    assert p.fn({**o, "dp": 64, "tp": 16}) >= 8.0  # more GPUs than there are: invalid
    assert p.fn({**o, "cut6": 0.9, "cut5": 0.1}) == pytest.approx(0.0, abs=1e-12)  # beyond pp - 1: ignored
    assert p.fn({**o, "cut0": o["cut0"] + 0.05}) > 0.0  # an unbalanced pipeline is slower
    # the bucket matters only when the all-reduce is overlapped
    off = {**o, "overlap": False}
    assert p.fn({**off, "bucket_mb": 1.0}) == pytest.approx(p.fn({**off, "bucket_mb": 1000.0}))
    assert p.fn({**o, "bucket_mb": 1.0}) > 0.0
    # the mixture is scale-free in w + 0.01
    half = {**o, **{f"mix{i}": 0.5 * (o[f"mix{i}"] + 0.01) - 0.01 for i in range(16)}}
    assert p.fn(half) == pytest.approx(0.0, abs=1e-9)
    assert p.fn({**o, "mix0": min(1.0, o["mix0"] + 0.2)}) > 0.0


def test_mixed35_exhaustive_optimum_is_the_grid_minimum():
    grid = np.meshgrid(heldout8.DPS, heldout8.TPS, heldout8.PPS, heldout8.MICROS, range(3), range(4), (0, 1),
                       (1, 2, 3, 4), (0, 1), (0, 1), indexing="ij")
    costs = heldout8._plan_cost(*[g.ravel() for g in grid])
    o = get_problem("h8-mixed35").optimum
    at = heldout8._plan_cost(o["dp"], o["tp"], o["pp"], o["micro"], heldout8.CKPT.index(o["ckpt"]),
                             heldout8.ZERO.index(o["zero"]), int(o["seq_par"]), o["interleave"], int(o["fp8"]),
                             int(o["overlap"]))
    assert float(at) == pytest.approx(float(costs.min()), abs=1e-12)
    assert np.mean(costs >= 8.0) > 0.3 and np.mean(costs < 8.0) > 0.05  # invalid plans abound, valid ones exist


def test_mixed42_knapsack_assignment_and_bottleneck():
    p = get_problem("h8-mixed42")
    o = p.optimum
    assert p.fn(o) == pytest.approx(0.0, abs=1e-12)
    for i in range(16):  # any single flip of the selection costs (lost value, overspend or crew targets)
        assert p.fn({**o, f"b{i}": not o[f"b{i}"]}) > 0.0
    for i in range(10):
        for j in range(i + 1, 10):  # swapping two slots' resources keeps it one-to-one, and costs
            assert p.fn({**o, f"a{i}": o[f"a{j}"], f"a{j}": o[f"a{i}"]}) > 0.0
    shared = {**o, "a0": o["a1"]}  # two slots on one resource
    assert p.fn(shared) > 0.0
    # the crew sizes are under an L-inf norm: two off-by-one crews cost as much as one
    n0, n1 = o["n0"], o["n1"]
    one = {**o, "n0": n0 + 1 if n0 < 20 else n0 - 1}
    two = {**one, "n1": n1 + 1 if n1 < 20 else n1 - 1}
    assert p.fn(one) == pytest.approx(0.25) and p.fn(two) == pytest.approx(0.25)
    assert p.fn({**o, "t0": min(1.0, o["t0"] + 0.1)}) > 0.0


@pytest.mark.parametrize("name", NAS)
def test_nas_problems_reference_and_constraints(name):
    check_nas(name)


def test_systolic_latency_pads_channels_and_is_new():
    from scipy.stats import spearmanr

    from gpunet_ray.bench.heldout2 import cpu_latency_ms, gpu_latency_ms
    from gpunet_ray.bench.heldout6 import npu_latency_ms
    from gpunet_ray.bench.heldout7 import roofline_latency_ms
    from gpunet_ray.search_space import arch_stats

    space = heldout8.lowres_space()
    dom = get_problem("h8-lowres").domain
    ref = space.from_config(dict(get_problem("h8-lowres").reference_config))
    lat = heldout8.systolic_latency_ms(arch_stats(ref), ref)
    se = space.from_config(dom.flat({**heldout8.LOWRES_REFERENCE, "s3_se": True}))
    assert heldout8.systolic_latency_ms(arch_stats(se), se) > lat
    hi = ref.with_resolution(192)
    assert heldout8.systolic_latency_ms(arch_stats(hi), hi) > lat
    # channels below 128 ride in one padded tile: doubling the first stage's width (16 -> 32) changes the
    # MACs by more than it changes the latency (only the off-chip traffic grows)
    wide = space.from_config(dom.flat({**heldout8.LOWRES_REFERENCE, "s1_filters": 32}))
    st_w, st_r = arch_stats(wide), arch_stats(ref)
    assert st_w.macs / st_r.macs - 1.0 > 10.0 * (heldout8.systolic_latency_ms(st_w, wide) / lat - 1.0)
    for space, name in ((heldout8.lowres_space(), "h8-lowres"), (heldout8.plainwide_space(), "h8-plainwide")):
        dom = get_problem(name).domain
        specs = [space.from_config(c) for c in dom.from_unit(dom.uniform(np.random.default_rng(5), 40))]
        stats = [arch_stats(s) for s in specs]
        sys_ = [heldout8.systolic_latency_ms(st, s) for st, s in zip(stats, specs)]
        for other in (gpu_latency_ms, cpu_latency_ms, npu_latency_ms, roofline_latency_ms):  # a new ranking
            assert spearmanr(sys_, [other(st, s) for st, s in zip(stats, specs)])[0] < 0.97, (name, other)


def test_accuracy_model8_is_not_an_earlier_sets_and_rewards_compute():
    from scipy.stats import spearmanr

    from gpunet_ray.bench.heldout2 import accuracy_model
    from gpunet_ray.bench.heldout3 import accuracy_model3
    from gpunet_ray.bench.heldout4 import accuracy_model4
    from gpunet_ray.bench.heldout5 import accuracy_model5
    from gpunet_ray.bench.heldout6 import accuracy_model6
    from gpunet_ray.bench.heldout7 import accuracy_model7
    from gpunet_ray.search_space import arch_stats, get_space
    from gpunet_ray.search_space.presets import get_preset

    for space, name in ((heldout8.lowres_space(), "h8-lowres"), (heldout8.plainwide_space(), "h8-plainwide")):
        dom = get_problem(name).domain
        specs = [space.from_config(c) for c in dom.from_unit(dom.uniform(np.random.default_rng(6), 40))]
        stats = [arch_stats(s) for s in specs]
        a8 = [heldout8.accuracy_model8(st, s) for st, s in zip(stats, specs)]
        for earlier in (accuracy_model, accuracy_model3, accuracy_model4, accuracy_model5, accuracy_model6,
                        accuracy_model7):
            assert spearmanr(a8, [earlier(st, s) for st, s in zip(stats, specs)])[0] < 0.95, (name, earlier)
    space = get_space("gpunet")
    spec = space.from_config(space.to_config(get_preset("gpunet-2")))
    small = spec.with_resolution(192)
    assert heldout8.accuracy_model8(arch_stats(small), small) < heldout8.accuracy_model8(arch_stats(spec), spec)


def test_multi_objective_held_out_problems():
    p = get_problem("h8-mo-uf1r12")
    assert p.fn(p.optimum) == pytest.approx((0.25, 0.5))  # on the front f2 = 1 - sqrt(f1)
    assert p.ref_point == (3.0, 3.0) and p.max_hv == pytest.approx(9.0 - 1.0 / 3.0)
    vals = [p.fn(c) for c in points(p, 60, seed=5)]
    assert all(v[1] >= 1.0 - math.sqrt(min(max(v[0], 0.0), 1.0)) - 1e-12 for v in vals)  # none beyond the front
    inside = [v for v in vals if v[0] < 3.0 and v[1] < 3.0]
    assert len(vals) / 2 < len(inside) < len(vals)  # most random points inside the reference, not all
    g = get_problem("h8-mo-lowres")
    assert g.ref_point == (45.0, 1.5) and g.constraint is not None
    vals = [g.fn(c) for c in points(g, 60, seed=4)]
    assert any(v is None for v in vals) and any(v is not None for v in vals)
    inside = [v for v in vals if v is not None and v[0] < 45.0 and v[1] < 1.5]
    assert 0 < len(inside) < len([v for v in vals if v is not None])  # the reference leaves part out
    assert all(math.isfinite(x) for v in vals if v is not None for x in v)


def test_cli_selects_the_set_without_running_it(capsys):
    check_cli_lists_the_set("heldout8", "h8", capsys)
