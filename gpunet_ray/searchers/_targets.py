"""The GP's targets: scalarisation of several objectives, infeasible placement, output warps.

* :func:`scalarize`: the objective, or for several objectives a random augmented-Chebyshev
  scalarisation (ParEGO, Knowles 2006) with weights from the core's generator; infeasible points
  go below the worst feasible value (:func:`below_feasible`).
* :func:`warp`: the ``target_transform`` of the feasible targets: ``"power"`` (HEBO-style power
  warp with the exponent by maximum likelihood: :func:`power`), ``"copula"`` (rank-Gaussian:
  :func:`copula`), ``"none"``; ``"auto"`` is raw until :data:`POWER_AUTO_MIN` feasible observations,
  then ``"power"`` (:func:`resolve`); ``"evidence"`` fits the GP on raw and on power-warped targets
  at each refit and keeps the one with the larger marginal likelihood of the *original* targets (the
  warped likelihood plus the warp's log-Jacobian, :func:`log_jacobian`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["TARGET_TRANSFORMS", "POWER_AUTO_MIN", "scalarize", "below_feasible", "resolve", "warp", "power",
           "copula", "log_jacobian"]

TARGET_TRANSFORMS = ("auto", "power", "copula", "none", "evidence")
#: ``target_transform="auto"`` warps the GP targets once this many feasible observations exist.
POWER_AUTO_MIN = 100


def below_feasible(t: np.ndarray, feas: np.ndarray) -> np.ndarray:
    """``t`` with its infeasible entries set 20 % of the feasible span (or 1) below the feasible minimum."""
    if (~feas).any():
        lo, span = t[feas].min(), np.ptp(t[feas])
        t[~feas] = lo - (0.2 * span if span > 0 else 1.0)
    return t


def scalarize(Y: np.ndarray, feas: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """GP targets (maximised) from ``Y`` (n x m, maximised; at least one feasible row): the objective,
    or a random augmented-Chebyshev scalarisation of the normalised objectives (one Dirichlet draw)."""
    if Y.shape[1] == 1:
        t = Y[:, 0].copy()
    else:
        F = Y[feas]
        lo, hi = F.min(0), F.max(0)
        Z = (Y - lo) / np.where(hi > lo, hi - lo, 1.0)
        w = rng.dirichlet(np.ones(Y.shape[1]))
        t = (w * Z).min(1) + 0.05 * (w * Z).sum(1)
    return below_feasible(t, feas)


def resolve(transform: str, n_feasible: int) -> str:
    """The transform used now: ``"auto"`` is ``"none"`` before :data:`POWER_AUTO_MIN` feasible points."""
    if transform == "auto":  # a power warp needs enough data for its exponent; raw targets before that
        return "power" if n_feasible >= POWER_AUTO_MIN else "none"
    return transform


def warp(t: np.ndarray, feas: np.ndarray, transform: str, lam: list | None) -> tuple[np.ndarray, list | None]:
    """Warp the feasible targets of ``t`` (infeasible ones go below the warped minimum again).

    ``transform`` is resolved (:func:`resolve`); ``lam``: a power exponent to reuse (None: fit it).
    Needs at least 3 feasible targets, else ``t`` is returned as it is. Returns (targets, exponent
    used by ``"power"`` or None)."""
    if transform == "none" or feas.sum() < 3:
        return t, None
    if transform == "copula":
        warped, lam = copula(t[feas]), None
    else:
        warped, lam = power(t[feas], lam)
    t = t.copy()
    t[feas] = warped
    if (~feas).any():
        span = float(np.ptp(warped))
        t[~feas] = warped.min() - (0.2 * span if span > 0 else 1.0)
    return t, lam


def copula(t: np.ndarray) -> np.ndarray:
    """Rank-based Gaussian copula of GP targets (robust to heavy tails such as Rosenbrock's)."""
    from scipy.stats import norm, rankdata

    r = rankdata(t, method="average")
    return norm.ppf((r - 0.5) / len(t))


def power(t: np.ndarray, lam: list | None = None) -> tuple[np.ndarray, list | None]:
    """Power warp of GP targets ``t`` (maximised), with the exponent by maximum likelihood, as HEBO
    warps its outputs: Box-Cox on the losses ``-t`` when they are all positive (an exponential tail
    becomes linear: Box-Cox's limit is the log), else Yeo-Johnson on the standardised targets.
    Near-identity for Gaussian-looking targets. ``lam``: ``[family, exponent]`` to reuse, or
    ``None`` to fit. Returns the warped targets (maximised) and the ``[family, exponent]`` used."""
    from scipy.stats import boxcox, boxcox_normmax, yeojohnson, yeojohnson_normmax

    loss = -np.asarray(t, dtype=float)
    family = "boxcox" if loss.min() > 0 else "yeojohnson"
    if lam is not None and lam[0] != family:
        lam = None  # the sign of the data changed: refit
    try:
        if family == "boxcox":
            scaled = loss / np.exp(np.mean(np.log(loss)))  # geometric mean 1: scale-free exponent
            if lam is None:
                lam = ["boxcox", float(boxcox_normmax(scaled, method="mle"))]
            w = -boxcox(scaled, lmbda=lam[1])
        else:
            z = (loss - loss.mean()) / (loss.std() or 1.0)
            if lam is None:
                lam = ["yeojohnson", float(yeojohnson_normmax(z))]
            w = -yeojohnson(z, lmbda=lam[1])
    except (ValueError, FloatingPointError, OverflowError):
        w = None
    if w is None or not np.all(np.isfinite(w)):  # degenerate set: keep the standardised targets
        return (t - t.mean()) / (t.std() or 1.0), None
    return w, lam


def log_jacobian(t: np.ndarray, lam: list | None) -> float:
    """log |d warp / d t| summed over the targets ``t`` that :func:`power` warped with ``lam``
    (``None``: its standardising fallback), for comparing the evidence of warped and raw targets."""
    loss = -np.asarray(t, dtype=float)
    n = len(loss)
    if lam is None:
        return -n * float(np.log(loss.std() or 1.0))
    family, lmbda = lam
    if family == "boxcox":
        log_loss = np.log(loss)
        g = float(np.mean(log_loss))  # log of the geometric mean used by power()
        return float((lmbda - 1.0) * np.sum(log_loss - g) - n * g)
    sd = float(loss.std() or 1.0)
    z = (loss - loss.mean()) / sd
    d = np.where(z >= 0, (lmbda - 1.0) * np.log1p(np.abs(z)), (1.0 - lmbda) * np.log1p(np.abs(z)))
    return float(np.sum(d) - n * np.log(sd))
