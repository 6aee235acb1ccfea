"""Tune wiring: the latency-gated searcher that drives one search.

:class:`GatedSearch` is a Ray Tune ``Searcher``. For every trial slot Tune offers it:

1. asks the optimiser core (LA-MCTS by default) for candidates;
2. pre-screens them with the learned latency predictor (clearly over every budget: rejected, told
   to the optimiser as infeasible, never measured);
3. measures the rest through the latency actor pool (cached in SQLite);
4. rejects those over the largest budget (told as infeasible, never trained);
5. hands the first candidate that meets a budget to Tune as a training trial.

Results come back through ``on_trial_complete``: accuracy (and, with several budgets, measured
latency as a second objective) is told to the optimiser; failures (diverged, out of memory,
invalid, a crashed trial) are told as infeasible with their reason. Every candidate, rejected or
trained, is recorded (``candidates.jsonl``, append-only, and in the searcher state), so the hub's
``trials.parquet`` lists them all.

The searcher state is JSON (``save``/``restore``); the latency service and dashboard metrics are
re-created lazily after Tune restores an experiment.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ray.tune.search import Searcher

from .config import LatencyConfig
from .errors import GpunetRayError, reason_of
from .search_space import ArchSpec, arch_stats, get_space

__all__ = ["GatedSearch", "STATE_VERSION", "load_candidates"]

STATE_VERSION = 1
_LOG_FIELDS = ("id", "role", "name", "arch", "hash", "status", "reason", "predicted_ms", "latency_ms",
               "latency_p90_ms", "latency_cv", "latency_n", "backend", "device", "params", "macs", "top1", "top5",
               "loss", "epochs", "trial_id", "config", "time")


def load_candidates(path: str | Path) -> dict[str, dict]:
    """Latest record of every candidate in a ``candidates.jsonl`` log (torn last line ignored)."""
    out: dict[str, dict] = {}
    p = Path(path)
    if not p.is_file():
        return out
    for line in p.read_text().splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and "id" in rec:
            out[rec["id"]] = {**out.get(rec["id"], {}), **rec}
    return out


class _Metrics:
    """Ray dashboard metrics (``ray.util.metrics``), created in the driver process."""

    def __init__(self) -> None:
        from ray.util import metrics as m

        self.best = m.Gauge("gpunet_best_top1", "best top-1 (%) per latency tier", tag_keys=("tier",))
        self.candidates = m.Counter("gpunet_candidates_total", "candidates by outcome", tag_keys=("status",))
        self.queue = m.Gauge("gpunet_latency_queue_depth", "latency requests in flight")
        self.failures = m.Counter("gpunet_trial_failures_total", "trials reported infeasible or crashed",
                                  tag_keys=("reason",))


class GatedSearch(Searcher):
    """Latency-gated Tune searcher around an ask/tell optimiser core (see module docstring).

    Args:
        space: search space name or YAML path; ``num_classes`` sets its classifier.
        budgets_ms: latency budgets (ms, the latency backend's protocol); several budgets switch the
            core to two objectives (top-1 up, latency down) so one search fills every tier.
        latency: :class:`LatencyConfig` of the latency pool.
        cache_path: SQLite latency cache.
        optimizer: registry name of the core (``lamcts``, ``random``, ``optuna-tpe``, ``hebo``).
        baselines: ``[(name, arch_string)]`` trained first, with the same recipe, for comparison.
        max_candidates: cap on suggested candidates, rejected ones included.
        max_trials: searched candidates to train (baselines come on top); None: no cap.
        log_path: the ``candidates.jsonl`` log.
    """

    def __init__(self, space: str, num_classes: int, budgets_ms: tuple[float, ...], latency: LatencyConfig,
                 cache_path: str, optimizer: str = "lamcts", seed: int = 0, options: dict | None = None,
                 baselines: list[tuple[str, str]] | None = None, max_candidates: int = 200,
                 max_trials: int | None = None, log_path: str | None = None, verbose: bool = True):
        super().__init__(metric="top1", mode="max")
        self.space_name = space
        self.num_classes = int(num_classes)
        self.budgets = tuple(sorted(float(b) for b in budgets_ms))
        self.latency_cfg = latency
        self.cache_path = str(cache_path)
        self.optimizer_name = optimizer
        self.seed = int(seed)
        self.options = dict(options or {})
        self.max_candidates = int(max_candidates)
        self.max_trials = max_trials  # searched training trials (baselines are extra)
        self.log_path = log_path
        self.verbose = verbose
        self.candidates: dict[str, dict] = {}
        self.ready: list[str] = []
        self.baseline_queue: list[str] = [self._new(role="baseline", name=n, arch=a)["id"] for n, a in baselines or []]
        self.trials: dict[str, str] = {}  # trial id -> candidate id
        self.exhausted = False
        self._lazy_reset()
        self._core = self._make_core()

    # -- lazily created, never pickled -------------------------------------------------------
    def _lazy_reset(self) -> None:
        self._space_obj = None
        self._service = None
        self._predictor = None
        self._predictor_n = 0
        self._metrics = None
        self._lock = threading.Lock()
        self._last_print = 0.0

    def __getstate__(self) -> dict:
        d = self.__dict__.copy()
        for k in ("_space_obj", "_service", "_predictor", "_metrics", "_lock"):
            d[k] = None
        return d

    def __setstate__(self, d: dict) -> None:
        self.__dict__.update(d)
        self._lazy_reset()

    @property
    def space(self):
        if self._space_obj is None:
            self._space_obj = get_space(self.space_name).with_num_classes(self.num_classes)
        return self._space_obj

    @property
    def multi_objective(self) -> bool:
        return len(self.budgets) > 1

    def _make_core(self):
        from .searchers import get_optimizer

        kw = dict(self.options)
        if self.multi_objective:
            kw.update(objectives=2, maximize=(True, False))
        else:
            kw.update(maximize=True)
        return get_optimizer(self.optimizer_name, self.space, seed=self.seed, **kw)

    @property
    def service(self):
        if self._service is None:
            from .latency import LatencyService

            c = self.latency_cfg
            self._service = LatencyService(backend=c.backend, num_actors=c.actors, resource=c.resource,
                                           cache_path=self.cache_path, timeout_s=c.timeout_s, threads=c.threads,
                                           batch=c.batch, precision=c.precision,
                                           backend_options=dict(c.options))
        return self._service

    @property
    def metrics(self):
        if self._metrics is None:
            try:
                self._metrics = _Metrics()
            except Exception:  # metrics are best-effort; never let them stop a search
                self._metrics = False
        return self._metrics or None

    # -- records -------------------------------------------------------------------------------
    def _new(self, role: str, arch: str, name: str | None = None, config: dict | None = None) -> dict:
        cid = f"c{len(self.candidates):05d}"
        spec = ArchSpec.from_arch_string(arch)
        st = arch_stats(spec)
        rec = {"id": cid, "role": role, "name": name, "arch": arch, "hash": spec.hash, "status": "new",
               "reason": None, "params": st.params, "macs": st.macs, "config": config, "time": time.time()}
        self.candidates[cid] = rec
        return rec

    def _update(self, rec: dict, **changes: Any) -> None:
        rec.update(changes, time=time.time())
        if self.log_path:
            line = json.dumps({k: rec.get(k) for k in _LOG_FIELDS}, default=str)
            with open(self.log_path, "a") as f:
                f.write(line + "\n")
        m = self.metrics
        if m is not None and changes.get("status") in ("rejected", "trained", "failed", "training"):
            m.candidates.inc(tags={"status": changes["status"]})

    def _n_search_trials(self) -> int:
        return sum(1 for r in self.candidates.values()
                   if r["role"] == "search" and r["status"] in ("training", "trained", "failed"))

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for rec in self.candidates.values():
            out[rec["status"]] = out.get(rec["status"], 0) + 1
        return out

    def best_per_tier(self) -> dict[float, float]:
        best: dict[float, float] = {}
        for rec in self.candidates.values():
            if rec["role"] != "search" or rec["status"] != "trained" or rec.get("top1") is None:
                continue
            for b in self.budgets:
                if rec["latency_ms"] <= b:
                    best[b] = max(best.get(b, -math.inf), rec["top1"])
        return best

    def progress_line(self) -> str:
        c = self.counts()
        measured = sum(1 for r in self.candidates.values() if r.get("latency_ms") is not None)
        best = self.best_per_tier()
        tiers = "  ".join(f"{b:g}ms:{best[b]:.1f}%" if b in best else f"{b:g}ms:-" for b in self.budgets)
        return (f"measured {measured} | rejected {c.get('rejected', 0)} | training {c.get('training', 0)} | "
                f"done {c.get('trained', 0)} | failed {c.get('failed', 0)} | best top-1 {tiers}")

    def _progress(self, force: bool = False) -> None:
        m = self.metrics
        if m is not None:
            for b, v in self.best_per_tier().items():
                m.best.set(v, tags={"tier": f"{b:g}ms"})
        now = time.time()
        if self.verbose and (force or now - self._last_print > 2.0):
            self._last_print = now
            print(f"[search {time.strftime('%H:%M:%S')}] {self.progress_line()}", file=sys.stderr, flush=True)

    # -- the gate ------------------------------------------------------------------------------
    def _tell(self, rec: dict, top1: float | None, feasible: bool) -> None:
        if rec["role"] != "search" or rec.get("config") is None:
            return
        lat = rec.get("latency_ms")
        if self.multi_objective:
            value = (top1 if feasible else None, lat if lat is not None else None)
            value = tuple(math.nan if v is None else v for v in value)
        else:
            value = top1 if feasible else None
        self._core.tell(rec["config"], value, feasible=feasible, extra={"reason": rec.get("reason")})

    def _predict(self, specs: list[ArchSpec]) -> list[float | None]:
        recs = [r for r in self.candidates.values() if r.get("latency_ms") is not None]
        if len(recs) >= 16 and (self._predictor is None or len(recs) >= self._predictor_n + 10):
            try:
                from .latency import LatencyPredictor

                p = LatencyPredictor()
                p.fit([ArchSpec.from_arch_string(r["arch"]) for r in recs], [r["latency_ms"] for r in recs])
                self._predictor, self._predictor_n = p, len(recs)
            except Exception:  # a predictor is an optimisation, not a requirement
                self._predictor = None
        if self._predictor is None:
            return [None] * len(specs)
        return [float(v) for v in self._predictor.predict(specs)]

    def _measure(self, recs: list[dict]) -> None:
        """Measure ``recs`` through the pool; fills latency fields or marks them rejected."""
        specs = [ArchSpec.from_arch_string(r["arch"]) for r in recs]
        m = self.metrics
        if m is not None:
            m.queue.set(len(specs))
        futures = self.service.submit(specs)
        for rec, fut in zip(recs, futures):
            try:
                lr = fut.result() if hasattr(fut, "result") else fut
            except Exception as exc:  # a failed measurement rejects one candidate, not the search
                self._update(rec, status="rejected", reason=f"latency_failed: {reason_of(exc)}: {str(exc)[:120]}")
                continue
            self._update(rec, latency_ms=float(lr.median_ms), latency_p90_ms=float(lr.p90_ms),
                         latency_cv=float(lr.cv), latency_n=int(lr.n), backend=lr.backend, device=lr.device,
                         status="measured")
        if m is not None:
            m.queue.set(0)

    def _prepare_baselines(self) -> None:
        """Measure each baseline family; keep, per budget and family, the largest member that fits."""
        if not self.baseline_queue or all(self.candidates[c].get("latency_ms") is not None
                                          for c in self.baseline_queue):
            return
        recs = [self.candidates[c] for c in self.baseline_queue]
        self._measure(recs)
        keep: set[str] = set()
        families: dict[str, list[dict]] = {}
        for r in recs:
            families.setdefault(str(r["name"]).split("@")[0], []).append(r)
        for b in self.budgets:
            for members in families.values():
                fit = [r for r in members if r.get("latency_ms") is not None and r["latency_ms"] <= b]
                if fit:
                    keep.add(max(fit, key=lambda r: (r["macs"], -r["latency_ms"]))["id"])
        for r in recs:
            if r["id"] not in keep:
                self._update(r, status="skipped", reason="baseline not needed for any budget")
        self.baseline_queue = [c for c in self.baseline_queue if c in keep]

    def _fill(self) -> None:
        """Ask, pre-screen and measure until a candidate meets a budget (or the cap is reached)."""
        batch = max(2, 2 * int(self.latency_cfg.actors))
        limit = max(self.budgets)
        margin = float(self.latency_cfg.predictor_margin)
        while not self.ready and not self.exhausted:
            n_search = sum(1 for r in self.candidates.values() if r["role"] == "search")
            if n_search >= self.max_candidates:
                self.exhausted = True
                break
            configs = self._core.ask(min(batch, self.max_candidates - n_search))
            if not configs:
                self.exhausted = True
                break
            specs = [self.space.from_config(cfg) for cfg in configs]
            recs = [self._new(role="search", arch=spec.arch_string, config=cfg) for spec, cfg in zip(specs, configs)]
            preds = self._predict(specs)
            to_measure = []
            for rec, p in zip(recs, preds):
                rec["predicted_ms"] = p
                if p is not None and p > margin * limit:
                    self._update(rec, status="rejected", reason="predicted_over_budget")
                    self._tell(rec, None, feasible=False)
                else:
                    to_measure.append(rec)
            if to_measure:
                self._measure(to_measure)
            for rec in to_measure:
                if rec["status"] == "rejected":
                    self._tell(rec, None, feasible=False)
                elif rec["latency_ms"] > limit:
                    self._update(rec, status="rejected", reason="over_latency_budget")
                    self._tell(rec, None, feasible=False)
                else:
                    self._update(rec, status="queued")
                    self.ready.append(rec["id"])
            self._progress()

    # -- Tune Searcher API ---------------------------------------------------------------------------
    def set_search_properties(self, metric, mode, config, **spec) -> bool:
        return True  # metric/mode are fixed (top1, max); the param space holds only constants

    def suggest(self, trial_id: str):
        with self._lock:
            if trial_id in self.trials:  # Tune re-asking for a known trial: same candidate
                rec = self.candidates[self.trials[trial_id]]
                return self._trial_config(rec)
            self._prepare_baselines()
            if self.baseline_queue:
                cid = self.baseline_queue.pop(0)
            elif self.max_trials is not None and self._n_search_trials() >= self.max_trials:
                self._progress(force=True)
                return Searcher.FINISHED
            else:
                self._fill()
                if not self.ready:
                    self._progress(force=True)
                    return Searcher.FINISHED
                cid = self.ready.pop(0)
            rec = self.candidates[cid]
            self.trials[trial_id] = cid
            self._update(rec, status="training", trial_id=trial_id)
            self._progress()
            return self._trial_config(rec)

    @staticmethod
    def _trial_config(rec: dict) -> dict:
        return {"arch": rec["arch"], "candidate_id": rec["id"], "role": rec["role"],
                "latency_ms": rec.get("latency_ms")}

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        pass  # intermediate epochs: ASHA decides; the optimiser learns from the final result

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        with self._lock:
            cid = self.trials.pop(trial_id, None)
            if cid is None:
                return
            rec = self.candidates[cid]
            top1 = None if result is None else result.get("top1")
            ok = (not error and result is not None and result.get("feasible", True) is not False
                  and top1 is not None and math.isfinite(float(top1)))
            if ok:
                self._update(rec, status="trained", top1=float(top1), top5=result.get("top5"),
                             loss=result.get("loss"), epochs=result.get("epoch"))
                self._tell(rec, float(top1), feasible=True)
            else:
                reason = ("trial_error" if error or result is None
                          else str(result.get("reason") or "no_accuracy_reported"))
                self._update(rec, status="failed", reason=reason)
                self._tell(rec, None, feasible=False)
                m = self.metrics
                if m is not None:
                    m.failures.inc(tags={"reason": reason.split(":")[0]})
            self._progress(force=True)

    # -- state -------------------------------------------------------------------------------------
    def get_state(self) -> dict:
        return {
            "format": "gpunet_ray.gated_search", "version": STATE_VERSION,
            "core": self._core.state_dict(), "candidates": self.candidates, "ready": self.ready,
            "baseline_queue": self.baseline_queue, "trials": self.trials, "exhausted": self.exhausted,
            "budgets": list(self.budgets), "space": self.space_name, "latency": asdict(self.latency_cfg),
        }

    def set_state(self, state: dict) -> None:
        if state.get("format") != "gpunet_ray.gated_search" or state.get("version") != STATE_VERSION:
            raise GpunetRayError(f"searcher state has format {state.get('format')!r} v{state.get('version')}; "
                                 f"expected gpunet_ray.gated_search v{STATE_VERSION}")
        self._core.load_state_dict(state["core"])
        self.candidates = state["candidates"]
        self.ready = state["ready"]
        self.baseline_queue = state["baseline_queue"]
        self.trials = state["trials"]
        self.exhausted = state["exhausted"]
        # Reconcile with the append-only log: events after the last checkpoint are not lost.
        if self.log_path:
            for cid, rec in load_candidates(self.log_path).items():
                mine = self.candidates.get(cid)
                if mine is None or rec.get("time", 0) <= mine.get("time", 0):
                    continue
                if rec.get("status") in ("trained", "failed") and mine.get("status") not in ("trained", "failed"):
                    mine.update({k: v for k, v in rec.items() if k != "config"})
                    self.trials = {t: c for t, c in self.trials.items() if c != cid}
                    if mine["role"] == "search":
                        self._tell(mine, mine.get("top1"), feasible=rec["status"] == "trained")

    def save(self, checkpoint_path: str) -> None:
        Path(checkpoint_path).write_text(json.dumps(self.get_state(), default=str))

    def restore(self, checkpoint_path: str) -> None:
        self.set_state(json.loads(Path(checkpoint_path).read_text()))
