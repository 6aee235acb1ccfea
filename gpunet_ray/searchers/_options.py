"""LA-MCTS options: one frozen dataclass, :class:`LAMCTSOptions`, validated once.

The constructor's keywords, the defaults and what a saved state holds are this class's fields; the
algorithm reads attributes, never ``dict.get`` fallbacks. A state written before an option existed
resumes with the behaviour it was written with (:data:`LEGACY`), which is not always today's default.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields

import numpy as np

from gpunet_ray.errors import ConfigError

from ._gp import GP_PRIORS
from ._targets import TARGET_TRANSFORMS

__all__ = ["LAMCTSOptions", "SAMPLERS", "ACQ_OPTS", "GP_KERNELS", "LEGACY", "GLOBAL_AFTER", "GLOBAL_AFTER_SHARE",
           "INFEASIBLE", "PENDING", "GP_PRIORS"]

SAMPLERS = ("bo", "turbo", "random")
ACQ_OPTS = ("candidates", "lbfgs")
MO_ACQUISITIONS = ("auto", "parego", "ehvi")
ACQUISITIONS = ("ei", "mace")
#: What the GP makes of infeasible observations (``infeasible``): placed below the worst feasible value
#: (the default), left out, or left out of the objective's GP and modelled by a feasibility GP whose
#: probability weighs log-EI.
INFEASIBLE = ("below", "exclude", "pof")
#: How a batch's unevaluated points enter a log-EI pick (``pending``): a constant liar in the GP's data,
#: or the pick's increment of the batch's q-EI.
PENDING = ("liar", "qei")
GP_KERNELS = ("rbf", "matern", "matern32")

#: ``global_after="auto"`` with one objective: from this many observations on, whole-box BO steps (issue
#: 14's session-10 ablation on 41 tuning problems, docs/BENCHMARKS.md) ...
GLOBAL_AFTER = 100
#: ... or, when the run's ``budget`` is known, from this share of it on if that comes sooner (session 11).
GLOBAL_AFTER_SHARE = 0.5

#: Options added after the first state format, with the behaviour of a state that lacks them (the
#: value the algorithm had before the option existed).
LEGACY = {"target_transform": "none", "refine": False, "acq_opt": "candidates", "acq_starts": 3, "acq_radius": 0.1,
          "input_warp": False, "mo_acquisition": "parego", "ref_point": None, "global_after": None,
          "exploit_every": None, "acq_discrete": False, "cov_fraction": 0.0, "acquisition": "ei", "budget": None,
          "init_share": None, "infeasible": "below", "gp_prior": "dim_scaled",
          "polish_best": False, "pending": "liar"}


@dataclass(frozen=True)
class LAMCTSOptions:
    """Options of :class:`~gpunet_ray.searchers.LAMCTS` (see its docstring for their meaning).

    ``n_init`` and ``n_candidates`` may be None (sized from the number of parameters by
    :meth:`resolved`); ``acq_starts``, ``acq_radius``, ``acq_discrete`` and ``gp_kernel`` given as None,
    and ``global_after="auto"``, are resolved at construction by the number of objectives (``gp_prior``
    None too with several; with one, by the domain in :meth:`resolved`), ``pending`` None by the objectives
    and the acquisition, and ``mo_acquisition="auto"`` by the reference point (so
    ``dataclasses.replace(options, objectives=2)`` keeps the one-objective values, and with ``pending="qei"``
    is refused: build new options instead); every other field is the value used.
    """

    maximize: bool | tuple[bool, ...] = True  # one flag per objective (a bool: the same for all)
    objectives: int = 1
    n_init: int | None = None
    leaf_size: int = 20
    cp: float = 0.1
    kernel: str = "rbf"
    sampler: str = "bo"
    n_candidates: int | None = None
    gp_max_points: int = 200
    max_depth: int = 6
    gp_kernel: str | None = None  # None: "matern" (5/2) with one objective, "rbf" with several; or "matern32"
    local_fraction: float = 0.8
    target_transform: str = "power"
    refine: bool = False
    acq_opt: str = "lbfgs"
    acq_starts: int | None = None  # None: 10 with one objective, 3 with several (resolved here)
    acq_radius: float | None = None  # None: 1.0 (the whole box) with one objective, 0.1 with several
    input_warp: bool = False
    mo_acquisition: str = "auto"  # resolved here: "ehvi" with two objectives and a ref_point, else "parego"
    ref_point: tuple | None = None  # with "ehvi": the hypervolume's reference (None: inferred from the front)
    global_after: int | str | None = "auto"  # from this many observations on, the region is the whole box (no
    # tree); None: never; "auto": 100 with one objective (session 10's ablation), never with several
    exploit_every: int | None = 4  # every k-th model pick maximises the GP's posterior mean, not log-EI
    acq_discrete: bool | None = None  # the polish also climbs over discrete dims (None: with one objective)
    cov_fraction: float = 0.0  # share of local candidates drawn from the best points' covariance
    acquisition: str = "ei"  # one objective: "ei" (log-EI) or "mace" (HEBO's log-EI / log-PI / UCB front)
    budget: int | None = None  # evaluations the run will make, when known (global_after="auto" uses it)
    init_share: float | None = None  # with a budget and n_init None: the design is at most this share of it
    infeasible: str = "below"  # infeasible observations in the GP: "below" the worst, "exclude" or "pof"
    gp_prior: str | None = None  # the GP's priors: "optuna" (GPSampler's) or "dim_scaled" (BoTorch's); None:
    # "optuna" with one objective on a domain with a float parameter, else "dim_scaled" (session 14; resolved())
    polish_best: bool = False  # the acquisition's polish also starts from the region's best observation
    pending: str | None = None  # a batch's unevaluated points: a constant "liar" in the GP, or "qei" (one
    # objective, acquisition "ei"); None: "qei" there (session 16's ablation), else "liar"

    def __post_init__(self) -> None:
        self._check_numbers()
        if self.objectives < 1:
            raise ConfigError(f"objectives must be >= 1, got {self.objectives}")
        if self.sampler not in SAMPLERS:
            raise ConfigError(f"sampler must be one of {SAMPLERS}, got {self.sampler!r}")
        if self.target_transform not in TARGET_TRANSFORMS:
            raise ConfigError(f"target_transform must be one of {TARGET_TRANSFORMS}, got {self.target_transform!r}")
        if self.acq_opt not in ACQ_OPTS:
            raise ConfigError(f"acq_opt must be 'candidates' or 'lbfgs', got {self.acq_opt!r}")
        if self.acquisition not in ACQUISITIONS:
            raise ConfigError(f"acquisition must be one of {ACQUISITIONS}, got {self.acquisition!r}")
        if self.infeasible not in INFEASIBLE:
            raise ConfigError(f"infeasible must be one of {INFEASIBLE}, got {self.infeasible!r}")
        if self.mo_acquisition not in MO_ACQUISITIONS:
            raise ConfigError(f"mo_acquisition must be one of {MO_ACQUISITIONS}, got {self.mo_acquisition!r}")
        # issue 14's ablations chose the single-objective acquisition (a whole-box polish from 10 starts and
        # a discrete climb; session 7), kernel (Matern 5/2; session 9) and priors (by the domain, session 14:
        # resolved()); the multi-objective modes keep the settings their own benchmark chose
        single = int(self.objectives) == 1
        for name, one, several in (("acq_starts", 10, 3), ("acq_radius", 1.0, 0.1), ("acq_discrete", True, False),
                                   ("gp_kernel", "matern", "rbf")):
            if getattr(self, name) is None:
                object.__setattr__(self, name, one if single else several)
        if self.pending is None:
            object.__setattr__(self, "pending", "qei" if single and self.acquisition == "ei" else "liar")
        if self.pending not in PENDING:
            raise ConfigError(f"pending must be one of {PENDING} or None, got {self.pending!r}")
        if self.pending == "qei" and not (single and self.acquisition == "ei"):
            raise ConfigError("pending='qei' is for one objective with acquisition='ei'")
        if self.budget is not None and self.budget < 1:  # a whole number already (_check_numbers)
            raise ConfigError(f"budget must be a whole number of evaluations >= 1 or None, got {self.budget!r}")
        if self.init_share is not None:
            try:
                share = float(self.init_share) if not isinstance(self.init_share, (bool, str)) else float("nan")
            except (TypeError, ValueError):
                share = float("nan")
            if not 0.0 < share <= 1.0:
                raise ConfigError(f"init_share must be in (0, 1] or None, got {self.init_share!r}")
            object.__setattr__(self, "init_share", share)
        if self.global_after == "auto":
            after = GLOBAL_AFTER if self.budget is None else min(GLOBAL_AFTER, int(GLOBAL_AFTER_SHARE * self.budget))
            object.__setattr__(self, "global_after", after if single else None)
        if self.mo_acquisition == "auto":
            object.__setattr__(self, "mo_acquisition",
                               "ehvi" if self.objectives == 2 and self.ref_point is not None else "parego")
        if self.mo_acquisition == "ehvi" and self.objectives != 2:
            raise ConfigError("mo_acquisition='ehvi' is for two objectives")
        if self.ref_point is not None:
            if len(self.ref_point) != self.objectives:
                raise ConfigError(f"ref_point needs one value per objective ({self.objectives})")
            try:
                ref = tuple(float(v) for v in self.ref_point)
            except (TypeError, ValueError):
                raise ConfigError(f"ref_point must be numbers, got {self.ref_point!r}") from None
            object.__setattr__(self, "ref_point", ref)
        if self.gp_kernel not in GP_KERNELS:
            raise ConfigError(f"gp_kernel must be one of {GP_KERNELS}, got {self.gp_kernel!r}")
        if self.gp_prior is None and not single:
            object.__setattr__(self, "gp_prior", "dim_scaled")  # the multi-objective benchmark's GP
        if self.gp_prior is not None and self.gp_prior not in GP_PRIORS:
            raise ConfigError(f"gp_prior must be one of {GP_PRIORS} or None, got {self.gp_prior!r}")
        maximize = self.maximize
        if isinstance(maximize, (bool, np.bool_)):
            maximize = (bool(maximize),) * self.objectives
        maximize = tuple(bool(m) for m in maximize)
        if len(maximize) != self.objectives:
            raise ConfigError(f"maximize needs one flag per objective ({self.objectives}), got {maximize}")
        if self.leaf_size < 2:
            raise ConfigError("leaf_size must be >= 2")
        set_ = object.__setattr__
        set_(self, "maximize", maximize)
        set_(self, "objectives", int(self.objectives))
        for name in ("leaf_size", "gp_max_points", "max_depth", "acq_starts"):
            set_(self, name, int(getattr(self, name)))
        if not 0.0 <= float(self.cov_fraction) <= 1.0:
            raise ConfigError(f"cov_fraction must be in [0, 1], got {self.cov_fraction}")
        for name in ("cp", "local_fraction", "acq_radius", "cov_fraction"):
            set_(self, name, float(getattr(self, name)))
        if self.global_after is not None and (isinstance(self.global_after, str) or int(self.global_after) < 0):
            raise ConfigError(f"global_after must be >= 0, None or 'auto', got {self.global_after!r}")
        if self.exploit_every is not None and int(self.exploit_every) < 1:
            raise ConfigError(f"exploit_every must be >= 1 or None, got {self.exploit_every}")
        for name in ("n_init", "n_candidates", "global_after", "exploit_every", "budget"):
            if getattr(self, name) is not None:
                set_(self, name, int(getattr(self, name)))
        set_(self, "kernel", str(self.kernel))
        set_(self, "refine", bool(self.refine))
        set_(self, "input_warp", bool(self.input_warp))
        set_(self, "acq_discrete", bool(self.acq_discrete))
        set_(self, "polish_best", bool(self.polish_best))

    def _check_numbers(self) -> None:
        """A :class:`ConfigError` naming the option for a numeric option that is not a number (e.g. the
        string ``"None"`` from a command line, where YAML's ``null`` is None), before any arithmetic on it."""
        whole = {"objectives": False, "n_init": True, "leaf_size": False, "n_candidates": True, "gp_max_points": False,
                 "max_depth": False, "acq_starts": True, "global_after": True, "exploit_every": True, "budget": True}
        real = {"cp": False, "local_fraction": False, "acq_radius": True, "cov_fraction": False}
        for name, nullable in {**whole, **real}.items():
            v = getattr(self, name)
            if (v is None and nullable) or (name == "global_after" and v == "auto"):
                continue
            ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)) \
                and math.isfinite(float(v)) and (name in real or float(v) == int(v))
            if not ok:
                kind = "a number" if name in real else "a whole number"
                extra = " or null (None)" if nullable else ""
                extra += " or 'auto'" if name == "global_after" else ""
                raise ConfigError(f"{name} must be {kind}{extra}, got {v!r}")

    def resolved(self, n_params: int, continuous: bool = False) -> "LAMCTSOptions":
        """A copy with ``n_init`` (``clip(P + 1, 8, 20)``, or with a ``budget`` and ``init_share`` at most
        ``max(4, init_share * budget)``) and ``n_candidates`` (``min(2000, 100 P + 500)``) filled in for
        ``P = n_params`` parameters where they are None, and ``gp_prior`` (one objective): ``"optuna"`` where
        the domain has a ``continuous`` (float or log) parameter, else ``"dim_scaled"`` (issue 14's session-14
        ablation: Optuna's priors ranked better on the 50 tuning problems with one, BoTorch's on the 11
        all-discrete NAS-like ones)."""
        P = int(n_params)
        prior = self.gp_prior or ("optuna" if continuous else "dim_scaled")
        n_init = self.n_init
        if n_init is None:
            n_init = min(max(P + 1, 8), 20)
            if self.budget is not None and self.init_share is not None:
                n_init = min(n_init, max(4, int(self.init_share * self.budget)))
        return dataclasses.replace(self, n_init=n_init, n_candidates=self.n_candidates or min(2000, 100 * P + 500),
                                   gp_prior=prior)

    # -- JSON (the state's "options") -------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The JSON form a state holds (``maximize`` as a list)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["maximize"] = list(self.maximize)
        out["ref_point"] = None if self.ref_point is None else list(self.ref_point)
        return out

    @classmethod
    def from_dict(cls, d: dict) -> "LAMCTSOptions":
        """Options from a state's dict; keys the writer did not know take :data:`LEGACY` values."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigError(f"the saved LAMCTS options hold unknown key(s) {unknown}")
        return cls(**{**LEGACY, **d})
