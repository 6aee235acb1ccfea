"""Held-out set 2 (issue 14): each problem evaluates, is deterministic, has the declared dimensions and
its optimum (or documented reference) is right. No searcher runs on this set here: a handful of
evaluations per problem only (the set is run once, at the end)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gpunet_ray.bench import heldout2
from gpunet_ray.bench.problems import PROBLEM_SETS, get_problem, list_problems, problem_set

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


def _kinds(p) -> dict:
    out: dict = {}
    for q in p.domain.params:
        out[q.kind] = out.get(q.kind, 0) + 1
    return out


def _points(p, n: int = 6, seed: int = 0) -> list[dict]:
    return p.domain.from_unit(p.domain.uniform(np.random.default_rng(seed), n))


def test_the_set_is_registered_named_and_kept_out_of_all():
    assert set(PROBLEM_SETS["heldout2"]) | set(PROBLEM_SETS["heldout2-mo"]) == set(ALL)
    assert problem_set("heldout2") == [n for n in ALL if DECLARED[n][0] == 1]
    assert set(ALL) <= set(list_problems())
    assert not set(ALL) & set(PROBLEM_SETS["all"]) and not set(ALL) & set(PROBLEM_SETS["tuned"])
    assert heldout2.SEED == 20261129


@pytest.mark.parametrize("name", ALL)
def test_dimensions_and_types_are_as_declared(name):
    p = get_problem(name)
    objectives, kinds = DECLARED[name]
    assert p.objectives == objectives and _kinds(p) == kinds and len(p.domain) == sum(kinds.values())
    assert p.note
    if objectives == 2:
        assert p.ref_point is not None and len(p.ref_point) == 2


@pytest.mark.parametrize("name", ALL)
def test_evaluates_and_is_deterministic(name):
    a, b = get_problem(name), get_problem(name)  # two constructions: same shifts, rotations, tables
    pts = _points(a)
    va = [a.fn(c) for c in pts]
    assert va == [b.fn(c) for c in pts] == [a.fn(c) for c in pts]
    for v in va:
        if v is None:
            continue
        vals = [v] if a.objectives == 1 else list(v)
        assert len(vals) == a.objectives and all(math.isfinite(x) for x in vals)


@pytest.mark.parametrize("name", [n for n in ALL if get_problem(n).f_opt is not None])
def test_value_at_the_shifted_optimum_is_f_opt(name):
    p = get_problem(name)
    assert p.fn(p.optimum) == pytest.approx(p.f_opt, abs=1e-9)
    flat = p.domain.flat(p.optimum)  # the optimum is a point of the domain (it survives the encoding)
    assert p.fn(p.domain.from_unit(p.domain.to_unit([flat]))[0]) == pytest.approx(p.f_opt, abs=1e-6)
    vals = [p.fn(c) for c in _points(p, 20, seed=1)]
    assert min(vals) > p.f_opt + 1.0  # random points are far worse
    if all(q.kind in ("float", "log") for q in p.domain.params):
        u = p.domain.to_unit([flat])[0]
        assert np.abs(u - 0.5).max() > 0.1  # not the centre of the box
        centre = p.domain.from_unit(np.full((1, len(p.domain)), 0.5))[0]
        assert p.fn(centre) > p.f_opt + 1.0


def test_bbob_optimum_is_a_strict_local_minimum():
    for name in ("h2-ellipsoid20", "h2-rastrigin20", "h2-schwefel20", "h2-bueche40", "h2-lunacek20"):
        p = get_problem(name)
        x = np.array([p.optimum[f"x{i}"] for i in range(len(p.domain))])
        rng = np.random.default_rng(3)
        for _ in range(5):
            y = x + rng.normal(scale=1e-3, size=len(x))
            assert p.fn({f"x{i}": float(v) for i, v in enumerate(y)}) > p.f_opt


@pytest.mark.parametrize("name", ["h2-gpunet", "h2-mobile"])
def test_nas_problems_reference_and_constraints(name):
    p = get_problem(name)
    assert p.f_opt is None and p.constraint is not None
    assert p.reference_config is not None and p.constraint(p.reference_config)
    assert p.fn(p.reference_config) == pytest.approx(p.reference)
    assert 0.0 < p.reference < 100.0
    pts = _points(p, 40, seed=2)
    vals = [p.fn(c) for c in pts]
    assert all((v is None) == (not p.constraint(c)) for c, v in zip(pts, vals))
    assert 0.05 < np.mean([v is not None for v in vals]) < 0.8  # the constraints bind


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
    vals = [g.fn(c) for c in _points(g, 20, seed=4)]
    assert any(v is None for v in vals) and any(v is not None for v in vals)


def test_cli_selects_the_set_without_running_it(capsys):
    from gpunet_ray.bench.searchers import main

    assert main(["--set", "heldout2", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(n in out for n in problem_set("heldout2")) and "h2-mo-" not in out
    from gpunet_ray.cli import UsageError

    with pytest.raises(UsageError):
        main(["--set", "nope", "--list"])
    with pytest.raises(UsageError):
        main(["--set", "heldout2", "--problems", "hartmann6", "--list"])
