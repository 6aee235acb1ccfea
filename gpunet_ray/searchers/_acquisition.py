"""Acquisition optimisation: log-EI over the region's candidates, then a polish of the best.

:func:`maximize_log_ei` scores candidates with log-EI (Ament et al., NeurIPS 2023; :mod:`._gp`),
optionally adds small perturbations of the 10 best (``refine``) and polishes the ``starts`` best by
L-BFGS-B within ``radius`` of where they started (``acq_opt="lbfgs"``: the generic :func:`polish` on
:func:`log_ei_at`; the EHVI mode polishes with it too); with ``discrete``, the polished points then climb
over the discrete dimensions (:func:`discrete_ascent`). :func:`maximize_mean` does the same with the
posterior mean (LA-MCTS's ``exploit_every`` picks).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from . import _gp
from ._candidates import perturb
from ._domain import Domain
from ._pareto import dominance_counts

__all__ = ["maximize_log_ei", "maximize_mean", "log_ei_at", "log_qei_at", "polish", "mace_scores", "log_pof_at"]


def maximize_log_ei(gp: "_gp.GP", domain: Domain, C: np.ndarray, best_f: float, rng: np.random.Generator, *,
                    acq_opt: str, refine: bool, starts: int, radius: float, discrete: bool = False,
                    log_weight: Callable[[np.ndarray], np.ndarray] | None = None,
                    extra_starts: np.ndarray | None = None, pending: np.ndarray | None = None,
                    q_samples: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Candidates ``C`` (k x P, unit view) with the extra points of the polish appended, and their log-EI.
    ``pending`` (feature view, the batch's other unevaluated points): log of each point's increment of the
    batch's q-EI instead (:func:`~gpunet_ray.searchers._gp.log_qei_pending`, ``q_samples`` joint draws of
    the pending points from ``rng``, the same for every point scored).
    ``discrete``: the polished points (or, without continuous dimensions, the best candidates) then
    climb over the discrete dimensions too (:func:`discrete_ascent`). ``log_weight`` (unit-view points ->
    log of a weight, e.g. a probability of feasibility) is added to log-EI everywhere, the polish too.
    ``extra_starts`` (unit-view points, e.g. the best observation) are polished too, after the best
    candidates."""
    if pending is not None and len(pending):
        base = log_qei_at(gp, domain, best_f, pending, rng.standard_normal((len(pending), int(q_samples))))
    else:
        base = log_ei_at(gp, domain, best_f)
    ei = base if log_weight is None else (lambda V: base(V) + log_weight(V))
    score = ei(C)
    # second stage: refine around the 10 best candidates (cheap acquisition optimisation)
    top = C[np.argsort(-score, kind="stable")[:10]]
    R = perturb(domain, rng, top, 40, sigma_range=(0.003, 0.05)) if refine else []
    if acq_opt == "lbfgs":
        R = _polished(ei, domain, _with(top[:starts], extra_starts), radius, discrete)
    return _appended(ei, C, score, R)


def maximize_mean(gp: "_gp.GP", domain: Domain, C: np.ndarray, *, acq_opt: str, starts: int,
                  radius: float, discrete: bool = False,
                  extra_starts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`maximize_log_ei` with the posterior mean as the acquisition (pure exploitation)."""
    def mean(V: np.ndarray) -> np.ndarray:
        return gp.predict(domain.unit_to_features(V))[0]

    score = mean(C)
    R = _polished(mean, domain, _with(C[np.argsort(-score, kind="stable")[:starts]], extra_starts), radius,
                  discrete) if acq_opt == "lbfgs" else []
    return _appended(mean, C, score, R)


def _with(top: np.ndarray, extra: np.ndarray | None) -> np.ndarray:
    """The polish's starts: ``top``, then ``extra`` (None: none)."""
    return top if extra is None or not len(extra) else np.vstack([top, np.atleast_2d(extra)])


def mace_scores(gp: "_gp.GP", domain: Domain, C: np.ndarray, best_f: float, n_obs: int,
                rng: np.random.Generator) -> np.ndarray:
    """HEBO's MACE pick (Cowen-Rivers et al., JAIR 2022) over the candidates ``C``: the points that no
    other candidate beats on log-EI, log-PI and UCB at once (UCB's ``kappa`` grows with the number of
    observations ``n_obs``, as in HEBO) come first, in a random order drawn from ``rng``; the rest
    follow by log-EI. Returns scores whose descending order is that preference."""
    from scipy.special import log_ndtr

    mu, sd = gp.predict(domain.unit_to_features(C))
    sd = np.maximum(sd, 1e-12)
    lei = _gp.log_ei(mu, sd, best_f)
    lpi = log_ndtr((mu - best_f) / sd)
    P = len(domain)
    kappa = np.sqrt((2.0 + P / 2.0) * np.log(max(1, n_obs)) + np.log(np.pi ** 2 / 0.01))
    F = np.column_stack([lei, lpi, mu + kappa * sd])
    front = dominance_counts(F) == 0
    rank = np.argsort(np.argsort(lei, kind="stable"), kind="stable") / max(1, len(C))  # [0, 1)
    return np.where(front, 2.0 + rng.random(len(C)), rank)


def log_pof_at(gp: "_gp.GP", domain: Domain) -> Callable[[np.ndarray], np.ndarray]:
    """log of the probability of feasibility under a GP fitted to 0/1 feasibility labels: the label's
    latent mean above one half, ``log Phi((mu - 0.5) / sd)`` (a regression stand-in for a GP classifier,
    as in constrained BO with a feasibility model; Gelbart et al., UAI 2014)."""
    from scipy.special import log_ndtr

    def f(V: np.ndarray) -> np.ndarray:
        mu, sd = gp.predict(domain.unit_to_features(V))
        return log_ndtr((mu - 0.5) / np.maximum(sd, 1e-9))
    return f


def log_ei_at(gp: "_gp.GP", domain: Domain, best_f: float) -> Callable[[np.ndarray], np.ndarray]:
    """log-EI over ``best_f`` as a function of unit-view points."""
    return lambda V: _gp.log_ei(*gp.predict(domain.unit_to_features(V)), best_f)


def log_qei_at(gp: "_gp.GP", domain: Domain, best_f: float, pending: np.ndarray,
               eps: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The q-EI increment over the ``pending`` points (features; draws ``eps``) as a function of unit-view
    points (:func:`~gpunet_ray.searchers._gp.log_qei_pending`; the pending points' draws made once, here)."""
    draws = _gp.PendingDraws(gp, pending, eps)
    return lambda V: draws.log_qei(domain.unit_to_features(V), best_f)


def _polished(acq: Callable[[np.ndarray], np.ndarray], domain: Domain, top: np.ndarray, radius: float,
              discrete: bool) -> np.ndarray:
    """``top`` polished by L-BFGS-B (:func:`polish`), plus, with ``discrete``, their discrete ascent (from
    ``top`` itself where nothing was polished: no continuous dimensions)."""
    R = polish(acq, domain, top, radius=radius)
    if not discrete:
        return R
    D = discrete_ascent(acq, domain, R if len(R) else top)
    return np.vstack([R, D]) if len(R) and len(D) else (D if len(D) else R)


def _appended(acq: Callable[[np.ndarray], np.ndarray], C: np.ndarray, score: np.ndarray,
              R) -> tuple[np.ndarray, np.ndarray]:
    """The candidates with the extra points ``R`` appended, and their scores."""
    if not len(R):
        return C, score
    return np.vstack([C, R]), np.concatenate([score, acq(R)])


def _continuous(domain: Domain) -> np.ndarray:
    """Mask of the continuous dimensions (float and log without a quantum): what L-BFGS-B moves."""
    return np.array([p.kind in ("float", "log") and not p.q for p in domain.params])


def polish(acq: Callable[[np.ndarray], np.ndarray], domain: Domain, starts: np.ndarray, maxiter: int = 40,
           radius: float = 0.1) -> np.ndarray:
    """Polish candidates by L-BFGS-B on an acquisition ``acq`` (unit-view points -> values to
    maximise) over the continuous dims (others fixed), each inside a box of half-width ``radius``
    (unit coordinates) around it. LA-MCTS's default radius is 1.0 (the whole box) with 10 starts: a
    small radius (0.1, the earlier default) keeps each suggestion near what the candidates found, which
    cost it on rotated and higher-dimensional problems (issue 14's ablation, docs/BENCHMARKS.md).

    All starts are polished together as one separable problem (the sum of their -acq), so each
    iteration is one ``acq`` call on ``S * (k + 1)`` points (forward-difference gradients over the
    ``k`` continuous dims). The results are snapped. Empty without continuous dimensions.
    """
    from scipy.optimize import minimize

    d = domain
    cont = _continuous(d)
    if not cont.any() or not len(starts):
        return np.empty((0, len(d)))
    S, k, h = len(starts), int(cont.sum()), 1e-5
    base = np.repeat(np.asarray(starts, dtype=float), k + 1, axis=0)  # (S*(k+1), P)
    step = np.vstack([np.zeros(k), np.eye(k) * h])  # row 0: the point, rows 1..k: +h along one dim

    def f_and_g(z):
        Z = (z.reshape(S, 1, k) + step[None]).reshape(-1, k)
        pts = base.copy()
        pts[:, cont] = np.clip(Z, 0.0, 1.0)
        v = (-acq(pts)).reshape(S, k + 1)
        return float(v[:, 0].sum()), ((v[:, 1:] - v[:, :1]) / h).reshape(-1)

    z0 = np.asarray(starts, dtype=float)[:, cont].reshape(-1)
    bounds = list(zip(np.maximum(z0 - radius, 0.0), np.minimum(z0 + radius, 1.0)))
    try:
        res = minimize(f_and_g, z0, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": maxiter})
        z = res.x
    except (ValueError, FloatingPointError):  # pragma: no cover - numerical trouble: keep the starts
        z = z0
    out = np.asarray(starts, dtype=float).copy()
    out[:, cont] = np.clip(z.reshape(S, k), 0.0, 1.0)
    return d.snap(out)


def discrete_ascent(acq: Callable[[np.ndarray], np.ndarray], domain: Domain, starts: np.ndarray,
                    steps: int = 5, max_values: int = 16) -> np.ndarray:
    """Steepest ascent of ``acq`` over the discrete dimensions (int, ordinal, categorical, quantised),
    the continuous ones fixed: at each step every start moves to its best neighbour that changes one
    discrete dimension to another of its values (all of them for up to ``max_values`` values, else
    ``max_values`` spread over the range plus the 2 bins on either side), while that raises ``acq``.

    The acquisition's counterpart of the continuous polish (Optuna's GP sampler searches discrete
    dimensions the same way). All starts move together: one ``acq`` call per step. Snapped; empty
    without discrete dimensions.
    """
    d = domain
    disc = np.flatnonzero(~_continuous(d))
    if not len(disc) or not len(starts):
        return np.empty((0, len(d)))
    X = d.snap(np.asarray(starts, dtype=float))
    cur = acq(X)
    for _ in range(steps):
        moves = []  # (start index, dim, unit value)
        for s in range(len(X)):
            for j in disc:
                n = d.params[j].n or max_values
                if n <= max_values:
                    vals = (np.arange(n) + 0.5) / n
                else:
                    here = int(min(X[s, j] * n, n - 1))
                    idx = np.unique(np.clip(np.concatenate([np.linspace(0, n - 1, max_values).round(),
                                                            here + np.array([-2, -1, 1, 2])]), 0, n - 1))
                    vals = (idx + 0.5) / n
                vals = vals[np.abs(vals - X[s, j]) > 0.5 / n]
                moves += [(s, j, v) for v in vals]
        if not moves:
            break
        S = np.array([m[0] for m in moves])
        N = X[S].copy()
        N[np.arange(len(moves)), [m[1] for m in moves]] = [m[2] for m in moves]
        N = d.snap(N)
        v = acq(N)
        moved = False
        for s in range(len(X)):
            mine = np.where(S == s)[0]
            if len(mine):
                b = mine[np.argmax(v[mine])]
                if v[b] > cur[s] + 1e-12:
                    X[s], cur[s], moved = N[b], v[b], True
        if not moved:
            break
    return X
