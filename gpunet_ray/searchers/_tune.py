"""Ray Tune adapter: :class:`LAMCTSSearch`, a drop-in ``ray.tune.search.Searcher``.

A thin layer over the ask/tell core: converts the space once, maps trial ids to configs, applies
the mode, filters NaN/inf/None results (told as infeasible), and saves/restores a versioned JSON
state (no pickle) so that ``Tuner.restore`` resumes with no re-suggested points.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from ray.tune.search import Searcher
from ray.tune.search.variant_generator import parse_spec_vars

from gpunet_ray.errors import ConfigError

from ._core import LAMCTS, _finite, as_domain
from ._domain import Domain
from ._peers import RandomCore

__all__ = ["LAMCTSSearch", "RandomSearch"]

logger = logging.getLogger(__name__)

_FORMAT = "gpunet_ray.searchers.tune"
_VERSION = 1
_DEFAULT_METRIC = "_metric"


class LAMCTSSearch(Searcher):
    """LA-MCTS + BO as a Ray Tune searcher.

    Args:
        space: a Ray Tune param space (``tune.uniform``, ``loguniform``, ``randint``, ``qrandint``,
            ``choice``, nested dicts), a ``SearchSpace`` (GPUNet/tiny; configs are its flat choice
            dicts), a :class:`Domain`, or None to take the Tuner's ``param_space``.
        metric: result key to optimise (a list of keys for multi-objective search).
        mode: ``"min"`` or ``"max"`` (a list for multi-objective search).
        points_to_evaluate: configs to try first (partial configs are not supported).
        seed: seed of the core's ``numpy.random.Generator``.
        evaluated_rewards: rewards of ``points_to_evaluate`` already evaluated (warm start).
        max_concurrent: at most this many trials in flight (0 = unlimited); ``suggest`` returns None
            at the limit. ``ConcurrencyLimiter`` sets it through ``set_max_concurrency``.
        **algorithm_options: passed to :class:`~gpunet_ray.searchers.LAMCTS` (``n_init``,
            ``leaf_size``, ``cp``, ``sampler``, ``constraint``, ...).

    A completed trial reporting ``feasible=False`` (the project's trainables do, with a ``reason``),
    a NaN/inf/missing metric, or ``error=True`` is told to the core as infeasible.
    """

    _core_cls = LAMCTS

    def __init__(self, space: Any = None, metric: str | list | None = None, mode: str | list | None = None,
                 points_to_evaluate: list[dict] | None = None, seed: int | None = None,
                 evaluated_rewards: list | None = None, max_concurrent: int = 0, **algorithm_options):
        super().__init__(metric=metric, mode=mode)
        self._seed = seed
        self._opts = algorithm_options
        self._points_to_evaluate = [dict(p) for p in (points_to_evaluate or [])]
        self._evaluated_rewards = list(evaluated_rewards) if evaluated_rewards is not None else None
        if self._evaluated_rewards is not None and len(self._evaluated_rewards) != len(self._points_to_evaluate):
            raise ConfigError("evaluated_rewards must have one entry per point in points_to_evaluate")
        self._max_concurrent = int(max_concurrent or 0)
        self._space_src: Any = None
        self._domain: Domain | None = None
        self._core: LAMCTS | None = None
        self._live: dict[str, dict] = {}  # trial id -> flat config
        self._last: dict[str, Any] = {}  # trial id -> last intermediate metric value
        self._completed: set[str] = set()
        if space is not None and not (isinstance(space, dict) and not space):
            self._set_space(space)

    # -- configuration -----------------------------------------------------------------------------
    def _set_space(self, space: Any) -> None:
        if isinstance(space, dict):
            _, domain_vars, grid_vars = parse_spec_vars(space)
            if grid_vars:
                raise ConfigError("tune.grid_search is not supported by LAMCTSSearch; use tune.choice")
            if not domain_vars:
                raise ConfigError("the param space has no tunable parameter (tune.uniform, tune.choice, ...)")
        self._space_src = space
        self._domain = as_domain(space)

    def _ensure_core(self) -> LAMCTS:
        if self._core is not None:
            return self._core
        if self._domain is None:
            raise RuntimeError(f"{type(self).__name__}: no search space; pass `space` or a Tuner param_space")
        if self._metric is None and self._mode:
            if isinstance(self._mode, list):
                raise ValueError("multi-objective mode needs a list of metrics")
            self._metric = _DEFAULT_METRIC
        if not self._metric or not self._mode:
            raise RuntimeError(f"{type(self).__name__}: metric and mode must be set (got {self._metric!r}, "
                               f"{self._mode!r}); pass them to the searcher or to TuneConfig")
        modes = self._mode if isinstance(self._mode, list) else [self._mode]
        if any(m not in ("min", "max") for m in modes):
            raise ConfigError(f"mode must be 'min' or 'max', got {self._mode!r}")
        metrics = self._metric if isinstance(self._metric, list) else [self._metric]
        if len(metrics) != len(modes):
            raise ConfigError("metric and mode lists must have the same length")
        self._core = self._core_cls(self._domain, seed=self._seed, maximize=tuple(m == "max" for m in modes),
                                    objectives=len(modes), **self._opts)
        if self._evaluated_rewards is not None:
            for p, r in zip(self._points_to_evaluate, self._evaluated_rewards):
                self._core.tell(p, r, feasible=_all_finite(r))
            self._points_to_evaluate = []
        return self._core

    def set_search_properties(self, metric: str | None, mode: str | None, config: dict, **spec) -> bool:
        if self._domain is not None:
            return False
        if config:
            self._set_space(config)
        if metric:
            self._metric = metric
        if mode:
            self._mode = mode
        return True

    def set_max_concurrency(self, max_concurrent: int) -> bool:
        self._max_concurrent = int(max_concurrent)
        return True

    @property
    def core(self) -> LAMCTS:
        """The ask/tell core (created once space, metric and mode are known)."""
        return self._ensure_core()

    # -- the loop ------------------------------------------------------------------------------------
    def suggest(self, trial_id: str) -> dict | None:
        core = self._ensure_core()
        if trial_id in self._live:
            return self._domain.to_config(self._live[trial_id])
        if self._max_concurrent and len(self._live) >= self._max_concurrent:
            return None
        if self._points_to_evaluate:
            point = self._points_to_evaluate.pop(0)
            flat = self._domain.flat(point)
            core.add_pending(flat)
        else:
            got = core.ask(1)
            if not got:
                return Searcher.FINISHED
            flat = self._domain.flat(got[0])
        self._live[trial_id] = flat
        return self._domain.to_config(flat)

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        """Intermediate results are remembered (used if the trial ends without a final metric)."""
        if trial_id in self._live and result:
            v = self._value(result)
            if v is not None:
                self._last[trial_id] = v

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        flat = self._live.pop(trial_id, None)
        last = self._last.pop(trial_id, None)
        if flat is None:
            return  # unknown or already completed trial
        self._completed.add(trial_id)
        core = self._ensure_core()
        value = self._value(result) if result else None
        if value is None and not error:
            value = last
        extra = {"trial_id": trial_id}
        if result and result.get("reason") is not None:
            extra["reason"] = str(result.get("reason"))
        if error:
            extra["reason"] = extra.get("reason", "error")
        feasible = (not error and value is not None and _all_finite(value)
                    and not (result and result.get("feasible") is False))
        core.tell(flat, value if value is not None else None, feasible=feasible, extra=extra)

    def _value(self, result: dict):
        if isinstance(self._metric, list):
            vals = [result.get(m) for m in self._metric]
            return None if any(v is None for v in vals) else tuple(vals)
        return result.get(self._metric)

    def add_evaluated_point(self, parameters: dict, value: float, error: bool = False, pruned: bool = False,
                            intermediate_values: list | None = None) -> None:
        core = self._ensure_core()
        core.tell(parameters, None if error else value, feasible=not error and _all_finite(value),
                  extra={"pruned": bool(pruned)} if pruned else None)

    # -- state ----------------------------------------------------------------------------------------
    def get_state(self) -> dict:
        core = self._ensure_core()
        d = self._domain
        src = None
        if self._space_src is not None and hasattr(self._space_src, "to_dict") and hasattr(self._space_src, "dims"):
            src = {"search_space": self._space_src.to_dict()}
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "searcher": type(self).__name__,
            "metric": self._metric,
            "mode": self._mode,
            "seed": self._seed,
            "max_concurrent": self._max_concurrent,
            "space": src,
            "core": core.state_dict(),
            "live": {tid: d.config_to_json(c) for tid, c in self._live.items()},
            "last": {k: v for k, v in self._last.items() if _all_finite(v)},
            "completed": sorted(self._completed),
            "points_to_evaluate": [d.config_to_json(d.flat(p)) for p in self._points_to_evaluate],
        }

    def set_state(self, state: dict) -> None:
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise ConfigError("not a gpunet_ray Tune searcher state")
        if int(state.get("version", -1)) != _VERSION:
            raise ConfigError(f"searcher state version {state.get('version')} is not supported (reads {_VERSION})")
        if self._domain is None:
            src = state.get("space")
            if src and "search_space" in src:
                from gpunet_ray.search_space import SearchSpace

                self._set_space(SearchSpace.from_dict(src["search_space"]))
            else:
                self._domain = Domain.from_dict(state["core"]["domain"])
        self._metric = state["metric"]
        self._mode = state["mode"]
        if self._seed is None:
            self._seed = state.get("seed")
        self._max_concurrent = int(state.get("max_concurrent") or self._max_concurrent)
        self._core = None
        self._evaluated_rewards = None
        self._points_to_evaluate = []
        core = self._ensure_core()
        core.load_state_dict(state["core"])
        d = self._domain
        self._live = {tid: d.config_from_json(j) for tid, j in state["live"].items()}
        self._last = dict(state.get("last", {}))
        self._completed = set(state.get("completed", []))
        self._points_to_evaluate = [d.to_config(d.config_from_json(j)) for j in state["points_to_evaluate"]]

    def save(self, checkpoint_path: str) -> None:
        """Write the JSON state atomically (the file name may end in ``.pkl``: Tune's template)."""
        state = self.get_state()
        tmp = f"{checkpoint_path}.tmp"
        with open(tmp, "w") as f:
            json.dump(state, f)
        os.replace(tmp, checkpoint_path)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path) as f:
            try:
                state = json.load(f)
            except json.JSONDecodeError:
                raise ConfigError(f"{checkpoint_path!r} is not a JSON searcher state") from None
        self.set_state(state)


class RandomSearch(LAMCTSSearch):
    """Uniform random search with the same adapter (seeded, duplicate-free, save/restore)."""

    _core_cls = RandomCore


def _all_finite(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, (list, tuple)):
        return all(_finite(x) for x in v)
    return _finite(v)

