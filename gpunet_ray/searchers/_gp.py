"""Gaussian-process numerics for the samplers.

Hyper-parameters (ARD RBF lengthscales, noise, constant mean) are fitted with BoTorch's
``SingleTaskGP`` + ``fit_gpytorch_mll`` (marginal likelihood, BoTorch's dimension-scaled
lengthscale prior) on a bounded training set; posterior means/variances for thousands of candidate
points are then computed with the same exact-GP formulas in numpy, which is ~10x faster than
GPyTorch's batched posterior for q=1 candidate sets. The hyper-parameters are plain floats, so
they go into the searcher's JSON state. log-EI is the numerically stable form of Ament et al.,
"Unexpected improvements to expected improvement" (NeurIPS 2023), as in BoTorch's ``LogEI``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import cho_factor, cho_solve, solve_triangular
from scipy.special import erfcx, log_ndtr

__all__ = ["GPHyper", "GP_PRIORS", "fit_hyper", "GP", "log_ei", "log_qei_pending", "PendingDraws", "standardize",
           "kumaraswamy", "WARP_EPS"]

GPHyper = dict  # {"lengthscale": [D floats], "noise": float, "mean": float, "kernel": "rbf"|"matern"|"matern32",
#                  optional "warp": {"c1": [D floats], "c0": [D floats]} (Kumaraswamy input warp),
#                  optional "scale": float (the kernel's output scale; absent: 1)}

#: Hyper-parameter priors (``fit_hyper(prior=...)``): BoTorch's dimension-scaled log-normal lengthscale prior
#: with a unit output scale (the default), or Optuna's ``GPSampler`` priors (lengthscales near 1 whatever the
#: dimension, a fitted output scale, a small noise).
GP_PRIORS = ("dim_scaled", "optuna")

#: BoTorch's Warp maps the unit cube to [eps, 1 - eps] before the Kumaraswamy CDF.
WARP_EPS = 1e-7


def standardize(y: np.ndarray) -> tuple[np.ndarray, float, float]:
    mu = float(np.mean(y))
    sd = float(np.std(y))
    if not np.isfinite(sd) or sd < 1e-12:
        sd = 1.0
    return (y - mu) / sd, mu, sd


def kumaraswamy(X: np.ndarray, warp: dict) -> np.ndarray:
    """The input warp of BoTorch's ``Warp`` transform on unit-cube inputs: ``1 - (1 - x^c1)^c0`` per
    dimension, after mapping [0, 1] to [eps, 1 - eps] (HEBO's and Snoek et al.'s input warping)."""
    c1 = np.asarray(warp["c1"], dtype=float)
    c0 = np.asarray(warp["c0"], dtype=float)
    Z = np.clip(np.asarray(X, dtype=float), 0.0, 1.0) * (1 - 2 * WARP_EPS) + WARP_EPS
    return 1.0 - np.power(1.0 - np.power(Z, c1), c0)


def fit_hyper(X: np.ndarray, y: np.ndarray, kernel: str = "rbf", seed: int = 0, maxiter: int = 75,
              input_warp: bool = False, prior: str = "dim_scaled") -> GPHyper:
    """Maximum a-posteriori GP hyper-parameters for (X: n x D in [0,1], y: n) via BoTorch.

    ``input_warp``: also fit a Kumaraswamy CDF per input dimension (BoTorch's ``Warp`` with
    log-normal priors on its two concentrations, centred on the identity), stored as
    ``hyper["warp"]`` and applied by :class:`GP`. Falls back to a fixed, reasonable setting (no
    warp) if the fit fails (e.g. a degenerate training set). ``prior``: one of :data:`GP_PRIORS`
    (``"optuna"``: the penalty ``-(0.1 / q + 0.1 q)`` on each inverse squared lengthscale ``q``, Gamma(2, 1)
    on an output scale and Gamma(1.1, 30) on the noise, as Optuna's ``GPSampler``; the output scale goes
    into ``hyper["scale"]``). ``seed`` seeds a private torch RNG
    stream for the fit (forked: the global one is not touched).
    """
    import torch

    D = X.shape[1]
    ys, _, _ = standardize(np.asarray(y, dtype=float))
    default = {"lengthscale": [0.5 * math.sqrt(D) / 3.0] * D, "noise": 1e-3, "mean": 0.0, "kernel": kernel}
    if X.shape[0] < 3:
        return default
    with torch.random.fork_rng(devices=[]):  # a private stream: the caller's global torch RNG is left as it was
        torch.manual_seed(seed)  # BoTorch's fit takes no generator; its (rare) random restarts draw from here
        return _fit(X, ys, kernel, maxiter, default, input_warp, prior)


def _optuna_modules(D: int, kernel: str) -> dict:
    """``SingleTaskGP`` keywords for Optuna's priors: an output-scaled kernel whose lengthscales carry
    Optuna's penalty, and a likelihood with its noise prior (noise >= 1e-6, Optuna's minimum)."""
    import torch
    from gpytorch.constraints import GreaterThan
    from gpytorch.kernels import MaternKernel, RBFKernel, ScaleKernel
    from gpytorch.likelihoods import GaussianLikelihood
    from gpytorch.priors import GammaPrior, Prior

    class _InvSquaredLengthscalePenalty(Prior):
        """Optuna's ``-(0.1 / q + 0.1 q)`` with ``q = lengthscale^-2`` (a penalty, as Optuna adds it)."""

        arg_constraints: dict = {}
        support = torch.distributions.constraints.positive

        def __init__(self):
            torch.nn.Module.__init__(self)
            torch.distributions.Distribution.__init__(self, torch.Size(), validate_args=False)
            self._transform = None

        def log_prob(self, lengthscale):
            q = lengthscale.pow(-2)
            return -(0.1 / q + 0.1 * q)

    penalty = _InvSquaredLengthscalePenalty()
    if kernel == "rbf":
        base = RBFKernel(ard_num_dims=D, lengthscale_prior=penalty)
    else:
        base = MaternKernel(nu=1.5 if kernel == "matern32" else 2.5, ard_num_dims=D, lengthscale_prior=penalty)
    base.lengthscale = torch.ones(D, dtype=torch.double)
    covar = ScaleKernel(base, outputscale_prior=GammaPrior(2.0, 1.0))
    likelihood = GaussianLikelihood(noise_prior=GammaPrior(1.1, 30.0), noise_constraint=GreaterThan(1e-6))
    likelihood.noise = 0.01
    return {"covar_module": covar.double(), "likelihood": likelihood.double()}


def _fit(X: np.ndarray, ys: np.ndarray, kernel: str, maxiter: int, default: GPHyper, input_warp: bool,
         prior: str = "dim_scaled") -> GPHyper:
    import torch
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from gpytorch.mlls import ExactMarginalLogLikelihood

    D = X.shape[1]
    tx = torch.as_tensor(X, dtype=torch.double)
    ty = torch.as_tensor(ys, dtype=torch.double).reshape(-1, 1)
    kw = {}
    if prior == "optuna":
        kw.update(_optuna_modules(D, kernel))
    elif kernel in ("matern", "matern32"):
        from botorch.models.utils.gpytorch_modules import get_covar_module_with_dim_scaled_prior

        kw["covar_module"] = get_covar_module_with_dim_scaled_prior(ard_num_dims=D, use_rbf_kernel=False)
        if kernel == "matern32":  # BoTorch's dimension-scaled prior on HEBO's rougher Matern (nu = 3/2)
            kw["covar_module"].nu = 1.5
    if input_warp:
        from botorch.models.transforms.input import Warp
        from gpytorch.priors import LogNormalPrior

        unit = torch.stack([torch.zeros(D, dtype=torch.double), torch.ones(D, dtype=torch.double)])
        kw["input_transform"] = Warp(d=D, indices=list(range(D)), bounds=unit, eps=WARP_EPS,
                                     concentration1_prior=LogNormalPrior(0.0, 0.75 ** 0.5),
                                     concentration0_prior=LogNormalPrior(0.0, 0.75 ** 0.5))
    prev_threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small problems: extra threads only contend (10x slower on a busy box)
    try:
        # ys is standardised already (population std); SingleTaskGP's default Standardize outcome transform
        # standardises it once more with the sample std, so the fitted noise and mean are in units a factor
        # sqrt((n - 1) / n) from ys's (under 3 % from 20 points on). Kept: every recorded run was made so.
        model = SingleTaskGP(tx, ty, **kw)
        mll = ExactMarginalLogLikelihood(model.likelihood, model)
        fit_gpytorch_mll(mll, optimizer_kwargs={"options": {"maxiter": maxiter}})
        base = model.covar_module.base_kernel if prior == "optuna" else model.covar_module
        ls = base.lengthscale.detach().reshape(-1).numpy()
        out = {
            "lengthscale": [float(v) for v in ls],
            "noise": float(model.likelihood.noise.detach().reshape(-1)[0]),
            "mean": float(model.mean_module.constant.detach().reshape(-1)[0]),
            "kernel": kernel,
        }
        if prior == "optuna":
            out["scale"] = float(model.covar_module.outputscale.detach().reshape(-1)[0])
        if input_warp:
            w = model.input_transform
            out["warp"] = {"c1": [float(v) for v in w.concentration1.detach().reshape(-1)],
                           "c0": [float(v) for v in w.concentration0.detach().reshape(-1)]}
        return out
    except Exception:  # numerical failure: keep the search going with defaults
        return default
    finally:
        torch.set_num_threads(prev_threads)


def _kernel(A: np.ndarray, B: np.ndarray, ls: np.ndarray, kind: str) -> np.ndarray:
    A = A / ls
    B = B / ls
    d2 = np.maximum((A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T, 0.0)
    if kind == "matern":
        r = np.sqrt(5.0 * d2)
        return (1.0 + r + r * r / 3.0) * np.exp(-r)
    if kind == "matern32":
        r = np.sqrt(3.0 * d2)
        return (1.0 + r) * np.exp(-r)
    return np.exp(-0.5 * d2)


class GP:
    """Exact GP posterior on standardised targets (output scale ``hyper["scale"]``, 1 when absent) with
    fixed hyper-parameters."""

    def __init__(self, X: np.ndarray, y: np.ndarray, hyper: GPHyper):
        self.warp = hyper.get("warp")
        self.X = self._inputs(X)
        self.ys, self.mu, self.sd = standardize(np.asarray(y, dtype=float))
        self.ls = np.asarray(hyper["lengthscale"], dtype=float)
        self.kind = hyper.get("kernel", "rbf")
        self.mean = float(hyper.get("mean", 0.0))
        self.scale = float(hyper.get("scale", 1.0))
        noise = max(float(hyper.get("noise", 1e-4)), 1e-6)
        K = self.scale * _kernel(self.X, self.X, self.ls, self.kind)
        K[np.diag_indices_from(K)] += noise
        self.L = _jittered(lambda A: cho_factor(A, lower=True, check_finite=False), K)
        self.alpha = cho_solve(self.L, self.ys - self.mean, check_finite=False)

    def log_evidence(self) -> float:
        """Log marginal likelihood of the training targets in their original units (the GP's own
        standardisation included), at these hyper-parameters."""
        r = self.ys - self.mean
        n = len(r)
        return float(-0.5 * r @ self.alpha - np.sum(np.log(np.diag(self.L[0]))) - 0.5 * n * math.log(2 * math.pi)
                     - n * math.log(self.sd))

    def _inputs(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        return X if self.warp is None else kumaraswamy(X, self.warp)

    def _posterior(self, Xw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """At warped inputs ``Xw`` (m x D): the latent's mean and variance in standardised units, and
        ``v = L^-1 K(X, Xw)`` (n x m), from which posterior covariances follow (``k(a, b) - v_a^T v_b``)."""
        Kc = self.scale * _kernel(Xw, self.X, self.ls, self.kind)
        m = self.mean + Kc @ self.alpha
        v = solve_triangular(self.L[0], Kc.T, lower=True, check_finite=False)
        return m, np.maximum(self.scale - (v * v).sum(0), 1e-12), v

    def predict(self, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation of the latent f at C (m x D), original units."""
        m, var, _ = self._posterior(self._inputs(C))
        return m * self.sd + self.mu, np.sqrt(var) * self.sd


def log_qei_pending(gp: GP, C: np.ndarray, pending: np.ndarray, best_f: float, eps: np.ndarray) -> np.ndarray:
    """log of what a point adds to the expected improvement of a batch whose other members, ``pending``
    (p x D features), are not yet evaluated: ``E[max(f(x) - max(best_f, max f(pending)), 0)]``, the
    increment of qEI(pending + x) over qEI(pending) (sequential greedy q-EI, as BoTorch's qLogEI with
    ``X_pending`` and Optuna's GPSampler with running trials). The pending latents are drawn jointly,
    ``f_p = mu_p + L_p eps`` for the fixed standard normal draws ``eps`` (p x S, common random numbers);
    ``f(x)`` given them is Gaussian and integrated exactly (log-EI), and the S values are averaged in
    log space. Original units, like :func:`log_ei` (the case without pending points: call that then).
    Scoring many sets of points against the same pending ones (an acquisition's polish): draw them once
    with :class:`PendingDraws` and call its ``log_qei``."""
    return PendingDraws(gp, pending, eps).log_qei(C, best_f)


class PendingDraws:
    """The pending points' part of :func:`log_qei_pending`, which does not depend on the points scored:
    their warped inputs, ``v = L^-1 K(X, Xp)``, the Cholesky factor of their joint posterior covariance and
    the largest of the joint draws ``f_p`` per sample (standardised units)."""

    def __init__(self, gp: GP, pending: np.ndarray, eps: np.ndarray):
        self.gp, self.eps = gp, eps
        self.Xp = gp._inputs(pending)
        mp, _, self.vp = gp._posterior(self.Xp)  # vp: n x p
        S_p = gp.scale * _kernel(self.Xp, self.Xp, gp.ls, gp.kind) - self.vp.T @ self.vp
        S_p = 0.5 * (S_p + S_p.T) + 1e-8 * np.eye(len(self.Xp))
        self.Lp = _jittered(np.linalg.cholesky, S_p)
        self.f_p_max = (mp[:, None] + self.Lp @ eps).max(0)  # the draws f_p (p x S): their max per sample

    def log_qei(self, C: np.ndarray, best_f: float) -> np.ndarray:
        """:func:`log_qei_pending` at the points ``C`` (m x D features)."""
        gp, eps = self.gp, self.eps
        Xc = gp._inputs(C)
        mc, var_c, vc = gp._posterior(Xc)  # vc: n x m
        T = np.maximum((best_f - gp.mu) / gp.sd, self.f_p_max)  # S thresholds
        cross = gp.scale * _kernel(Xc, self.Xp, gp.ls, gp.kind) - vc.T @ self.vp  # m x p
        B = solve_triangular(self.Lp, cross.T, lower=True, check_finite=False)  # p x m
        sd = np.sqrt(np.maximum(var_c - (B * B).sum(0), 1e-12))  # m
        m = mc[:, None] + B.T @ eps  # m x S
        lh = _log_h((m - T[None, :]) / sd[:, None])
        top = lh.max(1)
        return top + np.log(np.exp(lh - top[:, None]).mean(1)) + np.log(sd * gp.sd)


def _jittered(factor, A: np.ndarray):
    """``factor(A)`` (a Cholesky factorisation), retried with 1e-8, 1e-7, ... added to ``A``'s diagonal (in
    place) while it is not numerically positive definite."""
    jitter = 1e-8
    while True:
        try:
            return factor(A)
        except np.linalg.LinAlgError:
            A[np.diag_indices_from(A)] += jitter
            jitter *= 10


def _log_h(u: np.ndarray) -> np.ndarray:
    """log(phi(u) + u * Phi(u)), stable for very negative u."""
    u = np.asarray(u, dtype=float)
    out = np.empty_like(u)
    hi = u > -1.0
    uh = u[hi]
    phi = np.exp(-0.5 * uh * uh) / math.sqrt(2 * math.pi)
    Phi = np.exp(log_ndtr(uh))
    out[hi] = np.log(phi + uh * Phi)
    ul = np.maximum(u[~hi], -1e6)
    log_phi = -0.5 * ul * ul - 0.5 * math.log(2 * math.pi)
    w = np.log(np.abs(ul) * erfcx(-ul / math.sqrt(2)) * math.sqrt(math.pi / 2))
    l1me = np.where(w > -math.log(2), np.log(-np.expm1(w)), np.log1p(-np.exp(w)))
    out[~hi] = log_phi + l1me
    return out


def log_ei(mean: np.ndarray, std: np.ndarray, best_f: float) -> np.ndarray:
    """log expected improvement over ``best_f`` (maximisation)."""
    std = np.maximum(std, 1e-12)
    u = (mean - best_f) / std
    return _log_h(u) + np.log(std)
