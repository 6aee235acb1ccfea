"""Candidate generation inside a selected region, and the TuRBO trust region.

:func:`region_candidates` draws the points the acquisition scores: local moves of the region's best
observations (Gaussian steps of random size, or uniform steps inside a TuRBO trust region scaled by
the GP's lengthscales) plus uniform samples, snapped to the domain's grid, and keeps those inside the
region (every classifier on the tree path agrees). :func:`perturb` makes small Gaussian moves around
given points (no region test). :class:`TrustRegion` is TuRBO's side length with its success/failure
counters (Eriksson et al., "Scalable global optimization via local Bayesian optimization", NeurIPS 2019).
Every draw comes from the generator passed in.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ._domain import Domain
from ._tree import in_region

__all__ = ["TrustRegion", "region_candidates", "perturb"]


@dataclass
class TrustRegion:
    """TuRBO's trust region: side ``length`` (unit coordinates) and its success/failure counters."""

    length: float = 0.8
    succ: int = 0
    fail: int = 0
    best: float | None = None
    batch: int = 1  # the size of the last ask (failure tolerance is per batch)

    def update(self, value: float | None, n_params: int) -> None:
        """One told result: ``value`` maximised, or None (infeasible, or several objectives)."""
        if value is None:
            self.fail += 1
        elif self.best is None or value > self.best + 1e-3 * abs(self.best):
            self.succ += 1
            self.fail = 0
            self.best = value
        else:
            self.fail += 1
            self.succ = 0
        fail_tol = max(1, math.ceil(max(4.0, n_params) / max(1, self.batch)))
        if self.succ >= 3:
            self.length, self.succ = min(1.6, 2 * self.length), 0
        elif self.fail >= fail_tol:
            self.length, self.fail = self.length / 2, 0
            if self.length < 0.5**7:
                self.length = 0.8

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrustRegion":
        return cls(**d)


def region_candidates(domain: Domain, rng: np.random.Generator, U_all: np.ndarray, order: np.ndarray, c: int,
                      path: list, *, n: int, local_fraction: float, trust: TrustRegion | None = None,
                      lengthscale: np.ndarray | None = None, cov_fraction: float = 0.0) -> np.ndarray:
    """Candidates (k x P, unit view) for one suggestion inside the region of ``path``.

    Args:
        U_all: every observation in the unit view (N x P).
        order: the region's feasible observations, best first; ``c``: the centre (``order[0]``).
        n: candidates to draw; ``local_fraction`` of them are local moves (all of them with ``trust``).
        trust: draw the local moves uniformly inside this TuRBO trust region instead of Gaussian steps;
            ``lengthscale`` (the GP's, one per parameter) shapes it when given.

        cov_fraction: this share of the local moves are Gaussian steps shaped by the covariance of the
            region's best ``max(10, 2 P)`` observations (numeric dims; an estimation-of-distribution
            step, as CMA-ES takes: it follows a rotated valley that axis-free steps cross).

    Local moves start from ``c`` (half of them) or one of the 5 best; each moves a random subset of
    about 20 numeric parameters; categorical parameters are resampled with probability 0.2 each.
    Falls back to the local moves alone when fewer than ``max(10, n / 20)`` candidates lie inside.
    """
    d = domain
    P = len(d)
    numeric = d.numeric_mask
    n_loc = n if trust is not None else int(round(local_fraction * n))
    centres = order[: max(1, min(5, len(order)))]
    pick = np.where(rng.random(n_loc) < 0.5, c, rng.choice(centres, n_loc))
    base = U_all[pick]
    prob = min(1.0, 20.0 / P)
    mask = rng.random((n_loc, P)) < prob
    mask[np.arange(n_loc), rng.integers(0, P, n_loc)] = True
    if trust is not None:
        ls = np.ones(P)
        if lengthscale is not None:
            ls = np.asarray(lengthscale, dtype=float)
            ls = ls / np.exp(np.mean(np.log(ls)))
        half = 0.5 * trust.length * ls
        step = rng.uniform(-1, 1, (n_loc, P)) * half
    else:
        sig = np.exp(rng.uniform(math.log(0.01), math.log(0.3), (n_loc, 1)))
        step = rng.normal(size=(n_loc, P)) * sig
    loc = base.copy()
    num = mask & numeric[None, :]
    loc[num] = np.clip(base[num] + step[num], 0.0, 1.0)
    n_cov = int(round(cov_fraction * n_loc)) if trust is None else 0
    top = order[: max(10, 2 * P)]
    if n_cov and len(top) >= 5 and numeric.any():
        T = U_all[top][:, numeric]
        cov = np.cov(T, rowvar=False).reshape(T.shape[1], T.shape[1]) + 1e-8 * np.eye(T.shape[1])
        scale = np.exp(rng.uniform(math.log(0.1), math.log(1.0), (n_cov, 1)))
        z = rng.multivariate_normal(np.zeros(T.shape[1]), cov, size=n_cov, method="cholesky") * scale
        rows = loc[:n_cov]
        rows[:, numeric] = np.clip(base[:n_cov][:, numeric] + z, 0.0, 1.0)
    # categorical dims: resampled with probability 0.2 each (keeping the centre's value otherwise)
    cat = (rng.random((n_loc, P)) < 0.2) & ~numeric[None, :]
    loc[cat] = rng.random(int(cat.sum()))
    glob = d.uniform(rng, n - n_loc)
    C = d.snap(np.vstack([loc, glob]))
    inside = in_region(path, d.unit_to_features(C))
    if inside.sum() >= max(10, n // 20):
        C = C[inside]
    elif n_loc:
        C = C[:n_loc] if inside[:n_loc].sum() < 10 else C[:n_loc][inside[:n_loc]]
    return C


def perturb(domain: Domain, rng: np.random.Generator, centres: np.ndarray, per: int,
            sigma_range: tuple[float, float] = (0.003, 0.05)) -> np.ndarray:
    """``per`` small Gaussian moves (numeric dims) around each centre, snapped; no region test."""
    d = domain
    P = len(d)
    base = np.repeat(centres, per, axis=0)
    sig = np.exp(rng.uniform(math.log(sigma_range[0]), math.log(sigma_range[1]), (len(base), 1)))
    mask = rng.random(base.shape) < min(1.0, 20.0 / P)
    mask[np.arange(len(base)), rng.integers(0, P, len(base))] = True
    mask &= d.numeric_mask[None, :]
    out = base.copy()
    out[mask] = np.clip(base[mask] + (rng.normal(size=base.shape) * sig)[mask], 0.0, 1.0)
    return d.snap(out)
