"""Held-out set 2 (issue 14): each problem evaluates, is deterministic, has the declared dimensions and
its optimum (or documented reference) is right. No searcher runs on this set here: a handful of
evaluations per problem only (the set is run once, at the end)."""

from __future__ import annotations

import math

import pytest

from heldout_checks import (check_cli_lists_the_set, check_dimensions_and_determinism, check_nas, check_optimum,
                            check_registered, check_strict_local_minimum, points)

from gpunet_ray.bench import heldout2
from gpunet_ray.bench.problems import get_problem

pytestmark = pytest.mark.timeout(120)

#: name -> (objectives, {kind: count}) as declared in gpunet_ray/bench/heldout2.py's docstring
DECLARED = {
    "h2-ellipsoid20": (1, {"float": 20}),
    "h2-ellipsoid60": (1, {"float": 60}),
    "h2-rastrigin20": (1, {"float": 20}),
    "h2-rastrigin40": (1, {"float": 40}),
    "h2-schwefel20": (1, {"float": 20}),
    "h2-bueche40": (1, {"float": 40}),
    "h2-lunacek20": (1, {"float": 20}),
    "h2-mixed20": (1, {"float": 8, "log": 2, "int": 4, "categorical": 6}),
    "h2-mixed30": (1, {"int": 12, "ordinal": 6, "categorical": 8, "float": 4}),
    "h2-gpunet": (1, {"ordinal": 30, "categorical": 14}),
    "h2-mobile": (1, {"ordinal": 25, "categorical": 11}),
    "h2-mo-dtlz2r10": (2, {"float": 10}),
    "h2-mo-gpunet": (2, {"ordinal": 30, "categorical": 14}),
}
ALL = list(DECLARED)


def test_the_set_is_registered_named_and_kept_out_of_all():
    check_registered("heldout2", DECLARED, heldout2.SEED)
    assert heldout2.SEED == 20261129


@pytest.mark.parametrize("name", ALL)
def test_dimensions_types_and_determinism(name):
    check_dimensions_and_determinism(name, *DECLARED[name])


@pytest.mark.parametrize("name", [n for n in ALL if get_problem(n).f_opt is not None])
def test_value_at_the_shifted_optimum_is_f_opt(name):
    check_optimum(name, continuous=all(q.kind == "float" for q in get_problem(name).domain.params))


@pytest.mark.parametrize("name", ["h2-ellipsoid20", "h2-rastrigin20", "h2-schwefel20", "h2-bueche40",
                                  "h2-lunacek20"])
def test_bbob_optimum_is_a_strict_local_minimum(name):
    check_strict_local_minimum(name)


@pytest.mark.parametrize("name", ["h2-gpunet", "h2-mobile"])
def test_nas_problems_reference_and_constraints(name):
    check_nas(name, n=40)
    assert 0.0 < get_problem(name).reference < 100.0


def test_nas_models_are_documented_values():
    from gpunet_ray.search_space import arch_stats
    from gpunet_ray.search_space.presets import get_preset

    spec = get_preset("gpunet-2")
    st = arch_stats(spec)
    assert heldout2.gpu_latency_ms(st, spec) == pytest.approx(1.089, abs=1e-3)
    assert heldout2.accuracy_model(st, spec) == pytest.approx(79.384, abs=1e-3)
    from gpunet_ray.search_space import get_space

    space = get_space("gpunet")
    inside = space.from_config(space.to_config(spec))  # the space's GPUNet-2: the head is its stage-0 conv
    ref = 100 - heldout2.accuracy_model(arch_stats(inside), inside)
    assert get_problem("h2-gpunet").reference == pytest.approx(ref)
    assert get_problem("h2-gpunet").reference == pytest.approx(20.566, abs=1e-3)
    assert get_problem("h2-mobile").reference == pytest.approx(43.893, abs=1e-3)


def test_multi_objective_held_out_problems():
    p = get_problem("h2-mo-dtlz2r10")
    f1, f2 = p.fn(p.optimum)
    assert f1 ** 2 + f2 ** 2 == pytest.approx(1.0)  # on the front (the quarter circle)
    assert p.max_hv == pytest.approx(1.21 - math.pi / 4) and p.ref_point == (1.1, 1.1)
    g = get_problem("h2-mo-gpunet")
    assert g.ref_point == (30.0, 3.0) and g.max_hv is None
    vals = [g.fn(c) for c in points(g, 20, seed=4)]
    assert any(v is None for v in vals) and any(v is not None for v in vals)


def test_cli_selects_the_set_without_running_it(capsys):
    from gpunet_ray.bench.searchers import main

    check_cli_lists_the_set("heldout2", "h2", capsys)
    from gpunet_ray.cli import UsageError

    with pytest.raises(UsageError):
        main(["--set", "nope", "--list"])
    with pytest.raises(UsageError):
        main(["--set", "heldout2", "--problems", "hartmann6", "--list"])
