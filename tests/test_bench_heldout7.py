"""Held-out set 7: each problem evaluates, is deterministic, has the declared dimensions, and its optimum
(or documented reference) is right. No searcher runs on this set here (it is to be run once, at the end of the
next round of searcher work): a handful of evaluations per problem only."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heldout_checks import (check_cli_lists_the_set, check_dimensions_and_determinism, check_nas, check_optimum,
                            check_registered, check_strict_local_minimum, points)

from gpunet_ray.bench import heldout7
from gpunet_ray.bench.problems import get_problem

pytestmark = pytest.mark.timeout(120)

#: name -> (objectives, {kind: count}) as declared in gpunet_ray/bench/heldout7.py's docstring
DECLARED = {
    "h7-michalewicz20": (1, {"float": 20}),
    "h7-schwefel12-40": (1, {"float": 40}),
    "h7-trid30": (1, {"float": 30}),
    "h7-griewank60": (1, {"float": 60}),
    "h7-cigtab30": (1, {"float": 30}),
    "h7-bohachevsky30": (1, {"float": 30}),
    "h7-mixed32": (1, {"categorical": 4, "int": 3, "log": 4, "float": 21}),
    "h7-mixed44": (1, {"categorical": 20, "ordinal": 12, "float": 12}),
    "h7-roofline": (1, None),
    "h7-deepthin": (1, None),
    "h7-mo-kursawe10": (2, {"float": 10}),
    "h7-mo-roofline": (2, None),
}
ALL = list(DECLARED)
SINGLE = [n for n in ALL if DECLARED[n][0] == 1]
CONTINUOUS = [n for n in SINGLE if DECLARED[n][1] is not None and set(DECLARED[n][1]) == {"float"}]
NAS = ["h7-roofline", "h7-deepthin"]


def test_the_set_is_registered_and_apart_from_every_other_set():
    check_registered("heldout7", DECLARED, heldout7.SEED)


@pytest.mark.parametrize("name", ALL)
def test_dimensions_types_and_determinism(name):
    check_dimensions_and_determinism(name, *DECLARED[name])


@pytest.mark.parametrize("name", [n for n in SINGLE if n not in NAS])
def test_value_at_the_optimum_is_f_opt_and_random_points_are_far_worse(name):
    check_optimum(name, continuous=name in CONTINUOUS)


@pytest.mark.parametrize("name", CONTINUOUS)
def test_the_optimum_is_a_strict_local_minimum(name):
    check_strict_local_minimum(name)


def test_michalewicz_is_separable_and_its_minimum_is_exact():
    p = get_problem("h7-michalewicz20")
    x = np.array([p.optimum[f"x{i}"] for i in range(20)])
    base = {f"x{i}": float(v) for i, v in enumerate(x)}
    one = [p.fn({**base, f"x{i}": float(x[i] + 0.05)}) for i in (0, 19)]
    both = p.fn({**base, "x0": float(x[0] + 0.05), "x19": float(x[19] + 0.05)})
    assert both == pytest.approx(sum(one))  # no coupling between coordinates
    rng = np.random.default_rng(0)  # no point of a dense scan along any one coordinate beats the optimum
    for i in rng.choice(20, 4, replace=False):
        scan = [p.fn({**base, f"x{i}": float(t)}) for t in np.linspace(-5, 5, 2001)]
        assert min(scan) >= -1e-9


def test_schwefel12_and_trid_couple_their_coordinates():
    for name in ("h7-schwefel12-40", "h7-trid30"):
        p = get_problem(name)
        d = len(p.domain)
        x = np.array([p.optimum[f"x{i}"] for i in range(d)])
        base = {f"x{i}": float(v) for i, v in enumerate(x)}
        one = [p.fn({**base, f"x{i}": float(x[i] + 0.1)}) for i in (0, 1)]
        both = p.fn({**base, "x0": float(x[0] + 0.1), "x1": float(x[1] + 0.1)})
        assert abs(both - sum(one)) > 1e-3 * sum(one), name  # not separable


def test_mixed32_gates_hold():
    p = get_problem("h7-mixed32")
    o = p.optimum
    assert p.fn(o) == pytest.approx(0.0, abs=1e-12)
    if o["booster"] != "dart":  # the drop rates are dart's only
        assert p.fn({**o, "rate_drop": 0.5, "skip_drop": 0.0}) == pytest.approx(0.0, abs=1e-12)
    if o["grow_policy"] == "depthwise":  # max_leaves is lossguide's only, max_depth depthwise's
        assert p.fn({**o, "max_leaves": 256}) == pytest.approx(0.0, abs=1e-12)
    else:
        assert p.fn({**o, "max_depth": 12}) == pytest.approx(0.0, abs=1e-12)
    linear = {**o, "booster": "gblinear"}
    assert p.fn(linear) > 1.0 and p.fn({**linear, "subsample": 0.3, "max_depth": 2}) == pytest.approx(p.fn(linear))
    # more trees want a lower rate: the planted rate is not the best at ten times the trees
    more = {**o, "n_trees": min(3000, o["n_trees"] * 10)}
    assert min(p.fn({**more, "lr": o["lr"] * 10.0 ** k}) for k in np.linspace(-1.5, 0.5, 81)) < p.fn(more)
    assert p.fn({**o, "tree_method": "exact"}) == pytest.approx(0.15)


def test_mixed44_the_planted_bits_are_best():
    p = get_problem("h7-mixed44")
    o = p.optimum
    for i in range(20):  # flipping any bit costs
        assert p.fn({**o, f"b{i}": not o[f"b{i}"]}) > 0.2 - 1e-12
    rng = np.random.default_rng(4)  # flipping pairs costs more than the two flips alone, or as much
    for _ in range(20):
        i, j = rng.choice(20, 2, replace=False)
        one = p.fn({**o, f"b{i}": not o[f"b{i}"]}) + p.fn({**o, f"b{j}": not o[f"b{j}"]})
        assert p.fn({**o, f"b{i}": not o[f"b{i}"], f"b{j}": not o[f"b{j}"]}) >= one - 1e-12
    lv = o["l0"]
    assert p.fn({**o, "l0": lv + 1 if lv < 10 else lv - 1}) > 0.0


@pytest.mark.parametrize("name", NAS)
def test_nas_problems_reference_and_constraints(name):
    check_nas(name)


def test_roofline_latency_is_memory_or_compute_bound_and_new():
    from scipy.stats import spearmanr

    from gpunet_ray.bench.heldout2 import cpu_latency_ms, gpu_latency_ms
    from gpunet_ray.bench.heldout6 import npu_latency_ms
    from gpunet_ray.search_space import arch_stats

    space = heldout7.roofline_space()
    dom = get_problem("h7-roofline").domain
    ref = space.from_config(dict(get_problem("h7-roofline").reference_config))
    se = space.from_config(dom.flat({**heldout7.ROOFLINE_REFERENCE, "s4_se": True}))
    assert heldout7.roofline_latency_ms(arch_stats(se), se) > heldout7.roofline_latency_ms(arch_stats(ref), ref)
    hi = ref.with_resolution(256)
    assert heldout7.roofline_latency_ms(arch_stats(hi), hi) > heldout7.roofline_latency_ms(arch_stats(ref), ref)
    specs = [space.from_config(c) for c in dom.from_unit(dom.uniform(np.random.default_rng(5), 40))]
    stats = [arch_stats(s) for s in specs]
    roof = [heldout7.roofline_latency_ms(st, s) for st, s in zip(stats, specs)]
    for other in (gpu_latency_ms, cpu_latency_ms, npu_latency_ms):  # a new ranking, not a rescaled proxy
        assert spearmanr(roof, [other(st, s) for st, s in zip(stats, specs)])[0] < 0.97


def test_accuracy_model7_is_not_an_earlier_sets_and_rewards_compute():
    from scipy.stats import spearmanr

    from gpunet_ray.bench.heldout2 import accuracy_model
    from gpunet_ray.bench.heldout3 import accuracy_model3
    from gpunet_ray.bench.heldout4 import accuracy_model4
    from gpunet_ray.bench.heldout5 import accuracy_model5
    from gpunet_ray.bench.heldout6 import accuracy_model6
    from gpunet_ray.search_space import arch_stats, get_space
    from gpunet_ray.search_space.presets import get_preset

    for space, name in ((heldout7.roofline_space(), "h7-roofline"), (heldout7.deepthin_space(), "h7-deepthin")):
        dom = get_problem(name).domain
        specs = [space.from_config(c) for c in dom.from_unit(dom.uniform(np.random.default_rng(6), 40))]
        stats = [arch_stats(s) for s in specs]
        a7 = [heldout7.accuracy_model7(st, s) for st, s in zip(stats, specs)]
        for earlier in (accuracy_model, accuracy_model3, accuracy_model4, accuracy_model5, accuracy_model6):
            assert spearmanr(a7, [earlier(st, s) for st, s in zip(stats, specs)])[0] < 0.95
    space = get_space("gpunet")
    spec = space.from_config(space.to_config(get_preset("gpunet-2")))
    small = spec.with_resolution(192)
    assert heldout7.accuracy_model7(arch_stats(small), small) < heldout7.accuracy_model7(arch_stats(spec), spec)


def test_multi_objective_held_out_problems():
    p = get_problem("h7-mo-kursawe10")
    assert p.fn(p.optimum) == pytest.approx((-90.0, 0.0))  # z = 0: f1's minimum (9 pairs of -10)
    vals = [p.fn(c) for c in points(p, 60, seed=5)]
    assert all(v[0] > -90.0 for v in vals)
    inside = [v for v in vals if v[0] < -35.0 and v[1] < 30.0]
    assert p.ref_point == (-35.0, 30.0) and p.max_hv is None
    assert 0 < len(inside) < len(vals)  # the reference leaves part of the random points out
    g = get_problem("h7-mo-roofline")
    assert g.ref_point == (35.0, 6.0) and g.constraint is not None
    vals = [g.fn(c) for c in points(g, 60, seed=4)]
    assert any(v is None for v in vals) and any(v is not None for v in vals)
    inside = [v for v in vals if v is not None and v[0] < 35.0 and v[1] < 6.0]
    assert 0 < len(inside) < len([v for v in vals if v is not None])  # the reference leaves part out
    assert all(math.isfinite(x) for v in vals if v is not None for x in v)


def test_cli_selects_the_set_without_running_it(capsys):
    check_cli_lists_the_set("heldout7", "h7", capsys)
