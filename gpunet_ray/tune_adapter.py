"""Ray Tune adapter of the candidate pipeline: :class:`GatedSearch`, a ``ray.tune.search.Searcher``.

Thin: it maps Tune trial ids to candidates, attaches the trial constants (data folder, recipe,
loader ...) to every trial config itself (so a trial never depends on Tune's merge of
``param_space``) and exports dashboard metrics. The trial-id mapping and the versioned state,
saved atomically, are :class:`~gpunet_ray.searchers.TuneAdapter`'s (shared with
:class:`~gpunet_ray.searchers.LAMCTSSearch`). The search logic is
:class:`~gpunet_ray.pipeline.CandidatePipeline` (Ray-free); the ledger is
:mod:`gpunet_ray.ledger`. :func:`result_log` is the Tune callback that keeps every reported result
in the ledger.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, Sequence

from ray.tune.search import Searcher

from .config import LatencyConfig
from .ledger import Candidate, Ledger
from .pipeline import CandidatePipeline
from .search_space import get_space
from .searchers import TuneAdapter, core_objectives, get_optimizer

__all__ = ["GatedSearch", "STATE_VERSION", "core_options", "result_log"]

STATE_VERSION = 2


def core_options(budgets_ms: Sequence[float], options: dict | None = None) -> dict:
    """The optimiser core's keywords for a search with these budgets: ``options`` plus the mode
    sign. One budget: top-1 up; several tiers: two objectives, top-1 up and latency down."""
    return {**dict(options or {}), **core_objectives(["max", "min"] if len(budgets_ms) > 1 else "max")}


class _Metrics:
    """Ray dashboard metrics (``ray.util.metrics``), created in the driver process."""

    def __init__(self) -> None:
        from ray.util import metrics as m

        self.best = m.Gauge("gpunet_best_top1", "best top-1 (%) per latency tier", tag_keys=("tier",))
        self.candidates = m.Counter("gpunet_candidates_total", "candidates by outcome", tag_keys=("status",))
        self.queue = m.Gauge("gpunet_latency_queue_depth", "latency requests in flight")
        self.failures = m.Counter("gpunet_trial_failures_total", "trials reported infeasible or crashed",
                                  tag_keys=("reason",))

    def event(self, status: str, c: Candidate) -> None:
        if status in ("rejected", "trained", "failed", "training"):
            self.candidates.inc(tags={"status": status})
        if status == "failed":
            self.failures.inc(tags={"reason": str(c.reason).split(":")[0]})


class GatedSearch(TuneAdapter):
    """The latency-gated search as a Tune searcher (metric ``top1``, mode ``max``).

    Args:
        space: search space name or YAML path; ``num_classes`` sets its classifier.
        budgets_ms: latency budgets (ms); several make the core two-objective (top-1, latency).
        latency: :class:`LatencyConfig` of the latency pool; ``cache_path``: its SQLite cache.
        optimizer / seed / options: the core (``get_optimizer`` registry name, its seed and options).
        baselines: ``[(name, arch_string)]`` trained first, with the same recipe, for comparison.
        max_candidates / max_trials: caps on suggested candidates and searched training trials.
        log_path: the ledger (``candidates.jsonl``); state_path: the core's snapshot.
        trial_constants: keys every trial config carries.
        epochs: the recipe's epochs: a trial result at this epoch is final.
    """

    STATE_FORMAT = "gpunet_ray.gated_search"
    STATE_VERSION = STATE_VERSION

    def __init__(self, space: str, num_classes: int, budgets_ms: tuple[float, ...], latency: LatencyConfig,
                 cache_path: str, optimizer: str = "lamcts", seed: int = 0, options: dict | None = None,
                 baselines: list[tuple[str, str]] | None = None, max_candidates: int = 200,
                 max_trials: int | None = None, log_path: str | None = None, verbose: bool = True,
                 trial_constants: dict | None = None, state_path: str | None = None, epochs: int | None = None):
        super().__init__(metric="top1", mode="max")
        self.space_name = space
        self.latency_cfg = latency
        self.cache_path = str(cache_path)
        self.trial_constants = dict(trial_constants or {})
        self.verbose = verbose
        space_obj = get_space(space).with_num_classes(int(num_classes))
        budgets = tuple(sorted(float(b) for b in budgets_ms))
        core = get_optimizer(optimizer, space_obj, seed=int(seed), **core_options(budgets, options))
        self.pipeline = CandidatePipeline(
            space_obj, budgets, core, Ledger(log_path), self._submit, baselines=baselines or (),
            max_candidates=max_candidates, max_trials=max_trials, epochs=epochs,
            batch=max(2, 2 * int(latency.actors)), predictor_margin=float(latency.predictor_margin),
            snapshot_path=state_path, on_event=self._event)
        self._lazy_reset()

    # -- lazily created, never pickled -------------------------------------------------------
    def _lazy_reset(self) -> None:
        self._service = None
        self._metrics = None
        self._lock = threading.RLock()
        self._last_print = 0.0

    def __getstate__(self) -> dict:
        d = self.__dict__.copy()
        for k in ("_service", "_metrics", "_lock"):
            d[k] = None
        return d

    def __setstate__(self, d: dict) -> None:
        self.__dict__.update(d)
        self._lazy_reset()

    @property
    def service(self):
        """The latency actor pool (started on first use)."""
        if self._service is None:
            from .latency import LatencyService

            c = self.latency_cfg
            self._service = LatencyService(backend=c.backend, num_actors=c.actors, resource=c.resource,
                                           num_gpus=c.gpus, cache_path=self.cache_path, timeout_s=c.timeout_s,
                                           threads=c.threads, batch=c.batch, precision=c.precision,
                                           backend_options=dict(c.options))
        return self._service

    def _submit(self, specs):
        m = self.metrics
        if m is not None:
            m.queue.set(len(specs))
        futures = self.service.submit(specs)
        if m is not None:
            m.queue.set(0)
        return futures

    @property
    def metrics(self) -> _Metrics | None:
        if self._metrics is None:
            try:
                self._metrics = _Metrics()
            except Exception:  # metrics are best-effort; never let them stop a search
                self._metrics = False
        return self._metrics or None

    def _event(self, status: str, c: Candidate) -> None:
        m = self.metrics
        if m is not None:
            m.event(status, c)

    def _progress(self, force: bool = False) -> None:
        m = self.metrics
        if m is not None:
            for b, v in self.pipeline.best_per_tier().items():
                m.best.set(v, tags={"tier": f"{b:g}ms"})
        now = time.time()
        if self.verbose and (force or now - self._last_print > 2.0):
            self._last_print = now
            print(f"[search {time.strftime('%H:%M:%S')}] {self.pipeline.progress_line()}", file=sys.stderr,
                  flush=True)

    # -- Tune Searcher API (trial ids: TuneAdapter; handles are candidate ids) --------------------------
    def set_search_properties(self, metric, mode, config, **spec) -> bool:
        # metric/mode are fixed; the param space may hold only the constants this searcher attaches
        return metric in (None, "top1") and mode in (None, "max")

    def suggest(self, trial_id: str):
        with self._lock:
            return super().suggest(trial_id)

    def _new_trial(self, trial_id: str) -> str:
        c = self.pipeline.next()
        if c is None:
            self._progress(force=True)
            return Searcher.FINISHED
        self.pipeline.start(c.id, trial_id)
        self._progress()
        return c.id

    def _trial_config(self, cid: str) -> dict:
        return {**self.trial_constants, **self.pipeline.trial_config(cid)}

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        """Intermediate epochs: ASHA decides; the core learns from the final result."""

    def record_result(self, trial_id: str, result: dict) -> None:
        """Every reported result (:func:`result_log` calls this) goes to the ledger."""
        with self._lock:
            cid = self._live.get(trial_id)
            if cid is not None:
                self.pipeline.record_result(cid, result)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        with self._lock:
            super().on_trial_complete(trial_id, result, error)

    def _complete(self, trial_id: str, cid: str, result: dict | None, error: bool) -> None:
        if self.pipeline.ledger[cid].status == "training":
            self.pipeline.finish(cid, result, error)
            self._progress(force=True)

    # -- resume and state ------------------------------------------------------------------------------
    def recover(self, earlier_runs=()) -> dict[str, int]:
        """See :meth:`CandidatePipeline.recover`."""
        with self._lock:
            self._live = {}
            return self.pipeline.recover(earlier_runs)

    def unresolved(self) -> list[str]:
        return self.pipeline.unresolved()

    def _state_body(self) -> dict[str, Any]:
        return {"trials": self._live, "pipeline": self.pipeline.state_dict()}

    def _load_state_body(self, state: dict) -> None:
        self._live = dict(state["trials"])
        self.pipeline.load_state_dict(state["pipeline"])


def result_log(searcher: GatedSearch):
    """A Tune callback that hands every reported result to :meth:`GatedSearch.record_result`."""
    from ray.tune import Callback

    class ResultLog(Callback):
        def on_trial_result(self, iteration, trials, trial, result, **info):
            searcher.record_result(trial.trial_id, result)

    return ResultLog()
