"""Multi-objective peers for the benchmark, as ask/tell cores (:class:`~gpunet_ray.searchers.AskTellOptimizer`).

* ``lamcts``: the project's core with ``objectives=2`` (LaMOO-style dominance tree + ParEGO GP);
  variants as in the single-objective bench (``lamcts[cp=0.2]``); ``given_ref=true`` hands it the
  problem's reference point, as qLogNEHVI gets it (``lamcts[mo_acquisition=ehvi,given_ref=true]``).
* ``random``: :class:`~gpunet_ray.searchers.RandomCore`.
* ``optuna-nsga2``: Optuna's ``NSGAIISampler`` with a population that evolves within the budget
  (:func:`nsga2_population`: 10 at 50 evaluations, 20 at 200).
* ``optuna-tpe``: Optuna's multi-objective TPE (MOTPE), ``constant_liar=True`` for batches.
* ``botorch-qlognehvi``: BoTorch's qLogNEHVI (Daulton et al., NeurIPS 2021; Ament et al., NeurIPS
  2023) used directly (:class:`QLogNEHVICore`): a Sobol design, then a two-output GP and
  ``optimize_acqf`` over the unit cube (categorical and integer parameters relaxed and rounded),
  given the problem's reference point as in BoTorch's own benchmarks (the other searchers are not).

Every peer gets the same seed; none seeds a global generator.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from gpunet_ray.errors import ConfigError
from gpunet_ray.searchers import as_domain
from gpunet_ray.searchers._observations import Observations, ObservedCore, generator_from_state, safe_json

__all__ = ["MO_PEERS", "make_peer", "nsga2_population", "QLogNEHVICore"]

MO_PEERS = ("lamcts", "random", "optuna-nsga2", "optuna-tpe", "botorch-qlognehvi")


def nsga2_population(evals: int) -> int:
    """NSGA-II's population for a budget: ``clip(evals / 10, 10, 20)`` (5 generations at 50, 10 at 200)."""
    return int(min(20, max(10, round(evals / 10))))


def qlognehvi_n_init(n_params: int, evals: int) -> int:
    """qLogNEHVI's Sobol design: ``min(2 (P + 1), max(6, evals / 5))`` (BoTorch's 2(d+1), capped by the budget)."""
    return int(min(2 * (n_params + 1), max(6, evals // 5)))


def make_peer(name: str, domain: Any, *, seed: int, evals: int, ref_point: Sequence[float],
              constraint: Callable[[dict], bool] | None = None) -> Any:
    """A two-objective (both minimised) ask/tell core for the benchmark by name (see the module doc)."""
    from .searchers import parse_variant

    base, kw = parse_variant(name)
    mo = {"objectives": 2, "maximize": (False, False)}
    if base == "lamcts":
        from gpunet_ray.searchers import LAMCTS

        if kw.pop("given_ref", False):  # as qLogNEHVI is given it
            kw["ref_point"] = tuple(ref_point)

        return LAMCTS(domain, seed=seed, constraint=constraint, **mo, **kw)
    if kw:
        raise ConfigError(f"{base!r} takes no variant options, got {kw}")
    if base == "random":
        from gpunet_ray.searchers import RandomCore

        return RandomCore(domain, seed=seed, constraint=constraint, **mo)
    if base in ("optuna-nsga2", "optuna-tpe"):
        import optuna

        from gpunet_ray.searchers._peers import OptunaCore

        smp = (optuna.samplers.NSGAIISampler(seed=seed, population_size=nsga2_population(evals))
               if base == "optuna-nsga2" else optuna.samplers.TPESampler(seed=seed, constant_liar=True))
        return OptunaCore(domain, seed=seed, sampler=smp, constraint=constraint, **mo)
    if base == "botorch-qlognehvi":
        d = as_domain(domain)
        return QLogNEHVICore(d, seed=seed, ref_point=ref_point, n_init=qlognehvi_n_init(len(d), evals),
                             constraint=constraint, **mo)
    raise ConfigError(f"unknown multi-objective searcher {name!r}; use one of {', '.join(MO_PEERS)}")


class QLogNEHVICore(ObservedCore):
    """BoTorch qLogNEHVI as an ask/tell core.

    Args:
        domain: the search domain; the GP sees its unit view (one coordinate per parameter,
            categorical and integer values at their bin centres), the acquisition is maximised over
            the unit cube and its points are snapped to the domain (relax and round).
        ref_point: the hypervolume reference point, in the objectives' own signs.
        n_init: uniform random configs before the first model (from the core's generator).
        mc_samples, num_restarts, raw_samples: the acquisition's quasi-MC samples and
            ``optimize_acqf``'s multi-start (BoTorch's tutorial settings, scaled down).

    Infeasible results are left out of the GP. Torch's randomness (``optimize_acqf``'s raw samples)
    comes from a forked stream seeded by the core's generator.
    """

    multi_objective = True
    STATE_FORMAT = "gpunet_ray.bench.qlognehvi"

    def __init__(self, domain: Any, *, seed: int | None = None, maximize: Sequence[bool] = (False, False),
                 objectives: int = 2, ref_point: Sequence[float], n_init: int = 10, constraint=None,
                 mc_samples: int = 64, num_restarts: int = 4, raw_samples: int = 128):
        if objectives < 2 or len(maximize) != objectives or len(ref_point) != objectives:
            raise ConfigError("QLogNEHVICore needs >= 2 objectives, one maximize flag and one reference value each")
        self.domain = as_domain(domain)
        self.rng = np.random.default_rng(seed)
        self.obs = Observations(self.domain, maximize)
        self.ref = np.asarray(ref_point, dtype=float) * self.obs.sign  # maximisation space
        self.n_init = int(n_init)
        self.constraint = constraint
        self.mc_samples, self.num_restarts, self.raw_samples = mc_samples, num_restarts, raw_samples

    def ask(self, n: int = 1) -> list[dict]:
        out: list[dict] = []
        keys: set[str] = set()
        feas = self.obs.feasible()
        if n >= 1 and len(self.obs) >= self.n_init and feas.sum() >= 2:
            for u in self._acquire(n):
                self.obs.accept(self.domain.from_unit(u)[0], out, keys, self.constraint)
        self.obs.random_fill(self.rng, n - len(out), out, keys, self.constraint)  # design, or snapped duplicates
        return [self.domain.to_config(f) for f in out]

    def _acquire(self, q: int) -> np.ndarray:
        import torch
        from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
        from botorch.fit import fit_gpytorch_mll
        from botorch.models import SingleTaskGP
        from botorch.models.transforms.outcome import Standardize
        from botorch.optim import optimize_acqf
        from botorch.sampling import SobolQMCNormalSampler
        from gpytorch.mlls import ExactMarginalLogLikelihood

        feas = self.obs.feasible()
        X = torch.as_tensor(self.obs.unit()[feas], dtype=torch.double)
        Y = torch.as_tensor(self.obs.internal()[feas], dtype=torch.double)
        P = X.shape[1]
        seed = int(self.rng.integers(2**31 - 1))
        prev = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                model = SingleTaskGP(X, Y, outcome_transform=Standardize(m=Y.shape[1]))
                fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
                acq = qLogNoisyExpectedHypervolumeImprovement(
                    model=model, ref_point=self.ref.tolist(), X_baseline=X, prune_baseline=True,
                    sampler=SobolQMCNormalSampler(sample_shape=torch.Size([self.mc_samples]), seed=seed))
                bounds = torch.stack([torch.zeros(P, dtype=torch.double), torch.ones(P, dtype=torch.double)])
                cand, _ = optimize_acqf(acq, bounds=bounds, q=q, num_restarts=self.num_restarts,
                                        raw_samples=self.raw_samples, sequential=True,
                                        options={"batch_limit": 5, "maxiter": 100})
        finally:
            torch.set_num_threads(prev)
        return self.domain.snap(cand.detach().numpy().clip(0.0, 1.0))

    def tell(self, config: dict, value: Any, feasible: bool = True, extra: Any = None) -> None:
        self.obs.add(config, value, feasible, extra)

    def state_dict(self) -> dict:
        return {"format": self.STATE_FORMAT, "version": 1, "domain": self.domain.to_dict(),
                "rng": safe_json(self.rng.bit_generator.state), "rng_kind": type(self.rng.bit_generator).__name__,
                "observations": self.obs.observations_json(), "pending": self.obs.pending_json()}

    def load_state_dict(self, state: dict) -> None:
        if state.get("format") != self.STATE_FORMAT or state["domain"]["params"] != self.domain.to_dict()["params"]:
            raise ConfigError("not a QLogNEHVICore state for this space")
        self.rng = generator_from_state(state)
        self.obs.load_json(state["observations"], state["pending"])
