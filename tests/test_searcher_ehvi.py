"""LA-MCTS's expected-hypervolume-improvement mode (``mo_acquisition="ehvi"``) and its 2-D geometry."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from gpunet_ray.errors import ConfigError
from gpunet_ray.searchers import LAMCTS, Domain, Param
from gpunet_ray.searchers._ehvi import ehvi_2d, ehvi_scores, hvi_2d, reference_point


def _grid_hv(F: np.ndarray, ref: np.ndarray, n: int = 801) -> float:
    """Hypervolume (minimised) of ``F`` below ``ref`` by counting grid cells: the reference."""
    g = np.linspace(0.0, ref[0], n)
    h = np.linspace(0.0, ref[1], n)
    X, Y = np.meshgrid(g, h)
    dom = np.zeros_like(X, dtype=bool)
    for f in F:
        dom |= (X >= f[0]) & (Y >= f[1])
    return float(dom.mean() * ref[0] * ref[1])


def test_hvi_2d_matches_a_grid_count():
    rng = np.random.default_rng(0)
    ref = np.array([4.0, 3.0])
    front = rng.uniform(0.5, 3.5, (6, 2))  # dominated members too: they must not count twice
    P = np.vstack([rng.uniform(0.0, 4.5, (12, 2)), [[5.0, 0.1], [0.1, 5.0], [0.0, 0.0]]])
    got = hvi_2d(P, front, ref)
    base = _grid_hv(front, ref)
    want = [_grid_hv(np.vstack([front, p]), ref) - base for p in P]
    assert np.allclose(got, want, atol=0.03)
    assert got[-3] == 0.0 and got[-2] == 0.0  # outside the box: no gain
    assert got[-1] == pytest.approx(ref[0] * ref[1] - base, abs=0.03)
    assert hvi_2d(P[:3], np.empty((0, 2)), ref) == pytest.approx(np.prod(np.clip(ref - P[:3], 0, None), 1))


def test_reference_point_is_beyond_the_front_not_the_worst_point():
    F = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [9.0, 9.0]])  # (9, 9) is dominated
    assert np.allclose(reference_point(F), [1.1, 1.1])


def test_ehvi_prefers_the_gap_in_the_front_and_is_seeded():
    front = np.array([[0.0, 1.0], [1.0, 0.0]])
    ref = np.array([1.5, 1.5])
    means = np.array([[0.4, 0.4], [0.9, 0.9], [2.0, 2.0]])
    stds = np.full((3, 2), 0.05)
    a = ehvi_scores(means, stds, front, ref, np.random.default_rng(1))
    assert a[0] > a[1] > 0.0 and a[2] == 0.0
    assert np.array_equal(a, ehvi_scores(means, stds, front, ref, np.random.default_rng(1)))


def test_exact_ehvi_matches_monte_carlo():
    """The closed form against 200,000 Monte-Carlo samples (standard error ~0.003 here), a zero standard
    deviation included; and a candidate far beyond the reference keeps a tiny positive value, not 0."""
    rng = np.random.default_rng(0)
    ref = np.array([4.0, 3.0])
    for _ in range(4):
        front = rng.uniform(0.2, 3.5, (7, 2))
        means, stds = rng.uniform(-0.5, 4.5, (10, 2)), rng.uniform(0.0, 1.0, (10, 2))
        stds[0] = 0.0
        exact = ehvi_2d(means, stds, front, ref)
        mc = ehvi_scores(means, stds, front, ref, np.random.default_rng(1), samples=200_000)
        assert np.allclose(exact, mc, atol=0.015)
        assert exact[0] == pytest.approx(hvi_2d(means[:1], front, ref)[0])  # no spread: the improvement itself
    far = ehvi_2d(np.array([[6.0, 5.0]]), np.array([[1.0, 1.0]]), front, ref)
    assert 0.0 < far[0] < 1e-3


def _branin_currin_like(c):  # two conflicting objectives on [0, 1]^2, both minimised
    x, y = c["x0"], c["x1"]
    return ((x - 0.2) ** 2 + (y - 0.8) ** 2, (x - 0.8) ** 2 + (y - 0.3) ** 2)


def _run(opt, rounds=5, batch=6):
    for _ in range(rounds):
        for c in opt.ask(batch):
            opt.tell(c, _branin_currin_like(c))
    return opt


def _hv(opt, ref):
    F = np.array([p["value"] for p in opt.pareto_front()])
    return _grid_hv(F, ref, n=401)


@pytest.mark.slow
def test_ehvi_mode_fills_the_front_better_than_parego_on_a_two_objective_bowl():
    dom = Domain([Param("x0", "float", 0.0, 1.0), Param("x1", "float", 0.0, 1.0)])
    ref = np.array([0.8, 0.8])
    hv = {m: [_hv(_run(LAMCTS(dom, seed=s, objectives=2, maximize=(False, False), mo_acquisition=m,
                             ref_point=tuple(ref) if m == "ehvi" else None)), ref) for s in range(2)]
          for m in ("parego", "ehvi")}
    assert min(hv["ehvi"]) > max(hv["parego"]) * 0.98  # at least as good on every seed
    assert np.mean(hv["ehvi"]) > np.mean(hv["parego"])


def test_ehvi_options_are_validated_and_survive_a_state_round_trip():
    dom = Domain([Param("x0", "float", 0.0, 1.0), Param("x1", "float", 0.0, 1.0)])
    with pytest.raises(ConfigError, match="two objectives"):
        LAMCTS(dom, mo_acquisition="ehvi")
    with pytest.raises(ConfigError, match="mo_acquisition"):
        LAMCTS(dom, objectives=2, mo_acquisition="nehvi")
    with pytest.raises(ConfigError, match="ref_point"):
        LAMCTS(dom, objectives=2, mo_acquisition="ehvi", ref_point=(1.0,))
    with pytest.raises(ConfigError, match="ref_point must be numbers"):
        LAMCTS(dom, objectives=2, mo_acquisition="ehvi", ref_point=(1.0, "far"))
    resolved = {(k, r): LAMCTS(dom, objectives=k, **({"ref_point": (0.8,) * k} if r else {})).options.mo_acquisition
                for k in (1, 2) for r in (False, True)}  # "auto": ehvi exactly when two objectives have a ref_point
    assert resolved == {(1, False): "parego", (1, True): "parego", (2, False): "parego", (2, True): "ehvi"}
    assert LAMCTS(dom, objectives=2, mo_acquisition="parego", ref_point=(0.8, 0.8)).options.mo_acquisition == "parego"
    a = _run(LAMCTS(dom, seed=3, objectives=2, maximize=(False, False), ref_point=(0.8, 0.8)), rounds=3)
    state = json.loads(json.dumps(a.state_dict()))
    b = LAMCTS(dom, seed=99, objectives=2, maximize=(False, False))
    b.load_state_dict(state)
    assert b.options.mo_acquisition == "ehvi" and b.options.ref_point == (0.8, 0.8)
    assert a.ask(4) == b.ask(4)  # the per-objective GPs' hyper-parameters travel in the state
    assert all(math.isfinite(v) for p in a.pareto_front() for v in p["value"])


def test_polish_climbs_any_acquisition_inside_its_box():
    """The L-BFGS polish (shared by log-EI and log-EHVI) moves only continuous dims, at most ``radius``."""
    from gpunet_ray.searchers._acquisition import polish

    dom = Domain([Param("x0", "float", 0.0, 1.0), Param("x1", "float", 0.0, 1.0), Param("k", "int", 0, 4)])
    acq = lambda V: -((V[:, :2] - 0.3) ** 2).sum(1)  # noqa: E731  (peak at x = (0.3, 0.3))
    starts = dom.snap(np.array([[0.5, 0.32, 0.6], [0.35, 0.31, 0.1]]))
    out = polish(acq, dom, starts, radius=0.1)
    assert np.allclose(out[0, :2], [0.4, 0.3], atol=1e-4)  # held at the box's edge on x0
    assert np.allclose(out[1, :2], [0.3, 0.3], atol=1e-4)
    assert np.array_equal(out[:, 2], starts[:, 2])


def test_ehvi_batch_is_spread_when_the_gain_lies_in_the_posterior_tail():
    """Branin-Currin with its reference point (18, 6): after the design no point lies in the box, so the
    whole gain is in the posterior's tail. The batch's earlier picks must shrink the variance where they
    are (kriging believer); before, all 8 picks of a batch landed on one spot (seed 4: (0.04, 0.71))."""
    from gpunet_ray.bench.problems import get_problem

    prob = get_problem("branin-currin")
    opt = LAMCTS(prob.domain, seed=4, objectives=2, maximize=(False, False), mo_acquisition="ehvi",
                 ref_point=prob.ref_point)
    for c in opt.ask(8):  # the space-filling design
        opt.tell(c, prob.fn(prob.domain.flat(c)))
    X = np.array([[c["x0"], c["x1"]] for c in opt.ask(8)])
    dist = np.linalg.norm(X[:, None] - X[None], axis=-1)[np.triu_indices(len(X), 1)]
    assert dist.min() > 0.02, X
