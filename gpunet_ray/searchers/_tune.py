"""Ray Tune adapter: :class:`LAMCTSSearch`, a drop-in ``ray.tune.search.Searcher``.

A thin layer over the ask/tell core: converts the space once (:meth:`LAMCTSSearch.convert_search_space`),
filters NaN/inf/None results (told as infeasible), and keeps the core's state in its own. The
trial-id mapping, the mode sign and the versioned JSON state, saved atomically (no pickle) so that
``Tuner.restore`` resumes with no re-suggested points, are :class:`~._adapter.TuneAdapter`'s.

The Tune contract it keeps (the one Ray's own searchers keep, e.g. ``OptunaSearch``):

* any Tune space: search objects nested in dicts, lists and tuples, and conditional branches (a
  ``tune.choice`` whose options hold further search objects); trials get concrete configs;
* floats in ``[low, high)``; quantised values on Tune's grid;
* ``set_search_properties`` returns False once a space is set; ``suggest`` returns None at the
  searcher's own ``max_concurrent``; ``set_max_concurrency`` returns False, so a
  ``ConcurrencyLimiter`` keeps its own count and state (and ``batch=True`` works);
* user errors are :class:`~gpunet_ray.errors.ConfigError`, hence ``ValueError`` (a missing
  space/metric/mode is also a ``RuntimeError``, as in Ray's searchers);
* ``save``/``restore`` never need user values to be JSON: configs are stored as choice indices
  and numbers, and non-JSON values come from the space the searcher was built with.
"""

from __future__ import annotations

import functools
import inspect
import logging
import sys
from typing import Any

from ray.tune.search import Searcher

from gpunet_ray.errors import ConfigError, SearcherSetupError

from ._adapter import TuneAdapter, core_objectives
from ._core import LAMCTS
from ._domain import Domain, as_domain
from ._protocol import AskTellOptimizer
from ._random import RandomCore
from ._values import decode_value, encode_value, opaque_values
from ._values import finite as _finite

__all__ = ["LAMCTSSearch", "RandomSearch", "SearcherSetupError"]

logger = logging.getLogger(__name__)

_DEFAULT_METRIC = "_metric"


@functools.lru_cache(maxsize=None)
def _core_options(core_cls: type) -> frozenset:
    """The option keywords a core's constructor takes (what ``**algorithm_options`` may hold)."""
    return frozenset(inspect.signature(core_cls.__init__).parameters) - {"self", "domain", "seed", "maximize",
                                                                        "objectives"}


def _check_metric_mode(metric: Any, mode: Any) -> None:
    """ConfigError (not Tune's AssertionError) for an invalid metric/mode pair."""
    modes = mode if isinstance(mode, list) else [mode]
    if mode is not None and (not modes or any(m not in ("min", "max") for m in modes)):
        raise ConfigError(f"mode must be 'min' or 'max' (or a list of them), got {mode!r}")
    if metric is not None and not isinstance(metric, (str, list)):
        raise ConfigError(f"metric must be a result key or a list of keys, got {metric!r}")
    if metric and mode and isinstance(metric, list) != isinstance(mode, list):
        raise ConfigError(f"metric and mode must both be lists or both single values, got {metric!r}, {mode!r}")
    if isinstance(metric, list) and isinstance(mode, list) and len(metric) != len(mode):
        raise ConfigError(f"metric and mode lists must have the same length, got {metric!r}, {mode!r}")


class _CoreSearch(TuneAdapter):
    """An ask/tell core (``_core_cls``, built as ``_core_cls(domain, seed=, maximize=, [objectives=,]
    **options)``, with ``add_pending``) as a Ray Tune searcher; see :class:`LAMCTSSearch` for the
    arguments and the contract it keeps."""

    STATE_FORMAT = "gpunet_ray.searchers.tune"
    STATE_VERSION = 2
    STATE_READS = (1, 2)
    _core_cls: type  # the core's class (a subclass sets it)
    #: instance attributes this class manages itself (everything else is a subclass's: see LAMCTSSearch).
    _OWN_ATTRS = frozenset({
        "_metric", "_mode", "_seed", "_opts", "_points_to_evaluate", "_evaluated_rewards", "_max_concurrent",
        "_space_src", "_domain", "_core", "_live", "_last", "_completed", "_unsaved_warned",
    })

    def __init__(self, space: Any = None, metric: str | list | None = None, mode: str | list | None = None,
                 points_to_evaluate: list[dict] | None = None, seed: int | None = None,
                 evaluated_rewards: list | None = None, max_concurrent: int = 0, **algorithm_options):
        _check_metric_mode(metric, mode)
        super().__init__(metric=metric, mode=mode)
        known = _core_options(self._core_cls)
        unknown = sorted(set(algorithm_options) - known)
        if unknown:
            raise ConfigError(f"{type(self).__name__}: unknown option(s) {unknown}; known: {sorted(known)}")
        self._seed = seed
        self._opts = algorithm_options
        if points_to_evaluate is not None and not (isinstance(points_to_evaluate, list)
                                                   and all(isinstance(p, dict) for p in points_to_evaluate)):
            raise ConfigError("points_to_evaluate must be a list of config dicts")
        self._points_to_evaluate = [dict(p) for p in (points_to_evaluate or [])]
        self._evaluated_rewards = list(evaluated_rewards) if evaluated_rewards is not None else None
        if self._evaluated_rewards is not None and len(self._evaluated_rewards) != len(self._points_to_evaluate):
            raise ConfigError("evaluated_rewards must have one entry per point in points_to_evaluate")
        if int(max_concurrent or 0) < 0:
            raise ConfigError(f"max_concurrent must be >= 0, got {max_concurrent}")
        self._max_concurrent = int(max_concurrent or 0)
        self._space_src: Any = None
        self._domain: Domain | None = None
        self._core: AskTellOptimizer | None = None
        self._last: dict[str, Any] = {}  # trial id -> last intermediate metric value
        self._completed: set[str] = set()
        self._unsaved_warned: set[str] = set()
        if space is not None and not (isinstance(space, dict) and not space):
            self._set_space(space)

    # -- configuration -----------------------------------------------------------------------------
    @staticmethod
    def convert_search_space(spec: Any) -> Domain:
        """The :class:`Domain` of a Tune param space (or SearchSpace / Domain); pass it as ``space``.

        ConfigError (a ValueError) for ``tune.grid_search``, ``sample_from``, ``tune.randn`` or a
        space without any search object."""
        return as_domain(spec)

    def _set_space(self, space: Any) -> None:
        if isinstance(space, dict) and not isinstance(space, Domain):
            try:
                domain = Domain.from_tune(space)
            except ConfigError as exc:
                if "no tunable parameter" in str(exc):
                    raise SearcherSetupError(f"{type(self).__name__}: {exc}") from None
                raise
        else:
            domain = as_domain(space)
        for p in self._points_to_evaluate:  # fail now, not at the n-th suggest
            domain.to_unit([p])
        self._space_src = space
        self._domain = domain

    def _ensure_core(self) -> Any:
        if self._core is not None:
            return self._core
        if self._domain is None:
            raise SearcherSetupError(f"{type(self).__name__}: no search space; pass `space` to the searcher or a "
                                     "`param_space` to the Tuner")
        if self._metric is None and self._mode:
            if isinstance(self._mode, list):
                raise ConfigError("multi-objective mode needs a list of metrics")
            self._metric = _DEFAULT_METRIC
        if not self._metric or not self._mode:
            raise SearcherSetupError(f"{type(self).__name__}: metric and mode must be set (got {self._metric!r}, "
                                     f"{self._mode!r}); pass them to the searcher or to TuneConfig")
        _check_metric_mode(self._metric, self._mode)
        self._core = self._core_cls(self._domain, seed=self._seed, **core_objectives(self._mode), **self._opts)
        if self._evaluated_rewards is not None:
            for p, r in zip(self._points_to_evaluate, self._evaluated_rewards):
                self._core.tell(p, r, feasible=_all_finite(r))
            self._points_to_evaluate = []
        return self._core

    def set_search_properties(self, metric: str | None, mode: str | None, config: dict, **spec) -> bool:
        """Tune's metric, mode and ``param_space``; also its ``num_samples`` as the core's ``budget``
        (plus the ``evaluated_rewards`` already told), when the core takes one and none was given."""
        self._take_budget(spec.get("num_samples"))
        if self._domain is not None:
            return False
        _check_metric_mode(metric or self._metric, mode or self._mode)
        if config:
            self._set_space(config)
        if metric:
            self._metric = metric
        if mode:
            self._mode = mode
        return True

    def _take_budget(self, num_samples: Any) -> None:
        if ("budget" in self._opts or self._core is not None or isinstance(num_samples, bool)
                or "budget" not in _core_options(self._core_cls)):
            return
        if isinstance(num_samples, int) and 1 <= num_samples < sys.maxsize:  # -1 (unbounded): Tune's maxsize
            self._opts["budget"] = num_samples + len(self._evaluated_rewards or ())

    def set_max_concurrency(self, max_concurrent: int) -> bool:
        """Returns False: a ``ConcurrencyLimiter`` keeps the count (and its state, and ``batch``)
        itself, as with Ray's own searchers. The searcher's ``max_concurrent`` stays as given."""
        return False

    @property
    def core(self) -> Any:
        """The ask/tell core (created once space, metric and mode are known)."""
        return self._ensure_core()

    # -- the loop (trial ids: TuneAdapter) -------------------------------------------------------------
    def _new_trial(self, trial_id: str) -> dict | str | None:
        """The flat config of a new trial: the next of ``points_to_evaluate``, else the core's."""
        core = self._ensure_core()
        if self._max_concurrent and len(self._live) >= self._max_concurrent:
            return None
        if self._points_to_evaluate:
            flat = self._domain.flat(self._points_to_evaluate.pop(0))
            core.add_pending(flat)
            return flat
        got = core.ask(1)
        return self._domain.flat(got[0]) if got else Searcher.FINISHED

    def _trial_config(self, flat: dict) -> dict:
        return self._domain.to_config(flat)

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        """Intermediate results are remembered (used if the trial ends without a final metric)."""
        if trial_id in self._live and result:
            v = self._value(result)
            if v is not None:
                self._last[trial_id] = v

    def _complete(self, trial_id: str, flat: dict, result: dict | None, error: bool) -> None:
        last = self._last.pop(trial_id, None)
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

    # -- state (format, version, save, restore: TuneAdapter) -------------------------------------------
    def _state_body(self) -> dict:
        core = self._ensure_core()
        d = self._domain
        src = None
        if self._space_src is not None and hasattr(self._space_src, "to_dict") and hasattr(self._space_src, "dims"):
            src = {"search_space": self._space_src.to_dict()}
        return {
            "searcher": type(self).__name__,
            "metric": self._metric,
            "mode": self._mode,
            "seed": None if self._seed is None else int(self._seed),
            "max_concurrent": self._max_concurrent,
            "space": src,
            "core": core.state_dict(),
            "live": {tid: d.config_to_json(c) for tid, c in self._live.items()},
            "last": {k: (float(v) if not isinstance(v, (list, tuple)) else [float(x) for x in v])
                     for k, v in self._last.items() if _all_finite(v)},
            "completed": sorted(self._completed),
            "points_to_evaluate": [d.config_to_json(d.flat(p)) for p in self._points_to_evaluate],
            "attrs": self._subclass_attrs(),
        }

    def _subclass_attrs(self) -> dict:
        """Encoded values of the instance attributes a subclass added (opaque ones: logged, skipped)."""
        out = {}
        for k, v in vars(self).items():
            if k in self._OWN_ATTRS or k.startswith("__"):
                continue
            j = encode_value(v)
            if not opaque_values(j):
                out[k] = j
            elif k not in self._unsaved_warned:
                self._unsaved_warned.add(k)
                logger.warning("%s: attribute %r (%s) is not JSON and is not saved with the searcher state; "
                               "extend get_state/set_state to keep it", type(self).__name__, k, type(v).__name__)
        return out

    def _load_state_body(self, state: dict) -> None:
        if self._domain is None:
            src = state.get("space")
            if src and "search_space" in src:
                from gpunet_ray.search_space import SearchSpace

                self._set_space(SearchSpace.from_dict(src["search_space"]))
            else:
                try:
                    self._domain = Domain.from_dict(state["core"]["domain"])
                except ConfigError as exc:
                    raise ConfigError(f"cannot restore {type(self).__name__} without its search space: {exc}. "
                                      "Construct the searcher with the same `space` (or give the Tuner the same "
                                      "`param_space`) before restoring") from None
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
        for k, j in (state.get("attrs") or {}).items():
            if k not in self._OWN_ATTRS:
                setattr(self, k, decode_value(j))


class LAMCTSSearch(_CoreSearch):
    """LA-MCTS + BO as a Ray Tune searcher.

    Args:
        space: a Ray Tune param space (``tune.uniform``, ``quniform``, ``loguniform``, ``randint``,
            ``qrandint``, ``lograndint``, ``choice``, ... anywhere in nested dicts, lists and tuples;
            a ``tune.choice`` over sub-spaces is a conditional branch), a ``SearchSpace``
            (GPUNet/tiny; configs are its flat choice dicts), a :class:`Domain`, or None to take the
            Tuner's ``param_space``.
        metric: result key to optimise (a list of keys for multi-objective search).
        mode: ``"min"`` or ``"max"`` (a list for multi-objective search).
        points_to_evaluate: configs to try first (complete: every active parameter given).
        seed: seed of the core's ``numpy.random.Generator``.
        evaluated_rewards: rewards of ``points_to_evaluate`` already evaluated (warm start).
        max_concurrent: at most this many trials in flight (0 = unlimited); ``suggest`` returns None
            at the limit. A ``ConcurrencyLimiter`` around the searcher keeps its own count instead.
        **algorithm_options: passed to :class:`~gpunet_ray.searchers.LAMCTS` (``n_init``,
            ``leaf_size``, ``cp``, ``sampler``, ``constraint``, ...).

    The core's ``budget`` (when not given) is Tune's ``num_samples`` plus the ``evaluated_rewards``,
    read in ``set_search_properties`` (Ray calls it when the Tuner has a ``param_space``); behind a
    ``Repeater``, which makes ``repeat`` trials per suggestion, pass ``budget=num_samples // repeat``.

    A completed trial reporting ``feasible=False`` (the project's trainables do, with a ``reason``),
    a NaN/inf/missing metric, or ``error=True`` is told to the core as infeasible.

    State (``save``/``get_state``) is JSON. Configs are stored as choice indices and numbers; the
    space is stored too, with values JSON cannot hold losslessly (functions, paths, ...) as
    placeholders: restoring a state whose space holds such values needs a searcher built with
    that space (a Tuner run is fine: Tune replaces them with its own placeholders before the
    searcher sees them). Attributes a subclass adds to the instance are saved with it when their
    values are plain data (numbers, strings, lists, tuples, dicts, ...) and set again on restore;
    others are skipped with a warning: a subclass with such state extends ``get_state`` /
    ``set_state`` (call ``super()``). The core's ``constraint`` callable is not saved: pass it again.
    """

    _core_cls = LAMCTS


class RandomSearch(_CoreSearch):
    """Uniform random search (:class:`RandomCore`) with the same adapter and arguments as
    :class:`LAMCTSSearch` (seeded, duplicate-free, save/restore); its only option is ``constraint``."""

    _core_cls = RandomCore


def _all_finite(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, (list, tuple)):
        return all(_finite(x) for x in v)
    return _finite(v)
