"""Held-out set 5: each problem evaluates, is deterministic, has the declared dimensions, and its optimum
(or documented reference) is right. No searcher runs on this set here (it is to be run once, at the end of the
next round of searcher work): a handful of evaluations per problem only."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heldout_checks import (check_cli_lists_the_set, check_dimensions_and_determinism, check_nas, check_optimum,
                            check_registered, check_strict_local_minimum, points)

from gpunet_ray.bench import heldout5
from gpunet_ray.bench.problems import get_problem

pytestmark = pytest.mark.timeout(120)

#: name -> (objectives, {kind: count}) as declared in gpunet_ray/bench/heldout5.py's docstring
DECLARED = {
    "h5-linear-slope50": (1, {"float": 50}),
    "h5-gallagher21-30": (1, {"float": 30}),
    "h5-happycat20": (1, {"float": 20}),
    "h5-hgbat30": (1, {"float": 30}),
    "h5-zakharov40": (1, {"float": 40}),
    "h5-dixon-price60": (1, {"float": 60}),
    "h5-mixed34": (1, {"categorical": 4, "log": 2, "ordinal": 4, "int": 4, "float": 20}),
    "h5-mixed48": (1, {"int": 16, "categorical": 16, "float": 16}),
    "h5-fusedwide": (1, None),
    "h5-edgecpu": (1, None),
    "h5-mo-zdt4r10": (2, {"float": 10}),
    "h5-mo-edgecpu": (2, None),
}
ALL = list(DECLARED)
SINGLE = [n for n in ALL if DECLARED[n][0] == 1]
CONTINUOUS = [n for n in SINGLE if DECLARED[n][1] is not None and set(DECLARED[n][1]) == {"float"}]
NAS = ["h5-fusedwide", "h5-edgecpu"]


def test_the_set_is_registered_and_apart_from_every_other_set():
    check_registered("heldout5", DECLARED, heldout5.SEED)


@pytest.mark.parametrize("name", ALL)
def test_dimensions_types_and_determinism(name):
    check_dimensions_and_determinism(name, *DECLARED[name])


@pytest.mark.parametrize("name", [n for n in SINGLE if n not in NAS])
def test_value_at_the_optimum_is_f_opt_and_random_points_are_far_worse(name):
    check_optimum(name, continuous=name in CONTINUOUS)


@pytest.mark.parametrize("name", CONTINUOUS)
def test_the_optimum_is_a_strict_local_minimum(name):
    check_strict_local_minimum(name)


def test_linear_slope_optimum_is_the_corner_the_slope_points_to():
    p = get_problem("h5-linear-slope50")
    x = np.array([p.optimum[f"x{i}"] for i in range(50)])
    assert np.all(np.abs(x) == 5.0)
    beyond = {f"x{i}": float(2 * v) for i, v in enumerate(x)}  # clipped back into the box
    assert p.fn(beyond) == pytest.approx(0.0, abs=1e-9)


def test_mixed34_the_family_picks_the_block_that_matters():
    p = get_problem("h5-mixed34")
    o = p.optimum
    fams = ("cnn", "vit", "mlp", "rnn")
    others = [f for f in fams if f != o["family"]]
    moved = {**o, **{f"{f}{i}": 0.0 for f in others for i in range(5)}}
    assert p.fn(moved) == pytest.approx(0.0, abs=1e-12)  # the other families' blocks are ignored
    assert p.fn({**o, f"{o['family']}0": 0.0}) > 0.0
    assert all(p.fn({**o, "family": f}) > 0.3 for f in others)
    for i in range(4):  # no single integer change improves on the planted product
        for v in range(1, 9):
            assert p.fn({**o, f"n{i}": v}) >= -1e-12
    pols = [p.fn({**o, "policy": f"p{k}"}) for k in range(10)]
    assert min(pols) == pytest.approx(0.0, abs=1e-12) and sorted(pols)[1] > 0.0  # one best policy


def test_mixed48_the_chain_optimum_is_exact():
    p = get_problem("h5-mixed48")
    o = p.optimum
    for i in range(16):  # every single categorical change costs nothing or more
        for v in ("a", "b", "c"):
            assert p.fn({**o, f"c{i}": v}) >= -1e-12
        assert p.fn({**o, f"k{i}": (o[f"k{i}"] + 1) % 16}) > 0.0
    rng = np.random.default_rng(8)  # 2,000 random assignments of the chain never beat the planted one
    for _ in range(2000):
        a = rng.integers(0, 3, 16)
        assert p.fn({**o, **{f"c{i}": "abc"[a[i]] for i in range(16)}}) >= -1e-12


@pytest.mark.parametrize("name", NAS)
def test_nas_problems_reference_and_constraints(name):
    check_nas(name)


def test_accuracy_model5_is_not_an_earlier_sets_and_rewards_compute():
    from scipy.stats import spearmanr

    from gpunet_ray.bench.heldout2 import accuracy_model
    from gpunet_ray.bench.heldout3 import accuracy_model3
    from gpunet_ray.bench.heldout4 import accuracy_model4
    from gpunet_ray.search_space import arch_stats, get_space
    from gpunet_ray.search_space.presets import get_preset

    space = heldout5.fusedwide_space()
    dom = get_problem("h5-fusedwide").domain
    specs = [space.from_config(c) for c in dom.from_unit(dom.uniform(np.random.default_rng(6), 40))]
    stats = [arch_stats(s) for s in specs]
    a5 = [heldout5.accuracy_model5(st, s) for st, s in zip(stats, specs)]
    for earlier in (accuracy_model, accuracy_model3, accuracy_model4):  # another ranking of the same archs
        assert spearmanr(a5, [earlier(st, s) for st, s in zip(stats, specs)])[0] < 0.95
    space = get_space("gpunet")
    spec = space.from_config(space.to_config(get_preset("gpunet-2")))
    small = spec.with_resolution(192)
    assert heldout5.accuracy_model5(arch_stats(small), small) < heldout5.accuracy_model5(arch_stats(spec), spec)


def test_multi_objective_held_out_problems():
    p = get_problem("h5-mo-zdt4r10")
    assert p.fn(p.optimum) == pytest.approx((0.0, 1.0))  # the front's end at x0 = 0 (g = 1)
    for t in (0.25, 0.5, 1.0):  # the distance variables at the centre: the front f2 = 1 - sqrt(f1)
        assert p.fn({**p.optimum, "x0": t}) == pytest.approx((t, 1.0 - math.sqrt(t)))
    assert p.ref_point == (1.1, 80.0) and p.max_hv is None
    vals = [p.fn(c) for c in points(p, 40, seed=5)]
    inside = [v for v in vals if v[0] < 1.1 and v[1] < 80.0]
    assert 0 < len(inside) < len(vals)  # random search finds some of the box, not all
    g = get_problem("h5-mo-edgecpu")
    assert g.ref_point == (50.0, 5.0) and g.constraint is not None
    vals = [g.fn(c) for c in points(g, 30, seed=4)]
    assert any(v is None for v in vals) and any(v is not None for v in vals)


def test_cli_selects_the_set_without_running_it(capsys):
    check_cli_lists_the_set("heldout5", "h5", capsys)
