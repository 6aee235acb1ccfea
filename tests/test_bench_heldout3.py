"""Held-out set 3: each problem evaluates, is deterministic, has the declared dimensions, and its optimum
(or documented reference) is right. No searcher runs on this set here (it is to be run once, at the end
of the next change of the searcher): a handful of evaluations per problem only."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gpunet_ray.bench import heldout3
from gpunet_ray.bench.problems import PROBLEM_SETS, get_problem, list_problems, problem_set

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


def _kinds(p) -> dict:
    out: dict = {}
    for q in p.domain.params:
        out[q.kind] = out.get(q.kind, 0) + 1
    return out


def _points(p, n: int = 6, seed: int = 0) -> list[dict]:
    return p.domain.from_unit(p.domain.uniform(np.random.default_rng(seed), n))


def test_the_set_is_registered_and_apart_from_every_other_set():
    assert set(PROBLEM_SETS["heldout3"]) | set(PROBLEM_SETS["heldout3-mo"]) == set(ALL)
    assert problem_set("heldout3") == [n for n in ALL if DECLARED[n][0] == 1]
    assert set(ALL) <= set(list_problems())
    for other in ("all", "tuned", "heldout", "heldout2", "heldout2-mo", "mo"):
        assert not set(ALL) & set(PROBLEM_SETS[other])
    assert heldout3.SEED != 20261129  # not set 2's draws


@pytest.mark.parametrize("name", ALL)
def test_dimensions_types_and_determinism(name):
    a, b = get_problem(name), get_problem(name)  # two constructions: same shifts, rotations, tables
    objectives, kinds = DECLARED[name]
    assert a.objectives == objectives and a.note
    if kinds is not None:
        assert _kinds(a) == kinds and len(a.domain) == sum(kinds.values())
    pts = _points(a)
    va = [a.fn(c) for c in pts]
    assert va == [b.fn(c) for c in pts]
    for v in va:
        if v is not None:
            vals = [v] if objectives == 1 else list(v)
            assert len(vals) == objectives and all(math.isfinite(x) for x in vals)


@pytest.mark.parametrize("name", [n for n in ALL if DECLARED[n][0] == 1 and "gpu" not in n])
def test_value_at_the_optimum_is_f_opt_and_random_points_are_far_worse(name):
    p = get_problem(name)
    assert p.fn(p.optimum) == pytest.approx(p.f_opt, abs=1e-9)
    flat = p.domain.flat(p.optimum)  # the optimum survives the domain's encoding
    assert p.fn(p.domain.from_unit(p.domain.to_unit([flat]))[0]) == pytest.approx(p.f_opt, abs=1e-6)
    assert min(p.fn(c) for c in _points(p, 20, seed=1)) > p.f_opt + 1.0
    if name in BBOB:
        assert np.abs(p.domain.to_unit([flat])[0] - 0.5).max() > 0.1  # not the centre of the box
        centre = p.domain.from_unit(np.full((1, len(p.domain)), 0.5))[0]
        assert p.fn(centre) > p.f_opt + 1.0


@pytest.mark.parametrize("name", BBOB)
def test_bbob_optimum_is_a_strict_local_minimum(name):
    p = get_problem(name)
    x = np.array([p.optimum[f"x{i}"] for i in range(len(p.domain))])
    rng = np.random.default_rng(3)
    for _ in range(5):
        y = x + rng.normal(scale=1e-3, size=len(x))
        assert p.fn({f"x{i}": float(v) for i, v in enumerate(y)}) > p.f_opt


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
    p = get_problem(name)
    assert p.f_opt is None and p.constraint is not None
    assert p.reference_config is not None and p.constraint(p.reference_config)
    assert p.fn(p.reference_config) == pytest.approx(p.reference)
    pts = _points(p, 60, seed=2)
    vals = [p.fn(c) for c in pts]
    assert all((v is None) == (not p.constraint(c)) for c, v in zip(pts, vals))
    assert 0.05 < np.mean([v is not None for v in vals]) < 0.8  # the constraints bind
    feas = [v for v in vals if v is not None]
    assert max(feas) - min(feas) > 1.0  # the model separates architectures


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
    vals = [p.fn(c) for c in _points(p, 40, seed=5)]
    inside = [v for v in vals if v[0] < 1.1 and v[1] < 4.4]
    assert 0 < len(inside) < len(vals)  # random search finds some of the box, not most
    g = get_problem("h3-mo-gpuwide")
    assert g.ref_point == (30.0, 1.5) and g.constraint is not None
    vals = [g.fn(c) for c in _points(g, 30, seed=4)]
    assert any(v is None for v in vals) and any(v is not None for v in vals)


def test_cli_selects_the_set_without_running_it(capsys):
    from gpunet_ray.bench.searchers import main

    assert main(["--set", "heldout3", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(n in out for n in problem_set("heldout3")) and "h3-mo-" not in out
