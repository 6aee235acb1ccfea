"""Checks every held-out problem set shares (``tests/test_bench_heldout{2..8}.py`` call them with their own
declarations): registration and isolation, declared dimensions and determinism, the optimum, a strict local
minimum, the NAS-like problems' reference and constraints, and the CLI. A set's own tests (its mixed
problems' structure, its accuracy model, its two-objective problems) stay in its file."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gpunet_ray.bench.problems import PROBLEM_SETS, get_problem, list_problems, problem_set


def kinds(p) -> dict:
    """``{kind: count}`` of a problem's parameters."""
    out: dict = {}
    for q in p.domain.params:
        out[q.kind] = out.get(q.kind, 0) + 1
    return out


def points(p, n: int = 6, seed: int = 0) -> list[dict]:
    """``n`` uniform configurations of a problem's domain."""
    return p.domain.from_unit(p.domain.uniform(np.random.default_rng(seed), n))


def check_registered(set_name: str, declared: dict, seed: int) -> None:
    """The set (``set_name`` and ``set_name-mo``) holds exactly the declared problems, single-objective ones
    in order, shares none with any other set, and draws from a seed no other held-out set uses."""
    from gpunet_ray.bench import heldout2, heldout3, heldout4, heldout5, heldout6, heldout7, heldout8

    names = list(declared)
    assert set(PROBLEM_SETS[set_name]) | set(PROBLEM_SETS[f"{set_name}-mo"]) == set(names)
    assert problem_set(set_name) == [n for n in names if declared[n][0] == 1]
    assert set(names) <= set(list_problems())
    for other in set(PROBLEM_SETS) - {set_name, f"{set_name}-mo"}:
        assert not set(names) & set(PROBLEM_SETS[other]), other
    seeds = [m.SEED for m in (heldout2, heldout3, heldout4, heldout5, heldout6, heldout7, heldout8)]
    assert seed in seeds and len(set(seeds)) == len(seeds)  # not an earlier set's draws


def check_dimensions_and_determinism(name: str, objectives: int, declared_kinds: dict | None) -> None:
    """Declared objectives and parameter kinds; two constructions evaluate alike; values are finite."""
    a, b = get_problem(name), get_problem(name)  # two constructions: same shifts, rotations, tables
    assert a.objectives == objectives and a.note
    if objectives == 2:
        assert a.ref_point is not None and len(a.ref_point) == 2
    if declared_kinds is not None:
        assert kinds(a) == declared_kinds and len(a.domain) == sum(declared_kinds.values())
    pts = points(a)
    va = [a.fn(c) for c in pts]
    assert va == [b.fn(c) for c in pts]
    for v in va:
        if v is not None:
            vals = [v] if objectives == 1 else list(v)
            assert len(vals) == objectives and all(math.isfinite(x) for x in vals)


def check_optimum(name: str, continuous: bool) -> None:
    """``f_opt`` at the optimum (also after the domain's encoding); 20 random points are far worse; a
    continuous problem's optimum is inside ``[-5, 5]``, off the box's centre, and the centre is far worse."""
    p = get_problem(name)
    assert p.fn(p.optimum) == pytest.approx(p.f_opt, abs=1e-9)
    flat = p.domain.flat(p.optimum)  # the optimum survives the domain's encoding
    assert p.fn(p.domain.from_unit(p.domain.to_unit([flat]))[0]) == pytest.approx(p.f_opt, abs=1e-6)
    assert min(p.fn(c) for c in points(p, 20, seed=1)) > p.f_opt + 1.0
    if continuous:
        x = np.array([p.optimum[f"x{i}"] for i in range(len(p.domain))])
        assert np.abs(x).max() <= 5.0 and np.abs(p.domain.to_unit([flat])[0] - 0.5).max() > 0.1
        centre = p.domain.from_unit(np.full((1, len(p.domain)), 0.5))[0]
        assert p.fn(centre) > p.f_opt + 1.0


def check_strict_local_minimum(name: str) -> None:
    """Five random steps of size ~1e-3 from a continuous problem's optimum all do worse (at the box's
    boundary the step goes inwards: an optimum may be a corner)."""
    p = get_problem(name)
    x = np.array([p.optimum[f"x{i}"] for i in range(len(p.domain))])
    rng = np.random.default_rng(3)
    for _ in range(5):
        step = rng.normal(scale=1e-3, size=len(x))
        step = np.where(np.abs(x) >= 5.0, -np.sign(x) * np.abs(step), step)
        assert p.fn({f"x{i}": float(v) for i, v in enumerate(x + step)}) > p.f_opt


def check_nas(name: str, n: int = 60) -> None:
    """A NAS-like problem: unknown optimum, a known constraint that its documented reference meets and
    that agrees with infeasible values, binds on 5-80 % of ``n`` random configurations, and a model that
    separates the feasible ones by more than a point."""
    p = get_problem(name)
    assert p.f_opt is None and p.constraint is not None
    assert p.reference_config is not None and p.constraint(p.reference_config)
    assert p.fn(p.reference_config) == pytest.approx(p.reference)
    pts = points(p, n, seed=2)
    vals = [p.fn(c) for c in pts]
    assert all((v is None) == (not p.constraint(c)) for c, v in zip(pts, vals))
    assert 0.05 < np.mean([v is not None for v in vals]) < 0.8  # the constraints bind
    feas = [v for v in vals if v is not None]
    assert max(feas) - min(feas) > 1.0  # the model separates architectures


def check_cli_lists_the_set(set_name: str, prefix: str, capsys) -> None:
    """``--set NAME --list`` prints the set's single-objective problems (not its two-objective ones) and
    runs nothing."""
    from gpunet_ray.bench.searchers import main

    assert main(["--set", set_name, "--list"]) == 0
    out = capsys.readouterr().out
    assert all(n in out for n in problem_set(set_name)) and f"{prefix}-mo-" not in out
