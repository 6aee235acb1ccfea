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
invalid, a crashed trial) are told as infeasible with their reason. A network that a second
config decodes to is not measured or trained again (``skipped``, ``duplicate of ...``).

Durability: every change of a candidate is first appended to the ledger (``candidates.jsonl``,
fsynced, see :mod:`gpunet_ray.ledger`), then acted on; the core's state is then written
atomically (``searcher.json``). After a kill at any moment, :meth:`GatedSearch.recover` rebuilds
the search from those two files and ``--resume`` runs it as a new Tune experiment: nothing that
finished is redone, and nothing that was in flight is lost.
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

from ._faults import kill_point
from .config import LatencyConfig
from .errors import GpunetRayError, reason_of
from .ledger import FINAL, LOG_FIELDS, append_records, load_candidates, read_json, write_json_atomic
from .search_space import ArchSpec, arch_stats, get_space

__all__ = ["GatedSearch", "STATE_VERSION", "load_candidates", "result_log"]

STATE_VERSION = 1
_LOG_FIELDS = LOG_FIELDS  # kept for callers of the old name


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
        log_path: the candidate ledger (``candidates.jsonl``, see :mod:`gpunet_ray.ledger`).
        trial_constants: keys every trial config carries (data folder, recipe, loader ...); the
            searcher attaches them itself, so a trial never depends on Tune's merge of ``param_space``.
        state_path: the searcher snapshot (core state, JSON), written atomically after every change
            of the core; with the ledger it is what :meth:`recover` rebuilds from.
        epochs: the recipe's epochs: a trial result at this epoch is final.
    """

    def __init__(self, space: str, num_classes: int, budgets_ms: tuple[float, ...], latency: LatencyConfig,
                 cache_path: str, optimizer: str = "lamcts", seed: int = 0, options: dict | None = None,
                 baselines: list[tuple[str, str]] | None = None, max_candidates: int = 200,
                 max_trials: int | None = None, log_path: str | None = None, verbose: bool = True,
                 trial_constants: dict | None = None, state_path: str | None = None, epochs: int | None = None):
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
        self.state_path = state_path
        self.trial_constants = dict(trial_constants or {})
        self.epochs = epochs
        self.verbose = verbose
        self.candidates: dict[str, dict] = {}
        self.ready: list[str] = []
        self.to_gate: list[str] = []  # suggested candidates to (re)measure and gate before asking for more
        self.resume_from: dict[str, str] = {}  # candidate id -> an earlier run's checkpoint folder
        self.known: dict[str, str] = {}  # candidate id -> "pending" | "told": what the core knows of it
        self.duplicates: dict[str, list[str]] = {}  # candidate id -> later candidates with the same network
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
        self._lock = threading.RLock()
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
        """Change one record; the ledger line is durable before anything acts on the change."""
        rec.update(changes, time=time.time())
        if self.log_path:
            append_records(self.log_path, [rec])
        m = self.metrics
        if m is not None and changes.get("status") in ("rejected", "trained", "failed", "training"):
            m.candidates.inc(tags={"status": changes["status"]})

    def _snapshot(self) -> None:
        """Write the core's state (and what it knows of each candidate) atomically."""
        if not self.state_path:
            return
        write_json_atomic(self.state_path, {"format": "gpunet_ray.gated_search.snapshot", "version": STATE_VERSION,
                                            "core": self._core.state_dict(), "known": self.known})

    def _n_search_trials(self) -> int:
        return sum(1 for r in self.candidates.values()
                   if r["role"] == "search" and r["status"] in ("training", "trained", "failed"))

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for rec in self.candidates.values():
            out[rec["status"]] = out.get(rec["status"], 0) + 1
        return out

    def unresolved(self) -> list[str]:
        """Ids of candidates with no outcome yet (suggested, measured, queued or training)."""
        return [c for c, r in self.candidates.items() if r["status"] not in FINAL]

    def best_per_tier(self) -> dict[float, float]:
        best: dict[float, float] = {}
        for rec in self.candidates.values():
            if rec["role"] != "search" or rec["status"] != "trained" or rec.get("top1") is None \
                    or rec.get("latency_ms") is None:
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
    def _tell(self, rec: dict, top1: float | None, feasible: bool, snapshot: bool = True) -> None:
        """Tell the core the outcome of a final record (and of its duplicates); then snapshot."""
        if rec["role"] != "search" or rec.get("config") is None:
            return
        for r in [rec] + [self.candidates[d] for d in self.duplicates.pop(rec["id"], [])]:
            if self.known.get(r["id"]) == "told":
                continue
            lat = rec.get("latency_ms")
            if self.multi_objective:
                value = (top1 if feasible else None, lat if lat is not None else None)
                value = tuple(math.nan if v is None else v for v in value)
            else:
                value = top1 if feasible else None
            self._core.tell(r["config"], value, feasible=feasible, extra={"reason": rec.get("reason")})
            self.known[r["id"]] = "told"
        if snapshot:
            self._snapshot()

    def _tell_final(self, rec: dict, snapshot: bool = True) -> None:
        ok = rec["status"] == "trained" and rec.get("top1") is not None
        self._tell(rec, float(rec["top1"]) if ok else None, feasible=ok, snapshot=snapshot)

    def _dedupe(self, recs: list[dict]) -> list[dict]:
        """Drop candidates whose network is already a candidate (two configs can decode to one
        network; a core restored from an older snapshot may ask a point again). The duplicate is
        recorded as ``skipped`` and told the original's outcome, so nothing is measured or trained twice."""
        first: dict[str, str] = {}
        for cid, r in self.candidates.items():
            if r["role"] == "search" and r["status"] != "skipped":
                first.setdefault(r["hash"], cid)
        keep = []
        for rec in recs:
            orig = first.get(rec["hash"])
            if orig is None or orig == rec["id"]:
                keep.append(rec)
                continue
            self._update(rec, status="skipped", reason=f"duplicate of {orig}")
            o = self.candidates[orig]
            self.duplicates.setdefault(orig, []).append(rec["id"])
            if o["status"] in FINAL:
                self._tell_final(o, snapshot=False)
        return keep

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
        kill_point("measuring")
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
        kill_point("before_measure")
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

    def _ask(self) -> list[dict]:
        """New candidates from the core, recorded in the ledger before the core's state is saved."""
        n_search = sum(1 for r in self.candidates.values() if r["role"] == "search")
        if n_search >= self.max_candidates:
            return []
        batch = max(2, 2 * int(self.latency_cfg.actors))
        configs = self._core.ask(min(batch, self.max_candidates - n_search))
        recs = []
        for cfg in configs:
            rec = self._new(role="search", arch=self.space.from_config(cfg).arch_string, config=cfg)
            self.known[rec["id"]] = "pending"
            recs.append(rec)
        if recs and self.log_path:
            append_records(self.log_path, recs)
        self._snapshot()
        return recs

    def _fill(self) -> None:
        """Ask, pre-screen and measure until a candidate meets a budget (or the cap is reached)."""
        limit = max(self.budgets)
        margin = float(self.latency_cfg.predictor_margin)
        while not self.ready and not self.exhausted:
            if self.to_gate:  # suggested before an interruption: gate them first
                recs, self.to_gate = [self.candidates[c] for c in self.to_gate], []
            else:
                recs = self._ask()
                if not recs:
                    self.exhausted = True
                    break
            recs = self._dedupe(recs)
            kill_point("before_measure")
            specs = [ArchSpec.from_arch_string(r["arch"]) for r in recs]
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
                    kill_point("queued")
            self._progress()

    # -- Tune Searcher API ---------------------------------------------------------------------------
    def set_search_properties(self, metric, mode, config, **spec) -> bool:
        return True  # metric/mode are fixed (top1, max); the param space holds only constants

    def suggest(self, trial_id: str):
        with self._lock:
            kill_point("trial_pending")  # the 2nd call: the first trial is pending or running
            if trial_id in self.trials:  # Tune re-asking for a known trial: same candidate
                rec = self.candidates[self.trials[trial_id]]
                return self._trial_config(rec)
            self._prepare_baselines()
            if self.baseline_queue:
                cid = self.baseline_queue.pop(0)
            elif self.max_trials is not None and self._n_search_trials() >= self.max_trials:
                self._retire_unused()
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
            self._update(rec, status="training", trial_id=trial_id, reason=None)
            self._progress()
            return self._trial_config(rec)

    def _retire_unused(self) -> None:
        """The trial budget is spent: candidates still waiting to be trained (or gated) will not be."""
        forget = getattr(self._core, "forget", None)
        for cid in self.ready + self.to_gate:
            rec = self.candidates[cid]
            self._update(rec, status="unused", reason="the trial budget was spent before it was trained")
            if forget is not None and rec.get("config") is not None:
                forget(rec["config"])
                self.known.pop(cid, None)
        if self.ready or self.to_gate:
            self.ready, self.to_gate = [], []
            self._snapshot()

    def _trial_config(self, rec: dict) -> dict:
        cfg = {**self.trial_constants, "arch": rec["arch"], "candidate_id": rec["id"], "role": rec["role"],
               "latency_ms": rec.get("latency_ms")}
        if rec["id"] in self.resume_from:
            cfg["resume_checkpoint"] = self.resume_from[rec["id"]]
        return cfg

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        kill_point("mid_trial")  # intermediate epochs: ASHA decides; the core learns from the final result

    def record_result(self, trial_id: str, result: dict) -> None:
        """Every reported result (a Tune callback calls this), kept in the ledger as ``last_result``:
        a final one survives a kill that lands before :meth:`on_trial_complete`."""
        with self._lock:
            cid = self.trials.get(trial_id)
            if cid is None or self.candidates[cid]["status"] != "training":
                return
            keep = ("epoch", "top1", "top5", "loss", "feasible", "reason", "done")
            self._update(self.candidates[cid], last_result={k: result.get(k) for k in keep if k in result})

    def _is_final(self, result: dict) -> bool:
        epoch = result.get("epoch")
        return bool(result.get("done")) or (self.epochs is not None and isinstance(epoch, (int, float))
                                            and epoch >= self.epochs)

    def _finish(self, rec: dict, result: dict | None, error: bool) -> None:
        """Resolve a candidate whose trial ended: trained, failed with a reason, or (a trial stopped
        before its final epoch: the search itself was stopped) back to ``queued`` for ``--resume``."""
        top1 = None if not result else result.get("top1")
        finite = top1 is not None and isinstance(top1, (int, float)) and math.isfinite(float(top1))
        if error:
            self._update(rec, status="failed", reason="trial_error")
        elif result and result.get("feasible", True) is False:
            self._update(rec, status="failed", reason=str(result.get("reason") or "infeasible"))
        elif result and self._is_final(result):
            if finite:
                self._update(rec, status="trained", top1=float(top1), top5=result.get("top5"),
                             loss=result.get("loss"), epochs=result.get("epoch"), reason=None)
            else:
                self._update(rec, status="failed", reason="no_accuracy_reported")
        else:  # stopped by the end of the search (Ctrl-C, time budget) before its final epoch
            epoch = (result or {}).get("epoch")
            self._update(rec, status="queued", reason=f"interrupted at epoch {epoch}" if epoch else "interrupted")
            (self.ready if rec["role"] == "search" else self.baseline_queue).insert(0, rec["id"])
            return
        if rec["status"] == "failed":
            m = self.metrics
            if m is not None:
                m.failures.inc(tags={"reason": rec["reason"].split(":")[0]})
        self._tell_final(rec)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        with self._lock:
            kill_point("before_tell")
            cid = self.trials.pop(trial_id, None)
            if cid is None or self.candidates[cid]["status"] != "training":
                return
            self._finish(self.candidates[cid], result, error)
            self._progress(force=True)

    # -- resume --------------------------------------------------------------------------------
    def recover(self, earlier_runs: list[Path] = ()) -> dict[str, int]:
        """Rebuild after an interruption at any point, from the ledger and the core snapshot.

        Final records stay final (the core is told any it had not been told). ``new`` and
        ``measured`` candidates are gated again (the latency cache makes that cheap); ``queued``
        ones are queued again; ``training`` ones are resolved from their last reported result when
        it was final, else queued again to continue from their last checkpoint in ``earlier_runs``
        (Tune experiment folders). Returns how many candidates were recovered per outcome.
        """
        with self._lock:
            log = load_candidates(self.log_path) if self.log_path else {}
            for cid, rec in log.items():
                self.candidates[cid] = {**self.candidates.get(cid, {}), **rec}
            self.candidates = dict(sorted(self.candidates.items()))
            snap = read_json(self.state_path) if self.state_path else None
            self.known = {}
            if isinstance(snap, dict) and snap.get("version") == STATE_VERSION and "core" in snap:
                self._core.load_state_dict(snap["core"])
                self.known = dict(snap.get("known") or {})
            self.trials, self.ready, self.to_gate, self.duplicates = {}, [], [], {}
            self.exhausted = False
            stats = {"final": 0, "resolved": 0, "requeued": 0, "regated": 0}
            baselines = [c for c, r in self.candidates.items() if r["role"] == "baseline"]
            if any(self.candidates[c].get("latency_ms") is None for c in baselines):
                self.baseline_queue = [c for c in baselines if self.candidates[c]["status"] not in FINAL]
            else:
                self.baseline_queue = [c for c in baselines if self.candidates[c]["status"] in
                                       ("measured", "queued", "training")]
            ckpts = _checkpoints(earlier_runs, self._trial_ids())
            for cid, rec in self.candidates.items():
                st = rec["status"]
                if rec["role"] == "search" and rec.get("config") is not None and cid not in self.known \
                        and st not in FINAL and getattr(self._core, "add_pending", None):
                    self._core.add_pending(rec["config"])  # asked after the snapshot: in flight again
                    self.known[cid] = "pending"
                if st == "training" and rec.get("last_result") and (
                        rec["last_result"].get("feasible") is False or self._is_final(rec["last_result"])):
                    self._finish(rec, rec["last_result"], error=False)  # the result came, the tell did not
                    stats["resolved"] += 1
                    continue
                if st in ("training", "queued"):
                    if cid in ckpts:
                        self.resume_from[cid] = ckpts[cid]
                    if st == "training":
                        self._update(rec, status="queued", reason="interrupted")
                    if rec["role"] == "search":
                        self.ready.append(cid)
                    stats["requeued"] += 1
                elif st in ("new", "measured") and rec["role"] == "search":
                    self.to_gate.append(cid)
                    stats["regated"] += 1
                elif st in FINAL:
                    stats["final"] += 1
            for cid, rec in self.candidates.items():  # duplicates wait for (or copy) their original
                reason = str(rec.get("reason") or "")
                if rec["status"] == "skipped" and reason.startswith("duplicate of ") and self.known.get(cid) != "told":
                    orig = reason[len("duplicate of "):]
                    self.duplicates.setdefault(orig, []).append(cid)
            for cid, rec in self.candidates.items():
                if rec["status"] in FINAL and rec["role"] == "search" and rec["status"] != "skipped":
                    self._tell_final(rec, snapshot=False)  # no-op for those the core was told
            self._snapshot()
            return stats

    def _trial_ids(self) -> dict[str, list[str]]:
        """candidate id -> every Tune trial id it ever had (from the whole ledger)."""
        out: dict[str, list[str]] = {}
        if not self.log_path or not Path(self.log_path).is_file():
            return out
        for line in Path(self.log_path).read_text(errors="replace").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict) and rec.get("trial_id") and rec.get("id"):
                ids = out.setdefault(rec["id"], [])
                if rec["trial_id"] not in ids:
                    ids.append(rec["trial_id"])
        return out

    # -- state (Tune's experiment checkpoint; --resume itself reads the ledger and the snapshot) --
    def get_state(self) -> dict:
        return {
            "format": "gpunet_ray.gated_search", "version": STATE_VERSION,
            "core": self._core.state_dict(), "candidates": self.candidates, "ready": self.ready,
            "to_gate": self.to_gate, "baseline_queue": self.baseline_queue, "trials": self.trials,
            "exhausted": self.exhausted, "known": self.known, "duplicates": self.duplicates,
            "resume_from": self.resume_from, "budgets": list(self.budgets), "space": self.space_name,
            "latency": asdict(self.latency_cfg),
        }

    def set_state(self, state: dict) -> None:
        if state.get("format") != "gpunet_ray.gated_search" or state.get("version") != STATE_VERSION:
            raise GpunetRayError(f"searcher state has format {state.get('format')!r} v{state.get('version')}; "
                                 f"expected gpunet_ray.gated_search v{STATE_VERSION}")
        self._core.load_state_dict(state["core"])
        self.candidates = state["candidates"]
        self.ready = state["ready"]
        self.to_gate = state.get("to_gate", [])
        self.baseline_queue = state["baseline_queue"]
        self.trials = state["trials"]
        self.exhausted = state["exhausted"]
        self.known = state.get("known", {})
        self.duplicates = state.get("duplicates", {})
        self.resume_from = state.get("resume_from", {})

    def save(self, checkpoint_path: str) -> None:
        write_json_atomic(checkpoint_path, self.get_state())

    def restore(self, checkpoint_path: str) -> None:
        self.set_state(json.loads(Path(checkpoint_path).read_text()))


def _checkpoints(runs: list[Path], trial_ids: dict[str, list[str]]) -> dict[str, str]:
    """candidate id -> the newest checkpoint folder any of its trials left in the Tune folders ``runs``."""
    out: dict[str, str] = {}
    for cid, tids in trial_ids.items():
        found = []
        for run in runs:
            for tid in tids:
                for tdir in Path(run).glob(f"*{tid}*"):
                    for ck in tdir.glob("checkpoint_*"):
                        if (ck / "state.pt").is_file():
                            found.append(ck)
        if found:
            out[cid] = str(max(found, key=lambda p: p.stat().st_mtime))
    return out


def result_log(searcher: GatedSearch):
    """A Tune callback that hands every reported result to :meth:`GatedSearch.record_result`."""
    from ray.tune import Callback

    class ResultLog(Callback):
        def on_trial_result(self, iteration, trials, trial, result, **info):
            searcher.record_result(trial.trial_id, result)

    return ResultLog()
