"""LA-MCTS + Bayesian optimisation: a Ray-free ask/tell optimiser for mixed spaces.

Algorithm (Wang, Fonseca & Tian, "Learning search space partition for black-box optimization
using Monte Carlo tree search", NeurIPS 2020; LaMOO, Zhao et al., ICLR 2022 for the
multi-objective mode), one ``ask``:

1. A scrambled Sobol design of ``n_init`` points first.
2. The partition tree (k-means on (x, f) + RBF SVM per split, leaves of at most ``leaf_size``
   samples) is (re)built on the observations; pending points add virtual visits.
3. A leaf is selected from the root by UCB with ``cp`` scaled to the observed objective range.
4. Candidates are drawn inside the leaf's region (local perturbations of its best points plus
   uniform samples, rejected unless every SVM on the path agrees) and scored with log-EI under a
   GP fitted on at most ``gp_max_points`` observations nearest the leaf's best point
   (``sampler="bo"``); ``sampler="turbo"`` draws them in a TuRBO trust region around that point
   instead; ``sampler="random"`` scores them at random (an ablation).
5. Pending (asked, untold) points enter the GP with a constant-liar value (the GP set's minimum),
   so concurrent suggestions spread out. Duplicates of evaluated or pending points (by the
   domain's canonical key) and candidates failing the known ``constraint`` are skipped.

Infeasible results (``feasible=False``, NaN/inf/None values) are kept: they score below the worst
feasible value, so the tree puts them on bad sides and the GP steers away from them.

Size: this module is one algorithm (state, tree, acquisition) over 700 lines and two functions of
60-85 lines (``__init__``'s option checks, ``_pick``'s acquisition); its split into pluggable parts
is the searcher-core rework of issue 14, kept out of the behaviour-preserving architecture pass.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Sequence

import numpy as np

from gpunet_ray.errors import ConfigError

from . import _gp
from ._domain import Domain, Param
from ._tree import build_tree, in_region, select_path

__all__ = ["LAMCTS", "as_domain"]

STATE_FORMAT = "gpunet_ray.searchers.lamcts"
STATE_VERSION = 1
_SAMPLERS = ("bo", "turbo", "random")
_TARGET_TRANSFORMS = ("auto", "power", "copula", "none")
#: ``target_transform="auto"`` warps the GP targets once this many feasible observations exist.
POWER_AUTO_MIN = 100


def as_domain(space: Any) -> Domain:
    """A :class:`Domain` from a Domain, a SearchSpace, a Tune param-space dict or a list of Params."""
    if isinstance(space, Domain):
        return space
    if hasattr(space, "dims") and hasattr(space, "canonical_config"):
        return Domain.from_search_space(space)
    if isinstance(space, dict):
        return Domain.from_tune(space)
    if isinstance(space, (list, tuple)) and space:
        return Domain(tuple(p if isinstance(p, Param) else Param.from_dict(p) for p in space))
    raise ConfigError(f"cannot build a search domain from {type(space).__name__}; pass a Domain, "
                      "a SearchSpace, a Ray Tune param space dict or a list of Param")


def _finite(v: Any) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _safe_json(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=str)) if obj is not None else None


class LAMCTS:
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
        gp_kernel: ``"rbf"`` or ``"matern"`` for the GP.
        target_transform: ``"power"`` (default: a power warp of the feasible GP targets with the
            exponent by maximum likelihood, as HEBO does: Box-Cox on positive losses, which turns an
            exponential tail linear, else Yeo-Johnson; refitted with the GP), ``"auto"`` (raw targets
            until :data:`POWER_AUTO_MIN` feasible observations, then ``"power"``), ``"copula"``
            (rank-Gaussian) or ``"none"``.
        acq_opt: how log-EI is maximised: ``"lbfgs"`` (default: score the region's candidates, then
            polish the ``acq_starts`` (3) best by L-BFGS-B over the continuous dimensions, each
            within ``acq_radius`` (0.1, unit coordinates) of where it started) or ``"candidates"``
            (the best scored candidate).
    """

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
        gp_kernel: str = "rbf",
        local_fraction: float = 0.8,
        target_transform: str = "power",
        refine: bool = False,
        acq_opt: str = "lbfgs",
        acq_starts: int = 3,
        acq_radius: float = 0.1,
    ):
        self.domain = as_domain(domain)
        P = len(self.domain)
        if objectives < 1:
            raise ConfigError(f"objectives must be >= 1, got {objectives}")
        if sampler not in _SAMPLERS:
            raise ConfigError(f"sampler must be one of {_SAMPLERS}, got {sampler!r}")
        if target_transform not in _TARGET_TRANSFORMS:
            raise ConfigError(f"target_transform must be one of {_TARGET_TRANSFORMS}, got {target_transform!r}")
        if acq_opt not in ("candidates", "lbfgs"):
            raise ConfigError(f"acq_opt must be 'candidates' or 'lbfgs', got {acq_opt!r}")
        if gp_kernel not in ("rbf", "matern"):
            raise ConfigError(f"gp_kernel must be 'rbf' or 'matern', got {gp_kernel!r}")
        if isinstance(maximize, (bool, np.bool_)):
            maximize = (bool(maximize),) * objectives
        maximize = tuple(bool(m) for m in maximize)
        if len(maximize) != objectives:
            raise ConfigError(f"maximize needs one flag per objective ({objectives}), got {maximize}")
        if leaf_size < 2:
            raise ConfigError("leaf_size must be >= 2")
        self.options = {
            "maximize": list(maximize),
            "objectives": int(objectives),
            "n_init": int(n_init if n_init is not None else min(max(P + 1, 8), 20)),
            "leaf_size": int(leaf_size),
            "cp": float(cp),
            "kernel": str(kernel),
            "sampler": sampler,
            "n_candidates": int(n_candidates or min(2000, 100 * P + 500)),
            "gp_max_points": int(gp_max_points),
            "max_depth": int(max_depth),
            "gp_kernel": gp_kernel,
            "local_fraction": float(local_fraction),
            "target_transform": target_transform,
            "refine": bool(refine),
            "acq_opt": str(acq_opt),
            "acq_starts": int(acq_starts),
            "acq_radius": float(acq_radius),
        }
        self.constraint = constraint
        self._sign = np.array([1.0 if m else -1.0 for m in maximize])
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self._seed_base = int(self.rng.integers(2**31 - 1))
        # observations
        self._flat: list[dict] = []
        self._U: list[np.ndarray] = []
        self._Y: list[np.ndarray] = []  # raw values (user signs), NaN when missing
        self._feas: list[bool] = []
        self._extra: list[Any] = []
        self._keys: set[str] = set()
        self._pending: dict[str, dict] = {}
        self._n_asked = 0
        self._init_queue: list[np.ndarray] = list(self.domain.snap(self.domain.sobol(self.rng, self.options["n_init"])))
        # model caches (rebuilt deterministically from the first `_tree_n` observations)
        self._tree = None
        self._tree_n = 0
        self._hyper: dict | None = None
        self._hyper_n = 0
        self._turbo = {"length": 0.8, "succ": 0, "fail": 0, "best": None, "batch": 1}
        self._Ucache: np.ndarray | None = None
        self._Ycache: np.ndarray | None = None

    # ------------------------------------------------------------------------------------------
    # public API
    # ------------------------------------------------------------------------------------------
    @property
    def n_observations(self) -> int:
        return len(self._flat)

    @property
    def pending(self) -> list[dict]:
        """Configs asked and not yet told (or forgotten)."""
        return [self.domain.to_config(c) for c in self._pending.values()]

    def ask(self, n: int = 1) -> list[dict]:
        """``n`` new configs (fewer only if a finite space is exhausted); they become pending."""
        if n < 1:
            return []
        self._n_asked += 1
        self._turbo["batch"] = int(n)
        out: list[dict] = []
        batch_keys: set[str] = set()
        if len(self._flat) >= self.options["n_init"]:
            self._init_queue.clear()  # warm-started with enough data: the space-filling design is moot
        while len(out) < n and self._init_queue:
            u = self._init_queue.pop(0)
            flat = self.domain.from_unit(u)[0]
            self._accept(flat, out, batch_keys)
        if len(out) < n:
            feas = np.array(self._feas, dtype=bool)
            if len(self._flat) >= 2 and feas.any():
                with _single_thread():  # small dense algebra: extra BLAS threads only contend
                    self._model_picks(n - len(out), out, batch_keys)
            self._random_fill(n - len(out), out, batch_keys)
        return [self.domain.to_config(f) for f in out]

    def tell(self, config: dict, value: Any, feasible: bool = True, extra: Any = None) -> None:
        """Record a result. ``value``: float (or a sequence of ``objectives`` floats); None, NaN
        or inf, or ``feasible=False`` records an infeasible point (it steers the search away)."""
        flat = self.domain.flat(config)
        self.domain.to_unit([flat])  # validates choices (ConfigError)
        m = self.options["objectives"]
        if value is None:
            vals = [math.nan] * m
        elif np.ndim(value) == 0:
            vals = [value] if m == 1 else None
        else:
            vals = list(value)
        if vals is None or len(vals) != m:
            raise ConfigError(f"tell: expected {m} objective value(s), got {value!r}")
        ok = bool(feasible) and all(_finite(v) for v in vals)
        y = np.array([float(v) if _finite(v) else math.nan for v in vals])
        key = self.domain.key(flat)
        self._pending.pop(key, None)
        self._flat.append(flat)
        self._U.append(self.domain.to_unit([flat])[0])
        self._Ucache = None
        self._Y.append(y)
        self._feas.append(ok)
        self._extra.append(extra)
        self._keys.add(key)
        self._update_turbo(y, ok)

    def add_pending(self, config: dict) -> None:
        """Mark a config chosen elsewhere (e.g. a user's point to evaluate) as in flight."""
        flat = self.domain.flat(config)
        self.domain.to_unit([flat])
        self._pending[self.domain.key(flat)] = flat

    def forget(self, config: dict) -> None:
        """Drop a pending config (e.g. a trial that was cancelled without a result)."""
        self._pending.pop(self.domain.key(config), None)

    @property
    def best(self) -> dict | None:
        """Best feasible observation: ``{"config", "value", "extra"}`` (single objective)."""
        if self.options["objectives"] != 1:
            raise ConfigError("best is for single-objective search; use pareto_front()")
        t = self._internal()[:, 0]
        feas = np.array(self._feas, dtype=bool)
        if not feas.any():
            return None
        i = int(np.argmax(np.where(feas, t, -np.inf)))
        return self._record(i)

    def pareto_front(self) -> list[dict]:
        """Non-dominated feasible observations, ``[{"config", "value", "extra"}]`` (value: tuple)."""
        Y = self._internal()
        feas = np.where(np.array(self._feas, dtype=bool))[0]
        if not len(feas):
            return []
        dom = _dominance_counts(Y[feas])
        return [self._record(int(i)) for i in feas[dom == 0]]

    def history(self) -> list[dict]:
        """Every observation in order: ``{"config", "value", "feasible", "extra"}``."""
        return [{**self._record(i), "feasible": self._feas[i]} for i in range(len(self._flat))]

    # -- state ------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Versioned, JSON-serialisable state (no pickle). The constraint callable is not saved."""
        d = self.domain
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "domain": d.to_dict(),
            "options": dict(self.options),
            "seed_base": self._seed_base,
            "rng": _safe_json(self.rng.bit_generator.state),
            "rng_kind": type(self.rng.bit_generator).__name__,
            "init_queue": [list(map(float, u)) for u in self._init_queue],
            "observations": [
                {
                    "config": d.config_to_json(self._flat[i]),
                    "value": [None if not math.isfinite(v) else float(v) for v in self._Y[i]],
                    "feasible": self._feas[i],
                    "extra": _safe_json(self._extra[i]),
                }
                for i in range(len(self._flat))
            ],
            "pending": [d.config_to_json(c) for c in self._pending.values()],
            "n_asked": self._n_asked,
            "tree_n": self._tree_n,
            "hyper": _safe_json(self._hyper),
            "hyper_n": self._hyper_n,
            "turbo": _safe_json(self._turbo),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` output (into a fresh or used instance with the same domain)."""
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise ConfigError("not a LAMCTS searcher state (format tag missing)")
        if int(state.get("version", -1)) != STATE_VERSION:
            raise ConfigError(f"searcher state version {state.get('version')} is not supported "
                              f"(this build reads version {STATE_VERSION})")
        if state["domain"]["params"] != self.domain.to_dict()["params"]:
            raise ConfigError("the saved searcher state was made for a different search space")
        d = self.domain
        self.options = dict(state["options"])
        self._sign = np.array([1.0 if m else -1.0 for m in self.options["maximize"]])
        self._seed_base = int(state["seed_base"])
        bg = getattr(np.random, state.get("rng_kind", "PCG64"))()
        bg.state = state["rng"]
        self.rng = np.random.Generator(bg)
        self._init_queue = [np.asarray(u, dtype=float) for u in state["init_queue"]]
        self._flat, self._U, self._Y, self._feas, self._extra, self._keys = [], [], [], [], [], set()
        for ob in state["observations"]:
            flat = d.config_from_json(ob["config"])
            self._flat.append(flat)
            self._U.append(d.to_unit([flat])[0])
            self._Y.append(np.array([math.nan if v is None else float(v) for v in ob["value"]]))
            self._feas.append(bool(ob["feasible"]))
            self._extra.append(ob.get("extra"))
            self._keys.add(d.key(flat))
        self._Ucache = None
        self._Ycache = None
        self._pending = {}
        for j in state["pending"]:
            flat = d.config_from_json(j)
            self._pending[d.key(flat)] = flat
        self._n_asked = int(state["n_asked"])
        self._tree, self._tree_n = None, int(state["tree_n"])
        self._hyper, self._hyper_n = state["hyper"], int(state["hyper_n"])
        self._turbo = dict(state["turbo"])

    # ------------------------------------------------------------------------------------------
    # internals
    # ------------------------------------------------------------------------------------------
    def _record(self, i: int) -> dict:
        v = self._Y[i]
        val = float(v[0]) if len(v) == 1 else tuple(float(x) for x in v)
        return {"config": self.domain.to_config(self._flat[i]), "value": val, "extra": self._extra[i]}

    def _internal(self) -> np.ndarray:
        """(n, m) objective values, all maximised (cached until the next tell)."""
        if not self._Y:
            return np.zeros((0, self.options["objectives"]))
        if self._Ycache is None or len(self._Ycache) != len(self._Y):
            self._Ycache = np.vstack(self._Y) * self._sign
        return self._Ycache

    def _allU(self) -> np.ndarray:
        if self._Ucache is None or len(self._Ucache) != len(self._U):
            self._Ucache = np.vstack(self._U)
        return self._Ucache

    def _scores(self, n: int | None = None) -> np.ndarray:
        """Scalar score per observation for the tree (larger is better; infeasible lowest)."""
        Y = self._internal()[:n]
        feas = np.array(self._feas[: len(Y)], dtype=bool)
        s = np.full(len(Y), np.nan)
        if feas.any():
            s[feas] = Y[feas, 0] if Y.shape[1] == 1 else -_dominance_counts(Y[feas]).astype(float)
            lo, span = s[feas].min(), np.ptp(s[feas])
            s[~feas] = lo - (0.2 * span if span > 0 else 1.0)
        else:
            s[:] = 0.0
        return s

    def _accept(self, flat: dict, out: list, batch_keys: set) -> bool:
        key = self.domain.key(flat)
        if key in self._keys or key in self._pending or key in batch_keys:
            return False
        if self.constraint is not None and not self.constraint(self.domain.to_config(flat)):
            return False
        out.append(flat)
        batch_keys.add(key)
        self._pending[key] = flat
        return True

    def _random_fill(self, k: int, out: list, batch_keys: set) -> None:
        if k <= 0:
            return
        target = len(out) + k
        tries = 0
        while len(out) < target and tries < 50:
            tries += 1
            for u in self.domain.uniform(self.rng, 4 * k):
                if len(out) >= target:
                    break
                self._accept(self.domain.from_unit(u)[0], out, batch_keys)

    def _get_tree(self, n: int):
        stale = n - self._tree_n >= max(1, n // 20)
        if self._tree is None or stale:
            if stale or self._tree_n == 0:
                self._tree_n = n
            m = self._tree_n
            X = self.domain.unit_to_features(self._allU()[:m])
            o = self.options
            self._tree = build_tree(X, self._scores(m), leaf_size=o["leaf_size"], max_depth=o["max_depth"],
                                    kernel=o["kernel"], seed=self._seed_base + m)
        return self._tree

    def _model_picks(self, k: int, out: list, batch_keys: set) -> None:
        o = self.options
        n = len(self._flat)
        tree = self._get_tree(n)
        s_tree = self._scores(self._tree_n)
        scale = float(np.ptp(s_tree)) or 1.0
        U_all = self._allU()
        X_all = self.domain.unit_to_features(U_all)
        Y_int = self._internal()
        feas = np.array(self._feas, dtype=bool)
        try:
            for _ in range(k):
                path = select_path(tree, o["cp"], scale)
                for node, _side in path:
                    node.virtual += 1
                leaf = path[-1][0]
                flat = self._pick(path, leaf.idx, U_all, X_all, Y_int, feas, batch_keys)
                if flat is None or not self._accept(flat, out, batch_keys):
                    return
        finally:
            _clear_virtual(tree)

    def _targets(self, Y_int: np.ndarray, feas: np.ndarray) -> np.ndarray:
        """GP targets: the objective, or a random augmented-Chebyshev scalarisation (ParEGO)."""
        if Y_int.shape[1] == 1:
            t = Y_int[:, 0].copy()
        else:
            F = Y_int[feas]
            lo, hi = F.min(0), F.max(0)
            Z = (Y_int - lo) / np.where(hi > lo, hi - lo, 1.0)
            w = self.rng.dirichlet(np.ones(Y_int.shape[1]))
            t = (w * Z).min(1) + 0.05 * (w * Z).sum(1)
        if (~feas).any():
            lo, span = t[feas].min(), np.ptp(t[feas])
            t[~feas] = lo - (0.2 * span if span > 0 else 1.0)
        return t

    def _pick(self, path, leaf_idx, U_all, X_all, Y_int, feas, batch_keys) -> dict | None:
        o = self.options
        d = self.domain
        P = len(d)
        t = self._targets(Y_int, feas)
        # centre: best point of the leaf (as it was built; fall back to the global best)
        cand_idx = leaf_idx[feas[leaf_idx]] if len(leaf_idx) else leaf_idx
        if not len(cand_idx):
            cand_idx = np.where(feas)[0]
        order = cand_idx[np.argsort(-t[cand_idx])]
        c = int(order[0])
        # bounded GP training set: nearest observations to the centre
        dist = np.linalg.norm(X_all - X_all[c], axis=1)
        gp_idx = np.argsort(dist, kind="stable")[: o["gp_max_points"]]
        Xg, tg = X_all[gp_idx], t[gp_idx]
        tt = o.get("target_transform", "none")
        if tt == "auto":  # a power warp needs enough data for its exponent; raw targets before that
            tt = "power" if int(feas.sum()) >= POWER_AUTO_MIN else "none"
        fg = feas[gp_idx]
        refit = self._hyper is None or len(self._flat) - self._hyper_n >= max(1, len(self._flat) // 20) \
            or len(self._hyper["lengthscale"]) != X_all.shape[1] or self._hyper.get("targets", "none") != tt
        lam = None
        if tt != "none" and fg.sum() >= 3:
            # warp the feasible targets only; infeasible ones go below the warped minimum again.
            # The power exponent is refitted with the GP's hyper-parameters (every ~n/20 tells).
            if tt == "copula":
                warped = _copula(tg[fg])
            else:
                lam = None if refit else self._hyper.get("power_lambda")
                warped, lam = _power(tg[fg], lam)
            tg = tg.copy()
            tg[fg] = warped
            if (~fg).any():
                span = float(np.ptp(warped))
                tg[~fg] = warped.min() - (0.2 * span if span > 0 else 1.0)
        if refit:
            self._hyper = _gp.fit_hyper(Xg, tg, kernel=o["gp_kernel"], seed=self._seed_base + len(self._flat))
            self._hyper["targets"] = tt
            if lam is not None:
                self._hyper["power_lambda"] = lam
            self._hyper_n = len(self._flat)
        # pending points (constant liar = the GP set's minimum)
        pend = list(self._pending.values())
        if pend:
            Xp = d.features(pend)
            near = np.argsort(np.linalg.norm(Xp - X_all[c], axis=1), kind="stable")[: max(1, o["gp_max_points"] // 2)]
            Xg = np.vstack([Xg, Xp[near]])
            tg = np.concatenate([tg, np.full(len(near), tg.min())])
        best_f = float(tg[: len(gp_idx)].max())
        # candidates
        C = self._candidates(U_all, order, c, path, P)
        if self.options["sampler"] == "random":
            score = self.rng.random(len(C))
        else:
            gp = _gp.GP(Xg, tg, self._hyper)
            mean, std = gp.predict(d.unit_to_features(C))
            score = _gp.log_ei(mean, std, best_f)
            # second stage: refine around the 10 best candidates (cheap acquisition optimisation)
            top = C[np.argsort(-score, kind="stable")[:10]]
            R = self._perturb(top, 40, sigma_range=(0.003, 0.05)) if o.get("refine", False) else []
            if o.get("acq_opt", "candidates") == "lbfgs":
                R = self._lbfgs(gp, top[:o.get("acq_starts", 3)], best_f, radius=o.get("acq_radius", 0.1))
            if len(R):
                mR, sR = gp.predict(d.unit_to_features(R))
                C = np.vstack([C, R])
                score = np.concatenate([score, _gp.log_ei(mR, sR, best_f)])
        for j in np.argsort(-score, kind="stable"):
            flat = d.from_unit(C[j])[0]
            key = d.key(flat)
            if key in self._keys or key in self._pending or key in batch_keys:
                continue
            if self.constraint is not None and not self.constraint(d.to_config(flat)):
                continue
            return flat
        return None

    def _candidates(self, U_all, order, c, path, P) -> np.ndarray:
        o = self.options
        d = self.domain
        rng = self.rng
        N = o["n_candidates"]
        numeric = d.numeric_mask
        n_loc = int(round(o["local_fraction"] * N))
        if o["sampler"] == "turbo":
            n_loc = N
        centres = order[: max(1, min(5, len(order)))]
        pick = np.where(rng.random(n_loc) < 0.5, c, rng.choice(centres, n_loc))
        base = U_all[pick]
        prob = min(1.0, 20.0 / P)
        mask = rng.random((n_loc, P)) < prob
        mask[np.arange(n_loc), rng.integers(0, P, n_loc)] = True
        if o["sampler"] == "turbo":
            ls = np.ones(P)
            if self._hyper is not None and all(p.kind != "categorical" for p in d.params):
                ls = np.asarray(self._hyper["lengthscale"], dtype=float)
                ls = ls / np.exp(np.mean(np.log(ls)))
            half = 0.5 * self._turbo["length"] * ls
            step = rng.uniform(-1, 1, (n_loc, P)) * half
        else:
            sig = np.exp(rng.uniform(math.log(0.01), math.log(0.3), (n_loc, 1)))
            step = rng.normal(size=(n_loc, P)) * sig
        loc = base.copy()
        num = mask & numeric[None, :]
        loc[num] = np.clip(base[num] + step[num], 0.0, 1.0)
        # categorical dims: resampled with probability 0.2 each (keeping the centre's value otherwise)
        cat = (rng.random((n_loc, P)) < 0.2) & ~numeric[None, :]
        loc[cat] = rng.random(int(cat.sum()))
        glob = d.uniform(rng, N - n_loc)
        C = d.snap(np.vstack([loc, glob]))
        inside = in_region(path, d.unit_to_features(C))
        if inside.sum() >= max(10, N // 20):
            C = C[inside]
        elif n_loc:
            C = C[:n_loc] if inside[:n_loc].sum() < 10 else C[:n_loc][inside[:n_loc]]
        return C

    def _lbfgs(self, gp, starts: np.ndarray, best_f: float, maxiter: int = 40, radius: float = 0.1) -> np.ndarray:
        """Polish the best candidates by L-BFGS-B on log-EI over the continuous dims (others fixed),
        each inside a box of half-width ``radius`` (unit coordinates) around it: a local polish of
        what the region's candidates found, not a global jump (unbounded, EI runs to the box's
        corners where the GP is most uncertain).

        All starts are polished together as one separable problem (the sum of their -log-EI), so
        each iteration is one GP call on ``S * (k + 1)`` points (forward-difference gradients over
        the ``k`` continuous dims). The results are snapped. Empty without continuous dimensions.
        """
        from scipy.optimize import minimize

        d = self.domain
        cont = np.array([p.kind in ("float", "log") and not p.q for p in d.params])
        if not cont.any() or not len(starts):
            return np.empty((0, len(d)))
        S, k, h = len(starts), int(cont.sum()), 1e-5
        base = np.repeat(np.asarray(starts, dtype=float), k + 1, axis=0)  # (S*(k+1), P)
        step = np.vstack([np.zeros(k), np.eye(k) * h])  # row 0: the point, rows 1..k: +h along one dim

        def f_and_g(z):
            Z = (z.reshape(S, 1, k) + step[None]).reshape(-1, k)
            pts = base.copy()
            pts[:, cont] = np.clip(Z, 0.0, 1.0)
            m, sd = gp.predict(d.unit_to_features(pts))
            v = (-_gp.log_ei(m, sd, best_f)).reshape(S, k + 1)
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

    def _perturb(self, centres: np.ndarray, per: int, sigma_range=(0.003, 0.05)) -> np.ndarray:
        """``per`` small Gaussian moves (numeric dims) around each centre, snapped; no region test."""
        d = self.domain
        rng = self.rng
        P = len(d)
        base = np.repeat(centres, per, axis=0)
        sig = np.exp(rng.uniform(math.log(sigma_range[0]), math.log(sigma_range[1]), (len(base), 1)))
        mask = rng.random(base.shape) < min(1.0, 20.0 / P)
        mask[np.arange(len(base)), rng.integers(0, P, len(base))] = True
        mask &= d.numeric_mask[None, :]
        out = base.copy()
        out[mask] = np.clip(base[mask] + (rng.normal(size=base.shape) * sig)[mask], 0.0, 1.0)
        return d.snap(out)

    def _update_turbo(self, y: np.ndarray, ok: bool) -> None:
        tb = self._turbo
        if not ok or self.options["objectives"] != 1:
            tb["fail"] += 1
        else:
            v = float(y[0] * self._sign[0])
            if tb["best"] is None or v > tb["best"] + 1e-3 * abs(tb["best"]):
                tb["succ"] += 1
                tb["fail"] = 0
                tb["best"] = v
            else:
                tb["fail"] += 1
                tb["succ"] = 0
        P = len(self.domain)
        fail_tol = max(1, math.ceil(max(4.0, P) / max(1, tb["batch"])))
        if tb["succ"] >= 3:
            tb["length"], tb["succ"] = min(1.6, 2 * tb["length"]), 0
        elif tb["fail"] >= fail_tol:
            tb["length"], tb["fail"] = tb["length"] / 2, 0
            if tb["length"] < 0.5**7:
                tb["length"] = 0.8


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


def _copula(t: np.ndarray) -> np.ndarray:
    """Rank-based Gaussian copula of GP targets (robust to heavy tails such as Rosenbrock's)."""
    from scipy.stats import norm, rankdata

    r = rankdata(t, method="average")
    return norm.ppf((r - 0.5) / len(t))


def _power(t: np.ndarray, lam: list | None = None) -> tuple[np.ndarray, list | None]:
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


def _clear_virtual(node) -> None:
    node.virtual = 0
    for ch in node.children:
        _clear_virtual(ch)


def _dominance_counts(Y: np.ndarray) -> np.ndarray:
    """For each row of Y (maximised), the number of rows that dominate it."""
    n = len(Y)
    out = np.zeros(n, dtype=int)
    for a in range(0, n, 512):
        B = Y[a:a + 512]
        ge = (Y[None, :, :] >= B[:, None, :]).all(-1)
        gt = (Y[None, :, :] > B[:, None, :]).any(-1)
        out[a:a + 512] = (ge & gt).sum(1)
    return out
