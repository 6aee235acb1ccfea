"""Held-out set 4: each problem evaluates, is deterministic, has the declared dimensions, and its optimum
(or documented reference) is right. No searcher runs on this set here (it is run once, by docs/bench/heldout4/run.sh): a handful of
evaluations per problem only."""

from __future__ import annotations


import numpy as np
import pytest

from heldout_checks import (check_cli_lists_the_set, check_dimensions_and_determinism, check_nas, check_optimum,
                            check_registered, check_strict_local_minimum, points)

from gpunet_ray.bench import heldout4
from gpunet_ray.bench.problems import get_problem

pytestmark = pytest.mark.timeout(120)

#: name -> (objectives, {kind: count}) as declared in gpunet_ray/bench/heldout4.py's docstring
DECLARED = {
    "h4-attractive-sector30": (1, {"float": 30}),
    "h4-step-ellipsoid20": (1, {"float": 20}),
    "h4-rosenbrock40": (1, {"float": 40}),
    "h4-different-powers30": (1, {"float": 30}),
    "h4-gallagher20": (1, {"float": 20}),
    "h4-katsuura10": (1, {"float": 10}),
    "h4-mixed24": (1, {"categorical": 2, "ordinal": 1, "log": 2, "int": 6, "float": 13}),
    "h4-mixed50": (1, {"categorical": 30, "ordinal": 10, "float": 10}),
    "h4-deepnarrow": (1, None),
    "h4-resmix": (1, None),
    "h4-mo-zdt6r10": (2, {"float": 10}),
    "h4-mo-deepnarrow": (2, None),
}
ALL = list(DECLARED)
SINGLE = [n for n in ALL if DECLARED[n][0] == 1]
BBOB = [n for n in SINGLE if DECLARED[n][1] is not None and set(DECLARED[n][1]) == {"float"}]
NAS = ["h4-deepnarrow", "h4-resmix"]


def test_the_set_is_registered_and_apart_from_every_other_set():
    check_registered("heldout4", DECLARED, heldout4.SEED)


@pytest.mark.parametrize("name", ALL)
def test_dimensions_types_and_determinism(name):
    check_dimensions_and_determinism(name, *DECLARED[name])


@pytest.mark.parametrize("name", [n for n in SINGLE if n not in NAS])
def test_value_at_the_optimum_is_f_opt_and_random_points_are_far_worse(name):
    check_optimum(name, continuous=name in BBOB)


@pytest.mark.parametrize("name", BBOB)
def test_bbob_optimum_is_a_strict_local_minimum(name):
    check_strict_local_minimum(name)


def test_mixed24_the_categorical_moves_the_other_optima():
    p = get_problem("h4-mixed24")
    o = p.optimum
    for d in range(1, 7):  # the integer terms' minima are exhaustive: no single change improves
        for i in range(4):
            assert p.fn({**o, f"d{i}": d}) >= -1e-12
    for e in (10, 40, 100):
        assert p.fn({**o, "epochs": e}) >= -1e-12
    other = next(a for a in ("sgd", "adam", "adamw", "lamb") if a != o["opt"])
    assert p.fn({**o, "opt": other}) > 0.3  # the optimiser matters, and its rate and decay lie elsewhere


def test_mixed50_the_planted_assignment_is_the_optimum():
    p = get_problem("h4-mixed50")
    o = p.optimum
    for i in range(30):  # every single flip of a boolean costs
        assert p.fn({**o, f"b{i}": not o[f"b{i}"]}) > 0.0


@pytest.mark.parametrize("name", NAS)
def test_nas_problems_reference_and_constraints(name):
    check_nas(name)


def test_accuracy_model4_is_not_an_earlier_sets_and_rewards_compute():
    from scipy.stats import spearmanr

    from gpunet_ray.bench.heldout2 import accuracy_model
    from gpunet_ray.bench.heldout3 import accuracy_model3
    from gpunet_ray.search_space import arch_stats, get_space
    from gpunet_ray.search_space.presets import get_preset

    space = heldout4.deepnarrow_space()
    dom = get_problem("h4-deepnarrow").domain
    specs = [space.from_config(c) for c in dom.from_unit(dom.uniform(np.random.default_rng(6), 40))]
    stats = [arch_stats(s) for s in specs]
    a4 = [heldout4.accuracy_model4(st, s) for st, s in zip(stats, specs)]
    for earlier in (accuracy_model, accuracy_model3):  # another ranking of the same architectures
        assert spearmanr(a4, [earlier(st, s) for st, s in zip(stats, specs)])[0] < 0.95
    space = get_space("gpunet")
    spec = space.from_config(space.to_config(get_preset("gpunet-2")))
    small = spec.with_resolution(192)
    assert heldout4.accuracy_model4(arch_stats(small), small) < heldout4.accuracy_model4(arch_stats(spec), spec)


def test_multi_objective_held_out_problems():
    p = get_problem("h4-mo-zdt6r10")
    assert p.fn(p.optimum) == pytest.approx((1.0, 0.0))  # the front's end at x0 = 0
    assert p.ref_point == (1.1, 6.0) and p.max_hv is None
    vals = [p.fn(c) for c in points(p, 40, seed=5)]
    inside = [v for v in vals if v[0] < 1.1 and v[1] < 6.0]
    assert 0 < len(inside) < len(vals)  # random search finds some of the box, not all
    g = get_problem("h4-mo-deepnarrow")
    assert g.ref_point == (35.0, 0.8) and g.constraint is not None
    vals = [g.fn(c) for c in points(g, 30, seed=4)]
    assert any(v is None for v in vals) and any(v is not None for v in vals)


def test_cli_selects_the_set_without_running_it(capsys):
    check_cli_lists_the_set("heldout4", "h4", capsys)
