"""Held-out set 6: each problem evaluates, is deterministic, has the declared dimensions, and its optimum
(or documented reference) is right. No searcher runs on this set here (it is to be run once, at the end of the
next round of searcher work): a handful of evaluations per problem only."""

from __future__ import annotations

import numpy as np
import pytest

from heldout_checks import (check_cli_lists_the_set, check_dimensions_and_determinism, check_nas, check_optimum,
                            check_registered, check_strict_local_minimum, points)

from gpunet_ray.bench import heldout6
from gpunet_ray.bench.problems import get_problem

pytestmark = pytest.mark.timeout(120)

#: name -> (objectives, {kind: count}) as declared in gpunet_ray/bench/heldout6.py's docstring
DECLARED = {
    "h6-sep-ellipsoid50": (1, {"float": 50}),
    "h6-powell40": (1, {"float": 40}),
    "h6-schaffer-f6-30": (1, {"float": 30}),
    "h6-salomon20": (1, {"float": 20}),
    "h6-alpine24": (1, {"float": 24}),
    "h6-qing30": (1, {"float": 30}),
    "h6-mixed28": (1, {"int": 2, "ordinal": 9, "categorical": 4, "log": 1, "float": 12}),
    "h6-mixed60": (1, {"categorical": 12, "int": 24, "float": 24}),
    "h6-npu": (1, None),
    "h6-wideshallow": (1, None),
    "h6-mo-dtlz1r8": (2, {"float": 8}),
    "h6-mo-npu": (2, None),
}
ALL = list(DECLARED)
SINGLE = [n for n in ALL if DECLARED[n][0] == 1]
CONTINUOUS = [n for n in SINGLE if DECLARED[n][1] is not None and set(DECLARED[n][1]) == {"float"}]
NAS = ["h6-npu", "h6-wideshallow"]


def test_the_set_is_registered_and_apart_from_every_other_set():
    check_registered("heldout6", DECLARED, heldout6.SEED)


@pytest.mark.parametrize("name", ALL)
def test_dimensions_types_and_determinism(name):
    check_dimensions_and_determinism(name, *DECLARED[name])


@pytest.mark.parametrize("name", [n for n in SINGLE if n not in NAS])
def test_value_at_the_optimum_is_f_opt_and_random_points_are_far_worse(name):
    check_optimum(name, continuous=name in CONTINUOUS)


@pytest.mark.parametrize("name", CONTINUOUS)
def test_the_optimum_is_a_strict_local_minimum(name):
    check_strict_local_minimum(name)


def test_separable_ellipsoid_is_separable_and_qing_has_other_funnels():
    p = get_problem("h6-sep-ellipsoid50")
    x = np.array([p.optimum[f"x{i}"] for i in range(50)])
    base = {f"x{i}": float(v) for i, v in enumerate(x)}
    one = [p.fn({**base, f"x{i}": float(x[i] + 0.1)}) for i in (0, 49)]
    both = p.fn({**base, "x0": float(x[0] + 0.1), "x49": float(x[49] + 0.1)})
    assert both == pytest.approx(sum(one))  # no coupling between coordinates
    assert one[1] > 1e4 * one[0]  # conditioning 1e6 between the first and last axis
    q = get_problem("h6-qing30")
    o = np.array([q.optimum[f"x{i}"] for i in range(30)])
    rng = np.random.default_rng(0)  # from random starts, a local descent lands in funnels as deep as the planted one
    from scipy.optimize import minimize

    ends = [minimize(lambda v: q.fn({f"x{i}": float(t) for i, t in enumerate(v)}), rng.uniform(-2, 2, 30),
                     method="L-BFGS-B", bounds=[(-5, 5)] * 30) for _ in range(3)]
    assert all(r.fun < 1e-6 for r in ends)
    assert max(np.abs(r.x - o).max() for r in ends) > 1.0  # ... and not only the planted one


def test_mixed28_conditions_hold():
    p = get_problem("h6-mixed28")
    o = p.optimum
    n = o["layers"]
    assert p.fn({**o, **{f"w{i}": 512 for i in range(n, 8)}}) == pytest.approx(0.0, abs=1e-12)  # unused widths
    assert p.fn({**o, "w0": 512 if o["w0"] != 512 else 16}) > 0.0
    if o["optimizer"] != "sgd":
        assert p.fn({**o, "momentum": 0.0}) == pytest.approx(0.0, abs=1e-12)  # momentum is SGD's only
    if o["optimizer"] == "lion" or o["optimizer"] == "sgd":
        assert p.fn({**o, "beta2": 0.8}) == pytest.approx(0.0, abs=1e-12)
    others = [q for q in heldout6.OPTIMIZERS if q != o["optimizer"]]
    assert all(p.fn({**o, "optimizer": q}) > 0.2 for q in others)
    # a larger batch moves the best rate up: the planted rate is not best at another batch size
    b = 1024 if o["batch"] != 1024 else 32
    best_other = min(p.fn({**o, "batch": b, "lr": o["lr"] * 10.0 ** k}) for k in np.linspace(-2, 2, 81))
    assert best_other < p.fn({**o, "batch": b})
    for i in range(3):  # the booleans
        f = ("mixup", "cutmix", "ema")[i]
        assert p.fn({**o, f: not o[f]}) == pytest.approx(0.1)
    assert p.fn({**o, **{f: not o[f] for f in ("mixup", "cutmix", "ema")}}) == pytest.approx(0.6)


def test_mixed60_the_planted_partition_is_perfect():
    p = get_problem("h6-mixed60")
    o = p.optimum
    for i in range(12):  # moving one task off its machine always lengthens the makespan
        for m in ("m0", "m1", "m2", "m3"):
            if m != o[f"t{i}"]:
                assert p.fn({**o, f"t{i}": m}) > 0.0
    rng = np.random.default_rng(8)  # random assignments of the tasks are worse (makespan > mean load)
    for _ in range(500):
        a = rng.integers(0, 4, 12)
        assert p.fn({**o, **{f"t{i}": f"m{a[i]}" for i in range(12)}}) >= -1e-12
    assert p.fn({**o, "k0": (o["k0"] + 1) % 32}) > 0.0


@pytest.mark.parametrize("name", NAS)
def test_nas_problems_reference_and_constraints(name):
    check_nas(name)


def test_npu_latency_penalises_depthwise_and_squeeze_excite():
    from gpunet_ray.bench.heldout2 import cpu_latency_ms, gpu_latency_ms
    from gpunet_ray.search_space import arch_stats

    space = heldout6.npu_space()
    dom = get_problem("h6-npu").domain
    ref = space.from_config(dict(get_problem("h6-npu").reference_config))
    se = space.from_config(dom.flat({**heldout6.NPU_REFERENCE, "s4_se": True, "s5_se": True}))
    assert heldout6.npu_latency_ms(arch_stats(se), se) == pytest.approx(
        heldout6.npu_latency_ms(arch_stats(ref), ref) + 0.03 * 3, abs=1e-3)  # 2 + 1 layers gain SE
    specs = [space.from_config(c) for c in dom.from_unit(dom.uniform(np.random.default_rng(5), 40))]
    stats = [arch_stats(s) for s in specs]
    from scipy.stats import spearmanr

    npu = [heldout6.npu_latency_ms(st, s) for st, s in zip(stats, specs)]
    for other in (gpu_latency_ms, cpu_latency_ms):  # a new ranking of latency, not a rescaled earlier proxy
        assert spearmanr(npu, [other(st, s) for st, s in zip(stats, specs)])[0] < 0.97


def test_accuracy_model6_is_not_an_earlier_sets_and_rewards_compute():
    from scipy.stats import spearmanr

    from gpunet_ray.bench.heldout2 import accuracy_model
    from gpunet_ray.bench.heldout3 import accuracy_model3
    from gpunet_ray.bench.heldout4 import accuracy_model4
    from gpunet_ray.bench.heldout5 import accuracy_model5
    from gpunet_ray.search_space import arch_stats, get_space
    from gpunet_ray.search_space.presets import get_preset

    for space, name in ((heldout6.npu_space(), "h6-npu"), (heldout6.wideshallow_space(), "h6-wideshallow")):
        dom = get_problem(name).domain
        specs = [space.from_config(c) for c in dom.from_unit(dom.uniform(np.random.default_rng(6), 40))]
        stats = [arch_stats(s) for s in specs]
        a6 = [heldout6.accuracy_model6(st, s) for st, s in zip(stats, specs)]
        for earlier in (accuracy_model, accuracy_model3, accuracy_model4, accuracy_model5):
            assert spearmanr(a6, [earlier(st, s) for st, s in zip(stats, specs)])[0] < 0.95
    space = get_space("gpunet")
    spec = space.from_config(space.to_config(get_preset("gpunet-2")))
    small = spec.with_resolution(192)
    assert heldout6.accuracy_model6(arch_stats(small), small) < heldout6.accuracy_model6(arch_stats(spec), spec)


def test_multi_objective_held_out_problems():
    p = get_problem("h6-mo-dtlz1r8")
    assert p.fn(p.optimum) == pytest.approx((0.0, 0.5))  # the front's end at x0 = 0 (g = 0)
    for t in (0.25, 0.5, 1.0):  # the distance variables at the centre: the linear front f1 + f2 = 0.5
        assert p.fn({**p.optimum, "x0": t}) == pytest.approx((0.5 * t, 0.5 * (1.0 - t)))
    assert p.ref_point == (10.0, 10.0) and p.max_hv is None
    vals = [p.fn(c) for c in points(p, 40, seed=5)]
    inside = [v for v in vals if v[0] < 10.0 and v[1] < 10.0]
    assert 0 < len(inside) < len(vals)  # random search finds some of the box, not all
    g = get_problem("h6-mo-npu")
    assert g.ref_point == (50.0, 2.0) and g.constraint is not None
    vals = [g.fn(c) for c in points(g, 30, seed=4)]
    assert any(v is None for v in vals) and any(v is not None for v in vals)


def test_cli_selects_the_set_without_running_it(capsys):
    check_cli_lists_the_set("heldout6", "h6", capsys)
