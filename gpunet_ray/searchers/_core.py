"""LA-MCTS + Bayesian optimisation: a Ray-free ask/tell optimiser for mixed spaces.

Algorithm (Wang, Fonseca & Tian, "Learning search space partition for black-box optimization
using Monte Carlo tree search", NeurIPS 2020; LaMOO, Zhao et al., ICLR 2022 for the
multi-objective mode), one ``ask``:

1. A scrambled Sobol design of ``n_init`` points first.
2. The partition tree (k-means on (x, f) + RBF SVM per split, leaves of at most ``leaf_size``
   samples) is (re)built on the observations; pending points add virtual visits (:mod:`._tree`).
3. A leaf is selected from the root by UCB with ``cp`` scaled to the observed objective range.
4. Candidates are drawn inside the leaf's region (local perturbations of its best points plus
   uniform samples, rejected unless every SVM on the path agrees; :mod:`._candidates`) and scored
   with log-EI under a GP fitted on at most ``gp_max_points`` observations nearest the leaf's best
   point (``sampler="bo"``; the targets: :mod:`._targets`; the acquisition's optimisation:
   :mod:`._acquisition`); ``sampler="turbo"`` draws them in a TuRBO trust region around that point
   instead; ``sampler="random"`` scores them at random (an ablation).
5. Pending (asked, untold) points enter the GP with a constant-liar value (the GP set's minimum),
   so concurrent suggestions spread out. Duplicates of evaluated or pending points (by the
   domain's canonical key) and candidates failing the known ``constraint`` are skipped.

Infeasible results (``feasible=False``, NaN/inf/None values) are kept: they score below the worst
feasible value, so the tree puts them on bad sides; the GP, by default, learns them there too and
steers away from them (``infeasible`` chooses: left out of the GP, or modelled apart as a probability
of feasibility that weighs log-EI).

This module holds the state (observations: :mod:`._observations`; options: :class:`LAMCTSOptions`)
and the loop that ties the parts together; every random draw comes from the core's generator.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from gpunet_ray.errors import ConfigError

from . import _gp
from ._acquisition import mace_scores, maximize_log_ei, maximize_mean
from ._candidates import TrustRegion, region_candidates
from ._domain import as_domain
from ._observations import Observations, ObservedCore, generator_from_state, safe_json
from ._options import LAMCTSOptions
from ._targets import POWER_AUTO_MIN, log_jacobian, resolve, scalarize, warp
from ._tree import Node, build_tree, clear_virtual, select_path, tree_scores

__all__ = ["LAMCTS", "LAMCTSOptions", "as_domain", "POWER_AUTO_MIN"]

STATE_FORMAT = "gpunet_ray.searchers.lamcts"
STATE_VERSION = 1


class LAMCTS(ObservedCore):
    """Ask/tell LA-MCTS optimiser with a BO sampler.

    Args:
        domain: a :class:`Domain`, a ``SearchSpace``, a Ray Tune param space or a list of Param.
        seed: int, None or ``numpy.random.Generator``; same seed and same tells -> same asks.
        maximize: bool, or one bool per objective (multi-objective).
        objectives: number of objectives (1, or >= 2 for Pareto search).
        n_init: Sobol design size (default ``clip(P + 1, 8, 20)``, P = number of parameters).
        leaf_size: split nodes holding more samples than this (LA-MCTS ``leaf_size``, default 20).
        cp: UCB exploration constant, multiplied by the observed objective range (default 0.1).
        kernel: SVM kernel for the region boundaries (default ``"rbf"``).
        sampler: ``"bo"`` (GP + log-EI in the region, default), ``"turbo"`` (trust region), or
            ``"random"``.
        constraint: optional known-constraint callable ``constraint(config) -> bool`` (True =
            feasible), e.g. a latency predictor against a budget; candidates failing it are never
            proposed.
        n_candidates: candidates scored per suggestion (default ``min(2000, 100 * P + 500)``).
        gp_max_points: bound on the GP training set (nearest to the leaf's best point).
        max_depth: tree depth bound.
        gp_kernel: ``"rbf"``, ``"matern"`` (5/2) or ``"matern32"`` (3/2, HEBO's) for the GP; None:
            ``"matern"`` with one objective (issue 14's session-9 ablation), ``"rbf"`` with several.
        local_fraction: share of the candidates that are local moves (the rest: uniform).
        target_transform: ``"power"`` (default: a power warp of the feasible GP targets with the
            exponent by maximum likelihood, as HEBO does: Box-Cox on positive losses, which turns an
            exponential tail linear, else Yeo-Johnson; refitted with the GP), ``"auto"`` (raw targets
            until :data:`POWER_AUTO_MIN` feasible observations, then ``"power"``), ``"evidence"`` (at
            each refit, raw or power-warped targets, whichever the GP finds likelier once the warp's
            Jacobian is counted; two fits per refit), ``"copula"`` (rank-Gaussian) or ``"none"``.
        refine: also score 40 small perturbations of each of the 10 best candidates.
        acq_opt: how log-EI is maximised: ``"lbfgs"`` (default: score the region's candidates, then
            polish the ``acq_starts`` best by L-BFGS-B over the continuous dimensions, each within
            ``acq_radius`` (unit coordinates) of where it started) or ``"candidates"`` (the best scored
            candidate). Defaults (None): 10 starts within 1.0 (the whole box) with one objective, as
            issue 14's ablation chose (docs/BENCHMARKS.md); 3 starts within 0.1 with several, as before.
        input_warp: also fit a Kumaraswamy CDF per input dimension with the GP (HEBO's input
            warping; BoTorch's ``Warp``), default False.
        mo_acquisition: with two objectives, ``"ehvi"`` (a GP per objective and the exact expected
            hypervolume improvement over the front: :mod:`._ehvi`), ``"parego"`` (log-EI of a random
            augmented-Chebyshev scalarisation per suggestion) or ``"auto"`` (default: ``"ehvi"`` when
            ``ref_point`` is given, else ``"parego"``; the options hold the resolved name).
        ref_point: the hypervolume's reference point in the objectives' own units (e.g. the largest
            error and latency worth having); with ``"ehvi"`` and None, inferred from the front.
        global_after: from this many observations on, every suggestion treats the whole box as its
            region: no tree, the centre is the best observation, the GP is fitted on the
            ``gp_max_points`` observations nearest to it and the candidates are not filtered (a global
            BO step, as HEBO and Optuna's GP sampler take). None: always the tree's leaf. ``"auto"``
            (default): with one objective 100 (issue 14's session-10 ablation: the tree picks the region
            for the first 100 evaluations, the whole box after), or half the ``budget`` when that is
            smaller (session 11); None with several.
        exploit_every: every k-th model pick (counted over the run) maximises the GP's posterior mean
            instead of log-EI (pure exploitation, as HEBO puts its best-predicted point in each batch).
            One objective only. Default 4; None: log-EI only (the behaviour before issue 14's ablation).
        acq_discrete: with ``acq_opt="lbfgs"``, the polished points (or the best candidates, without
            continuous dimensions) also climb the acquisition over the discrete dimensions, one value
            change at a time (:func:`~gpunet_ray.searchers._acquisition.discrete_ascent`). Default
            (None): True with one objective, False with several (False: the behaviour before issue 14's
            ablation).
        cov_fraction: share of the local candidates drawn with the covariance of the region's best
            observations (:func:`~gpunet_ray.searchers._candidates.region_candidates`); default 0.
        acquisition: with one objective, how a model pick is chosen among the (polished) candidates:
            ``"ei"`` (default: the largest log-EI) or ``"mace"`` (HEBO's: a random member of the
            candidates' Pareto front on log-EI, log-PI and UCB:
            :func:`~gpunet_ray.searchers._acquisition.mace_scores`).
        budget: the number of evaluations the run will make, when known (``LAMCTSSearch`` takes
            Tune's ``num_samples`` when the Tuner has a ``param_space``, else pass it; the bench
            passes its ``--evals``; the ``gpunet_ray.search`` driver passes ``--trials``). Only
            ``global_after="auto"`` and ``init_share`` read it; None (default): unknown.
        init_share: with a ``budget`` and ``n_init`` None, the Sobol design is at most
            ``max(4, init_share * budget)`` points (None, the default: ``clip(P + 1, 8, 20)`` whatever the
            budget).
        infeasible: what the GP makes of infeasible observations: ``"below"`` (default: they join its
            training set 20 % of the feasible span below the worst feasible value), ``"exclude"`` (its
            training set is the feasible observations nearest the region's best, as Optuna's GP sampler
            leaves failed trials out) or ``"pof"`` (as ``"exclude"``, plus a GP on the 0/1 feasibility
            of the nearest observations whose probability of feasibility weighs log-EI, the polish
            included, and puts the exploit picks it deems likely infeasible last). The tree ranks
            infeasible points lowest whatever this is.
        gp_prior: the GP hyper-parameters' priors: ``"optuna"`` (Optuna's ``GPSampler`` priors:
            lengthscales near 1 whatever the dimension, a fitted output scale, a small noise) or
            ``"dim_scaled"`` (BoTorch's dimension-scaled log-normal lengthscale prior, unit output scale).
            None (default): ``"optuna"`` with one objective on a domain with a float or log parameter,
            ``"dim_scaled"`` on an all-discrete one (NAS spaces) and with several objectives (issue 14's
            session-14 ablation over 61 tuning problems: 2.25 against 2.31 at 50 evaluations, 2.12 against
            2.29 at 200).
        polish_best: the acquisition's polish (and discrete climb) also starts from the region's best
            observation, as Optuna's ``GPSampler`` warm-starts its local search from the best trial
            (default False).
        pending: how a batch's unevaluated points (asked, not yet told: the batch's earlier picks and
            other workers' trials) enter a log-EI pick: ``"qei"`` (the GP keeps the real data and a
            point is scored by what it adds to the batch's q-EI, its improvement over the best of the
            pending points' jointly sampled values: :func:`~gpunet_ray.searchers._gp.log_qei_pending`, as
            BoTorch's qLogEI with ``X_pending`` and Optuna's ``GPSampler`` with running trials; one
            objective with ``acquisition="ei"``) or ``"liar"`` (they join the GP's data at its training
            set's minimum, a constant liar). Default (None): ``"qei"`` where it applies (issue 14's
            session-16 ablation over 71 tuning problems), else ``"liar"``. The posterior-mean picks
            (``exploit_every``) keep the constant liar, which spreads them; asked one at a time (nothing
            pending) both are the same.

    The options (all but ``seed`` and ``constraint``) are one frozen :class:`LAMCTSOptions`,
    :attr:`options`; ``LAMCTS.from_options(domain, options)`` builds a core from one.
    """

    multi_objective = True

    def __init__(
        self,
        domain: Any,
        *,
        seed: int | np.random.Generator | None = None,
        maximize: bool | Sequence[bool] = True,
        objectives: int = 1,
        n_init: int | None = None,
        leaf_size: int = 20,
        cp: float = 0.1,
        kernel: str = "rbf",
        sampler: str = "bo",
        constraint: Callable[[dict], bool] | None = None,
        n_candidates: int | None = None,
        gp_max_points: int = 200,
        max_depth: int = 6,
        gp_kernel: str | None = None,
        local_fraction: float = 0.8,
        target_transform: str = "power",
        refine: bool = False,
        acq_opt: str = "lbfgs",
        acq_starts: int | None = None,
        acq_radius: float | None = None,
        input_warp: bool = False,
        mo_acquisition: str = "auto",
        ref_point: Sequence[float] | None = None,
        global_after: int | str | None = "auto",
        exploit_every: int | None = 4,
        acq_discrete: bool | None = None,
        cov_fraction: float = 0.0,
        acquisition: str = "ei",
        budget: int | None = None,
        init_share: float | None = None,
        infeasible: str = "below",
        gp_prior: str | None = None,
        polish_best: bool = False,
        pending: str | None = None,
    ):
        self.domain = as_domain(domain)
        options = LAMCTSOptions(
            maximize=maximize, objectives=objectives, n_init=n_init, leaf_size=leaf_size, cp=cp, kernel=kernel,
            sampler=sampler, n_candidates=n_candidates, gp_max_points=gp_max_points, max_depth=max_depth,
            gp_kernel=gp_kernel, local_fraction=local_fraction, target_transform=target_transform, refine=refine,
            acq_opt=acq_opt, acq_starts=acq_starts, acq_radius=acq_radius, input_warp=input_warp,
            mo_acquisition=mo_acquisition, ref_point=ref_point, global_after=global_after,
            exploit_every=exploit_every, acq_discrete=acq_discrete,
            cov_fraction=cov_fraction, acquisition=acquisition, budget=budget,
            init_share=init_share, infeasible=infeasible, gp_prior=gp_prior, polish_best=polish_best,
            pending=pending)
        self.options: LAMCTSOptions = options.resolved(len(self.domain), self._continuous())
        self.constraint = constraint
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self._seed_base = int(self.rng.integers(2**31 - 1))
        self.obs = Observations(self.domain, self.options.maximize)
        self._n_asked = 0
        self._n_picks = 0  # model picks so far (exploit_every counts them)
        self._init_queue: list[np.ndarray] = list(self.domain.snap(self.domain.sobol(self.rng, self.options.n_init)))
        # model caches (rebuilt deterministically from the first `_tree_n` observations)
        self._tree = None
        self._tree_n = 0
        self._hyper: dict | None = None
        self._hyper_n = 0
        self._trust = TrustRegion()

    def _continuous(self) -> bool:
        """Whether the domain has a float or log parameter (``gp_prior=None`` resolves by it)."""
        return any(p.kind in ("float", "log") for p in self.domain.params)

    @classmethod
    def from_options(cls, domain: Any, options: LAMCTSOptions, *, seed: int | np.random.Generator | None = None,
                     constraint: Callable[[dict], bool] | None = None) -> "LAMCTS":
        """A core with these options (e.g. ``dataclasses.replace(core.options, cp=0.2)``)."""
        from dataclasses import fields

        kw = {f.name: getattr(options, f.name) for f in fields(options)}
        return cls(domain, seed=seed, constraint=constraint, **kw)

    # ------------------------------------------------------------------------------------------
    # public API
    # ------------------------------------------------------------------------------------------
    def ask(self, n: int = 1) -> list[dict]:
        """``n`` new configs (fewer only if a finite space is exhausted); they become pending."""
        if n < 1:
            return []
        self._n_asked += 1
        self._trust.batch = int(n)
        out: list[dict] = []
        batch_keys: set[str] = set()
        if len(self.obs) >= self.options.n_init:
            self._init_queue.clear()  # warm-started with enough data: the space-filling design is moot
        while len(out) < n and self._init_queue:
            u = self._init_queue.pop(0)
            flat = self.domain.from_unit(u)[0]
            self.obs.accept(flat, out, batch_keys, self.constraint)
        if len(out) < n:
            if len(self.obs) >= 2 and self.obs.feasible().any():
                with _single_thread():  # small dense algebra: extra BLAS threads only contend
                    self._model_picks(n - len(out), out, batch_keys)
            self._random_fill(n - len(out), out, batch_keys)
        return [self.domain.to_config(f) for f in out]

    def tell(self, config: dict, value: Any, feasible: bool = True, extra: Any = None) -> None:
        """Record a result. ``value``: float (or a sequence of ``objectives`` floats); None, NaN
        or inf, or ``feasible=False`` records an infeasible point (it steers the search away)."""
        y, ok = self.obs.add(config, value, feasible, extra)
        single = ok and self.options.objectives == 1
        self._trust.update(float(y[0] * self.obs.sign[0]) if single else None, len(self.domain))

    # -- state ------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Versioned, JSON-serialisable state (no pickle). The constraint callable is not saved."""
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "domain": self.domain.to_dict(),
            "options": self.options.to_dict(),
            "seed_base": self._seed_base,
            "rng": safe_json(self.rng.bit_generator.state),
            "rng_kind": type(self.rng.bit_generator).__name__,
            "init_queue": [list(map(float, u)) for u in self._init_queue],
            "observations": self.obs.observations_json(),
            "pending": self.obs.pending_json(),
            "n_asked": self._n_asked,
            "n_picks": self._n_picks,
            "tree_n": self._tree_n,
            "hyper": safe_json(self._hyper),
            "hyper_n": self._hyper_n,
            "turbo": safe_json(self._trust.to_dict()),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` output (into a fresh or used instance with the same domain).

        A state written before an option existed resumes with that option's old behaviour
        (:data:`~gpunet_ray.searchers._options.LEGACY`)."""
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise ConfigError("not a LAMCTS searcher state (format tag missing)")
        if int(state.get("version", -1)) != STATE_VERSION:
            raise ConfigError(f"searcher state version {state.get('version')} is not supported "
                              f"(this build reads version {STATE_VERSION})")
        if state["domain"]["params"] != self.domain.to_dict()["params"]:
            raise ConfigError("the saved searcher state was made for a different search space")
        self.options = LAMCTSOptions.from_dict(state["options"]).resolved(len(self.domain), self._continuous())
        self._seed_base = int(state["seed_base"])
        self.rng = generator_from_state(state)
        self._init_queue = [np.asarray(u, dtype=float) for u in state["init_queue"]]
        self.obs = Observations(self.domain, self.options.maximize)
        self.obs.load_json(state["observations"], state["pending"])
        self._n_asked = int(state["n_asked"])
        self._n_picks = int(state.get("n_picks", 0))  # absent in states written before exploit_every
        self._tree, self._tree_n = None, int(state["tree_n"])
        self._hyper, self._hyper_n = state["hyper"], int(state["hyper_n"])
        self._trust = TrustRegion.from_dict(dict(state["turbo"]))

    # ------------------------------------------------------------------------------------------
    # internals
    # ------------------------------------------------------------------------------------------
    def _random_fill(self, k: int, out: list, batch_keys: set) -> None:
        self.obs.random_fill(self.rng, k, out, batch_keys, self.constraint)

    def _get_tree(self, n: int):
        stale = n - self._tree_n >= max(1, n // 20)
        if self._tree is None or stale:
            if stale or self._tree_n == 0:
                self._tree_n = n
            m = self._tree_n
            X = self.domain.unit_to_features(self.obs.unit()[:m])
            o = self.options
            self._tree = build_tree(X, self._scores(m), leaf_size=o.leaf_size, max_depth=o.max_depth,
                                    kernel=o.kernel, seed=self._seed_base + m)
        return self._tree

    def _scores(self, n: int | None = None) -> np.ndarray:
        Y = self.obs.internal()[:n]
        return tree_scores(Y, np.array(self.obs.feas[: len(Y)], dtype=bool))

    def _model_picks(self, k: int, out: list, batch_keys: set) -> None:
        n = len(self.obs)
        U_all = self.obs.unit()
        X_all = self.domain.unit_to_features(U_all)
        Y_int = self.obs.internal()
        feas = self.obs.feasible()
        if self.options.global_after is not None and n >= self.options.global_after:
            # the whole box is the region: no tree; the root's path holds every observation
            tree, whole = None, [(Node(idx=np.arange(n)), -1)]
        else:
            tree = self._get_tree(n)
            scale = float(np.ptp(self._scores(self._tree_n))) or 1.0
        try:
            for _ in range(k):
                if tree is None:
                    path = whole
                else:
                    path = select_path(tree, self.options.cp, scale)
                    for node, _side in path:
                        node.virtual += 1
                flat = self._pick(path, path[-1][0].idx, U_all, X_all, Y_int, feas, batch_keys, out)
                if flat is None or not self.obs.accept(flat, out, batch_keys, self.constraint):
                    return
        finally:
            if tree is not None:
                clear_virtual(tree)

    def _fit(self, Xg: np.ndarray, tg: np.ndarray, fg: np.ndarray, width: int, n_feasible: int) -> np.ndarray:
        """The GP's (warped) training targets; refits the hyper-parameters (and the warp's exponent)
        when the data grew by ~5 %, the feature width or the transform changed."""
        o = self.options
        n = len(self.obs)
        tt = resolve(o.target_transform, n_feasible)
        refit = self._hyper is None or n - self._hyper_n >= max(1, n // 20) \
            or len(self._hyper["lengthscale"]) != width or self._hyper.get("targets", "none") != tt
        if tt == "evidence" and refit:
            return self._fit_by_evidence(Xg, tg, fg, n)
        used = self._hyper.get("chosen", tt) if tt == "evidence" else tt
        tg, lam = warp(tg, fg, used, None if refit else self._hyper.get("power_lambda"))
        if refit:
            self._hyper = _gp.fit_hyper(Xg, tg, kernel=o.gp_kernel, seed=self._seed_base + n, input_warp=o.input_warp,
                                          prior=o.gp_prior)
            self._hyper["targets"] = tt
            if lam is not None:
                self._hyper["power_lambda"] = lam
            self._hyper_n = n
        return tg

    def _fit_by_evidence(self, Xg: np.ndarray, tg: np.ndarray, fg: np.ndarray, n: int) -> np.ndarray:
        """``target_transform="evidence"``: fit the GP on raw and on power-warped targets; keep the one
        whose targets, mapped back to the original units (the warp's log-Jacobian), are the likelier."""
        o = self.options
        best = None
        for kind in ("none", "power"):
            t, lam = warp(tg, fg, kind, None)
            if kind == "power" and lam is None and fg.sum() < 3:
                continue  # too few feasible targets to warp: the same as raw
            hyper = _gp.fit_hyper(Xg, t, kernel=o.gp_kernel, seed=self._seed_base + n, input_warp=o.input_warp,
                                  prior=o.gp_prior)
            score = _gp.GP(Xg, t, hyper).log_evidence()
            if kind == "power":
                score += log_jacobian(tg[fg], lam)
            if best is None or score > best[0]:
                best = (score, t, hyper, kind, lam)
        _, t, hyper, kind, lam = best
        hyper.update(targets="evidence", chosen=kind)
        if lam is not None:
            hyper["power_lambda"] = lam
        self._hyper, self._hyper_n = hyper, n
        return t

    def _log_pof(self, X_all: np.ndarray, feas: np.ndarray, idx: np.ndarray):
        """``infeasible="pof"``: log of the probability of feasibility (unit-view points -> values) under
        a GP on the 0/1 feasibility of the observations ``idx``; None when they are all feasible (no
        weight). Its hyper-parameters are refitted with the objective's GP's (kept in its state)."""
        from ._acquisition import log_pof_at

        lab = feas[idx].astype(float)
        if lab.all():
            return None
        X = X_all[idx]
        if "pof" not in self._hyper:
            self._hyper["pof"] = _gp.fit_hyper(X, lab, kernel=self.options.gp_kernel,
                                               seed=self._seed_base + len(self.obs) + 7, prior=self.options.gp_prior)
        return log_pof_at(_gp.GP(X, lab, self._hyper["pof"]), self.domain)

    def _ehvi(self, C, score, Xg, Yg, fg, Y_all, feas_all, extra) -> tuple[np.ndarray, np.ndarray]:
        """``mo_acquisition="ehvi"``: candidates with a positive expected hypervolume improvement first
        (by it), then the rest by their ParEGO ``score``. A GP per objective on the feasible points of
        the region's training set (hyper-parameters refitted with the scalar GP's, kept in its state);
        pending points and the batch's earlier picks join the front and the GPs' data at their posterior
        means (kriging believer: without it a batch repeats one point whose gain is in the tail). With
        ``acq_opt="lbfgs"`` the ``acq_starts`` best are polished on log-EHVI, as ParEGO's are on
        log-EI, and the polished points join the candidates."""
        from ._acquisition import polish
        from ._ehvi import ehvi_2d, reference_point

        o, d = self.options, self.domain
        if fg.sum() < 3:
            return C, score
        Xf, Yf = Xg[fg], Yg[fg]
        if "mo" not in self._hyper:
            seed = self._seed_base + len(self.obs)
            self._hyper["mo"] = [_gp.fit_hyper(Xf, Yf[:, j], kernel=o.gp_kernel, seed=seed + j, prior=o.gp_prior)
                                 for j in range(2)]
        gps = [_gp.GP(Xf, Yf[:, j], self._hyper["mo"][j]) for j in range(2)]
        front = -Y_all[feas_all]
        ref = reference_point(front) if o.ref_point is None else -(np.asarray(o.ref_point) * self.obs.sign)
        if extra:  # kriging believer: the GPs also learn them at their means, which shrinks the variance there
            fx = d.features(list(extra))
            mu = np.column_stack([gp.predict(fx)[0] for gp in gps])
            front = np.vstack([front, -mu])
            Xb = np.vstack([Xf, fx])
            gps = [_gp.GP(Xb, np.concatenate([Yf[:, j], mu[:, j]]), self._hyper["mo"][j]) for j in range(2)]

        def ehvi(V: np.ndarray) -> np.ndarray:  # unit-view points -> exact EHVI (objectives minimised)
            pred = [gp.predict(d.unit_to_features(V)) for gp in gps]
            return ehvi_2d(-np.column_stack([m for m, _ in pred]), np.column_stack([s for _, s in pred]), front, ref)

        e = ehvi(C)
        if o.acq_opt == "lbfgs" and (e > 0).any():
            R = polish(lambda V: np.log(ehvi(V) + 1e-300), d, C[np.argsort(-e, kind="stable")[: o.acq_starts]],
                       radius=o.acq_radius)
            if len(R):
                C, e = np.vstack([C, R]), np.concatenate([e, ehvi(R)])
                score = np.concatenate([score, np.full(len(R), score.min())])
        if not (e > 0).any():
            return C, score
        rank = np.argsort(np.argsort(score)) / max(len(score), 1) - 1.0  # the rest, in [-1, 0)
        return C, np.where(e > 0, 1.0 + e / e.max(), rank)

    def _pick(self, path, leaf_idx, U_all, X_all, Y_int, feas, batch_keys, out=()) -> dict | None:
        o = self.options
        d = self.domain
        t = scalarize(Y_int, feas, self.rng)
        # centre: best point of the leaf (as it was built; fall back to the global best)
        cand_idx = leaf_idx[feas[leaf_idx]] if len(leaf_idx) else leaf_idx
        if not len(cand_idx):
            cand_idx = np.where(feas)[0]
        order = cand_idx[np.argsort(-t[cand_idx])]
        c = int(order[0])
        # bounded GP training set: nearest observations to the centre (the feasible ones, unless "below")
        dist = np.linalg.norm(X_all - X_all[c], axis=1)
        by_dist = np.argsort(dist, kind="stable")
        gp_idx = by_dist[: o.gp_max_points] if o.infeasible == "below" else by_dist[feas[by_dist]][: o.gp_max_points]
        Xg = X_all[gp_idx]
        tg = self._fit(Xg, t[gp_idx], feas[gp_idx], X_all.shape[1], int(feas.sum()))
        log_pof = self._log_pof(X_all, feas, by_dist[: o.gp_max_points]) \
            if o.infeasible == "pof" and o.sampler != "random" else None  # random scores use no model
        self._n_picks += 1
        exploit = o.sampler != "random" and o.exploit_every is not None and o.objectives == 1 \
            and self._n_picks % o.exploit_every == 0
        # pending points: a constant liar (the GP set's minimum), or q-EI's joint draws (pending="qei")
        pend = list(self.obs.pending.values())
        q_pending = None
        if pend:
            Xp = d.features(pend)
            near = np.argsort(np.linalg.norm(Xp - X_all[c], axis=1), kind="stable")[: max(1, o.gp_max_points // 2)]
            if o.pending == "qei" and not exploit:  # "qei" only with one objective and log-EI (the options)
                q_pending = Xp[near]
            else:
                Xg = np.vstack([Xg, Xp[near]])
                tg = np.concatenate([tg, np.full(len(near), tg.min())])
        best_f = float(tg[: len(gp_idx)].max())
        # candidates
        trust, ls = None, None
        if o.sampler == "turbo":
            trust = self._trust
            if self._hyper is not None and all(p.kind != "categorical" for p in d.params):
                ls = self._hyper["lengthscale"]
        C = region_candidates(d, self.rng, U_all, order, c, path, n=o.n_candidates, local_fraction=o.local_fraction,
                              trust=trust, lengthscale=ls, cov_fraction=o.cov_fraction)
        extra = U_all[c][None] if o.polish_best else None  # Optuna's GPSampler warm-starts its local search there
        if o.sampler == "random":
            score = self.rng.random(len(C))
        elif exploit:
            C, score = maximize_mean(_gp.GP(Xg, tg, self._hyper), d, C, acq_opt=o.acq_opt, starts=o.acq_starts,
                                     radius=o.acq_radius, discrete=o.acq_discrete, extra_starts=extra)
            if log_pof is not None:  # the likely infeasible go last, in their order
                score = np.where(log_pof(C) >= np.log(0.5), score, score.min() - 1.0 - np.ptp(score))
        else:
            gp = _gp.GP(Xg, tg, self._hyper)
            C, score = maximize_log_ei(gp, d, C, best_f, self.rng, acq_opt=o.acq_opt,
                                       refine=o.refine, starts=o.acq_starts, radius=o.acq_radius,
                                       discrete=o.acq_discrete, log_weight=log_pof, extra_starts=extra,
                                       pending=q_pending)
            if o.acquisition == "mace" and o.objectives == 1:
                score = mace_scores(gp, d, C, best_f, len(self.obs), self.rng)
            if o.mo_acquisition == "ehvi":
                C, score = self._ehvi(C, score, X_all[gp_idx], Y_int[gp_idx], feas[gp_idx], Y_int, feas,
                                      pend + list(out))
        for j in np.argsort(-score, kind="stable"):
            flat = d.from_unit(C[j])[0]
            if self.obs.seen(d.key(flat), batch_keys):
                continue
            if self.constraint is not None and not self.constraint(d.to_config(flat)):
                continue
            return flat
        return None


_CTL: list = []


def _single_thread():
    """Limit BLAS/OpenMP pools to one thread (the controller is built once: scanning is slow)."""
    try:
        if not _CTL:
            from threadpoolctl import ThreadpoolController

            _CTL.append(ThreadpoolController())
        return _CTL[0].limit(limits=1)
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        import contextlib

        return contextlib.nullcontext()
