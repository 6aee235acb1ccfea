"""Held-out set 3: each problem evaluates, is deterministic, has the declared dimensions, and its optimum
(or documented reference) is right. No searcher runs on this set here (it is to be run once, at the end
of the next change of the searcher): a handful of evaluations per problem only."""

from __future__ import annotations

import pytest

from heldout_checks import (check_cli_lists_the_set, check_dimensions_and_determinism, check_nas, check_optimum,
                            check_registered, check_strict_local_minimum, points)

from gpunet_ray.bench import heldout3
from gpunet_ray.bench.problems import get_problem

pytestmark = pytest.mark.timeout(120)

#: name -> (objectives, {kind: count}) as declared in gpunet_ray/bench/heldout3.py's docstring
DECLARED = {
    "h3-discus30": (1, {"float": 30}),
    "h3-bentcigar50": (1, {"float": 50}),
    "h3-sharpridge20": (1, {"float": 20}),
    "h3-weierstrass20": (1, {"float": 20}),
    "h3-schaffers40": (1, {"float": 40}),
    "h3-griewank-rosenbrock40": (1, {"float": 40}),
    "h3-mixed16": (1, {"categorical": 1, "float": 10, "int": 3, "ordinal": 1, "log": 1}),
    "h3-mixed40": (1, {"categorical": 20, "int": 10, "float": 10}),
    "h3-gpuwide": (1, None),
    "h3-gpunet-cpu": (1, {"ordinal": 30, "categorical": 14}),
    "h3-mo-dtlz7r12": (2, {"float": 12}),
    "h3-mo-gpuwide": (2, None),
}
ALL = list(DECLARED)
BBOB = [n for n in ALL if DECLARED[n][1] is not None and set(DECLARED[n][1]) == {"float"} and DECLARED[n][0] == 1]


def test_the_set_is_registered_and_apart_from_every_other_set():
    check_registered("heldout3", DECLARED, heldout3.SEED)


@pytest.mark.parametrize("name", ALL)
def test_dimensions_types_and_determinism(name):
    check_dimensions_and_determinism(name, *DECLARED[name])


@pytest.mark.parametrize("name", [n for n in ALL if DECLARED[n][0] == 1 and "gpu" not in n])
def test_value_at_the_optimum_is_f_opt_and_random_points_are_far_worse(name):
    check_optimum(name, continuous=name in BBOB)


@pytest.mark.parametrize("name", BBOB)
def test_bbob_optimum_is_a_strict_local_minimum(name):
    check_strict_local_minimum(name)


def test_mixed16_optimum_is_the_exhaustive_integer_minimum():
    p = get_problem("h3-mixed16")
    best = p.fn(p.optimum)
    for n0 in range(1, 9):  # every integer triple, the rest at the optimum
        for n1 in range(1, 9):
            for n2 in range(1, 9):
                assert p.fn({**p.optimum, "n0": n0, "n1": n1, "n2": n2}) >= best - 1e-12
    other = next(a for a in ("conv", "attn", "mlp") if a != p.optimum["arch"])
    assert p.fn({**p.optimum, "arch": other}) > best  # the categorical matters


@pytest.mark.parametrize("name", ["h3-gpuwide", "h3-gpunet-cpu"])
def test_nas_problems_reference_and_constraints(name):
    check_nas(name)


def test_accuracy_model3_is_not_set_2s_and_rewards_compute():
    from gpunet_ray.bench.heldout2 import accuracy_model
    from gpunet_ray.search_space import arch_stats, get_space
    from gpunet_ray.search_space.presets import get_preset

    space = get_space("gpunet")
    spec = space.from_config(space.to_config(get_preset("gpunet-2")))
    st = arch_stats(spec)
    assert heldout3.accuracy_model3(st, spec) != pytest.approx(accuracy_model(st, spec), abs=0.5)
    small = spec.with_resolution(192)
    assert heldout3.accuracy_model3(arch_stats(small), small) < heldout3.accuracy_model3(st, spec)
    assert get_problem("h3-gpunet-cpu").reference == pytest.approx(100 - heldout3.accuracy_model3(st, spec))


def test_multi_objective_held_out_problems():
    p = get_problem("h3-mo-dtlz7r12")
    assert p.fn(p.optimum) == pytest.approx((0.0, 4.0))  # the front's end at x0 = 0
    assert p.ref_point == (1.1, 4.4) and p.max_hv is None
    vals = [p.fn(c) for c in points(p, 40, seed=5)]
    inside = [v for v in vals if v[0] < 1.1 and v[1] < 4.4]
    assert 0 < len(inside) < len(vals)  # random search finds some of the box, not most
    g = get_problem("h3-mo-gpuwide")
    assert g.ref_point == (30.0, 1.5) and g.constraint is not None
    vals = [g.fn(c) for c in points(g, 30, seed=4)]
    assert any(v is None for v in vals) and any(v is not None for v in vals)


def test_cli_selects_the_set_without_running_it(capsys):
    check_cli_lists_the_set("heldout3", "h3", capsys)
