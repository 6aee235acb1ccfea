"""The candidate pipeline, Ray-free: ask -> dedupe -> pre-screen -> measure -> reject or queue ->
train -> tell (docs/ARCHITECTURE.md shows the flow).

:class:`CandidatePipeline` owns one search's candidates (a :class:`~gpunet_ray.ledger.Ledger`) and
its optimiser core. A network that is already a candidate is ``skipped`` (``duplicate of ...``) and
told the original's outcome; the learned predictor rejects clear misses without a measurement (and,
once fitted, is the core's known constraint, so that it stops proposing them); the latency pool's
measurement rejects (``over_latency_budget``) or queues the rest; :meth:`next` hands out queued
candidates; :meth:`finish` resolves trials. Every change is written to the ledger (fsynced) before
anything acts on it, then the core's state is saved atomically; :meth:`recover` rebuilds everything
after a kill at any moment. The Ray Tune adapter is :mod:`gpunet_ray.tune_adapter`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, Sequence

from .errors import OverLatencyBudget, reason_of
from .ledger import Candidate, Ledger, read_json, write_json_atomic
from .search_space import ArchSpec, arch_stats

__all__ = ["CandidatePipeline", "SNAPSHOT_VERSION"]

SNAPSHOT_VERSION = 1


class CandidatePipeline:
    """One search's candidates, gate and optimiser core (see the module docstring).

    ``core``: ask/tell optimiser; ``measure(specs) -> [future or LatencyRecord]`` (the latency pool's
    ``submit``); ``baselines``: ``[(name, arch_string)]`` trained first; ``epochs``: a result at this
    epoch is final; ``batch``: configs asked per round; ``predictor_margin``: the pre-screen's factor
    on the largest budget; ``snapshot_path``: the core's saved state; ``on_event(status, candidate)``.
    """

    def __init__(self, space, budgets_ms: Sequence[float], core, ledger: Ledger, measure: Callable,
                 baselines: Sequence[tuple[str, str]] = (), max_candidates: int = 200,
                 max_trials: int | None = None, epochs: int | None = None, batch: int = 2,
                 predictor_margin: float = 1.5, snapshot_path: str | Path | None = None,
                 on_event: Callable[[str, Candidate], None] | None = None):
        self.space = space
        self.budgets = tuple(sorted(float(b) for b in budgets_ms))
        self.core = core
        self.ledger = ledger
        self.measure = measure
        self.max_candidates = int(max_candidates)
        self.max_trials = max_trials
        self.epochs = epochs
        self.batch = int(batch)
        self.predictor_margin = float(predictor_margin)
        self.snapshot_path = snapshot_path
        self.on_event = on_event
        self.ready: list[str] = []  # measured within a budget, waiting for a training slot
        self.to_gate: list[str] = []  # suggested before an interruption: gate them before asking for more
        self.resume_from: dict[str, str] = {}  # candidate id -> an earlier run's checkpoint folder
        self.known: dict[str, str] = {}  # candidate id -> "pending" | "told": what the core knows of it
        self.duplicates: dict[str, list[str]] = {}  # candidate id -> later candidates with the same network
        self.exhausted = False
        self._predictor = None
        self._predictor_n = 0
        self._screened = None  # the predictor the core's constraint was last built from
        self._own_constraint = getattr(core, "constraint", None)
        base = [self._candidate("baseline", a, name=n, cid=f"c{len(ledger) + i:05d}")
                for i, (n, a) in enumerate(baselines)]
        self.baseline_queue = [c.id for c in ledger.add(base, write=False)]

    # -- records ---------------------------------------------------------------------------------
    @property
    def multi_objective(self) -> bool:
        return len(self.budgets) > 1

    def _candidate(self, role: str, arch: str, name: str | None = None, config: dict | None = None,
                   cid: str | None = None) -> Candidate:
        spec = ArchSpec.from_arch_string(arch)
        st = arch_stats(spec)
        return Candidate(id=cid or self.ledger.next_id(), role=role, name=name, arch=arch, hash=spec.hash,
                         params=st.params, macs=st.macs, config=config)

    def _set(self, cid: str, **changes: Any) -> Candidate:
        c = self.ledger.update(cid, **changes)
        if self.on_event is not None and "status" in changes:
            self.on_event(changes["status"], c)
        return c

    def _snapshot(self) -> None:
        if self.snapshot_path:
            write_json_atomic(self.snapshot_path, {"format": "gpunet_ray.pipeline.snapshot",
                                                   "version": SNAPSHOT_VERSION, "core": self.core.state_dict(),
                                                   "known": self.known})

    def unresolved(self) -> list[str]:
        """Ids of candidates with no outcome yet (suggested, measured, queued or training)."""
        return [c.id for c in self.ledger if not c.final]

    def n_search_trials(self) -> int:
        return sum(1 for c in self.ledger if c.role == "search" and c.status in ("training", "trained", "failed"))

    def best_per_tier(self) -> dict[float, float]:
        best: dict[float, float] = {}
        for c in self.ledger:
            if c.role == "search" and c.status == "trained" and c.top1 is not None and c.latency_ms is not None:
                for b in self.budgets:
                    if c.latency_ms <= b:
                        best[b] = max(best.get(b, -math.inf), c.top1)
        return best

    def progress_line(self) -> str:
        n = self.ledger.counts()
        measured = sum(1 for c in self.ledger if c.latency_ms is not None)
        best = self.best_per_tier()
        tiers = "  ".join(f"{b:g}ms:{best[b]:.1f}%" if b in best else f"{b:g}ms:-" for b in self.budgets)
        return (f"measured {measured} | rejected {n.get('rejected', 0)} | training {n.get('training', 0)} | "
                f"done {n.get('trained', 0)} | failed {n.get('failed', 0)} | best top-1 {tiers}")

    # -- telling the core --------------------------------------------------------------------------
    def _tell(self, cid: str, snapshot: bool = True) -> None:
        """Tell the core the outcome of a final candidate (and of its duplicates), then snapshot."""
        c = self.ledger[cid]
        if c.role != "search" or c.config is None:
            return
        ok = c.status == "trained" and c.top1 is not None
        top1 = float(c.top1) if ok else None
        if self.multi_objective:
            value = tuple(math.nan if v is None else v for v in (top1, c.latency_ms))
        else:
            value = top1
        for other in [cid] + self.duplicates.pop(cid, []):
            if self.known.get(other) != "told":
                self.core.tell(self.ledger[other].config, value, feasible=ok, extra={"reason": c.reason})
                self.known[other] = "told"
        if snapshot:
            self._snapshot()

    # -- the gate ----------------------------------------------------------------------------------
    def _ask(self) -> list[str]:
        """New candidates from the core, recorded in the ledger before the core's state is saved."""
        n_search = sum(1 for c in self.ledger if c.role == "search")
        if n_search >= self.max_candidates:
            return []
        self._refresh_predictor()
        self._screen_core()
        configs = self.core.ask(min(self.batch, self.max_candidates - n_search))
        cands = []
        for cfg in configs:
            cands.append(self._candidate("search", self.space.from_config(cfg).arch_string, config=cfg,
                                         cid=f"c{len(self.ledger) + len(cands):05d}"))
        cands = self.ledger.add(cands)
        for c in cands:
            self.known[c.id] = "pending"
        self._snapshot()
        return [c.id for c in cands]

    def _dedupe(self, ids: list[str]) -> list[str]:
        """Drop candidates whose network is already a candidate (see the module docstring)."""
        first: dict[str, str] = {}
        for c in self.ledger:
            if c.role == "search" and c.status != "skipped":
                first.setdefault(c.hash, c.id)
        keep = []
        for cid in ids:
            orig = first.get(self.ledger[cid].hash)
            if orig is None or orig == cid:
                keep.append(cid)
                continue
            self._set(cid, status="skipped", reason=f"duplicate of {orig}")
            self.duplicates.setdefault(orig, []).append(cid)
            if self.ledger[orig].final:
                self._tell(orig, snapshot=False)
        return keep

    def _refresh_predictor(self) -> None:
        """(Re)fit the learned latency predictor: from 16 measured candidates on, then every 10 more."""
        done = [c for c in self.ledger if c.latency_ms is not None]
        if len(done) >= 16 and (self._predictor is None or len(done) >= self._predictor_n + 10):
            try:
                from .latency import LatencyPredictor

                p = LatencyPredictor()
                p.fit([ArchSpec.from_arch_string(c.arch) for c in done], [c.latency_ms for c in done])
                self._predictor, self._predictor_n = p, len(done)
            except Exception:  # a predictor is an optimisation, not a requirement
                self._predictor = None

    def _predict(self, specs: list[ArchSpec]) -> list[float | None]:
        self._refresh_predictor()
        if self._predictor is None:
            return [None] * len(specs)
        return [float(v) for v in self._predictor.predict(specs)]

    def _screen_core(self) -> None:
        """Give the core the pre-screen as a known constraint, so that it does not propose what the gate
        would reject unmeasured (``predicted_over_budget``: each such proposal used up one of the
        ``max_candidates`` and a round of asking). Only for a core with a ``constraint`` attribute (LA-MCTS,
        random and Optuna honour it; HEBO's core keeps it unused); the core's own constraint, if it had
        one, must still hold. The rule is the gate's: predicted latency <= ``predictor_margin`` x the
        largest budget, with the predictor of the moment."""
        pred = self._predictor
        if pred is None or pred is self._screened or not hasattr(self.core, "constraint"):
            return
        self._screened = pred
        from .searchers._protocol import all_constraints

        screen = _LatencyScreen(pred, self.space, self.predictor_margin * max(self.budgets))
        try:
            self.core.constraint = all_constraints(self._own_constraint, screen)
        except (AttributeError, TypeError):  # a plugin's read-only attribute: the gate alone screens
            pass

    def _measure(self, ids: list[str]) -> None:
        """Measure through the pool; fills the latency fields or rejects (``latency_failed``)."""
        futures = self.measure([ArchSpec.from_arch_string(self.ledger[c].arch) for c in ids])
        for cid, fut in zip(ids, futures):
            try:
                lr = fut.result() if hasattr(fut, "result") else fut
            except Exception as exc:  # a failed measurement rejects one candidate, not the search
                self._set(cid, status="rejected", reason=f"latency_failed: {reason_of(exc)}: {str(exc)[:120]}")
                continue
            self._set(cid, latency_ms=float(lr.median_ms), latency_p90_ms=float(lr.p90_ms), latency_cv=float(lr.cv),
                      latency_n=int(lr.n), backend=lr.backend, device=lr.device, status="measured")

    def _prepare_baselines(self) -> None:
        """Measure each baseline family; keep, per budget and family, the largest member that fits."""
        if not self.baseline_queue or all(self.ledger[c].latency_ms is not None for c in self.baseline_queue):
            return
        self._measure(self.baseline_queue)
        families: dict[str, list[Candidate]] = {}
        for cid in self.baseline_queue:
            families.setdefault(str(self.ledger[cid].name).split("@")[0], []).append(self.ledger[cid])
        keep: set[str] = set()
        for b in self.budgets:
            for members in families.values():
                fit = [c for c in members if c.latency_ms is not None and c.latency_ms <= b]
                if fit:
                    keep.add(max(fit, key=lambda c: (c.macs, -c.latency_ms)).id)
        for cid in self.baseline_queue:
            if cid not in keep:
                self._set(cid, status="skipped", reason="baseline not needed for any budget")
        self.baseline_queue = [c for c in self.baseline_queue if c in keep]

    def _gate(self, ids: list[str]) -> None:
        """Pre-screen, measure, and reject or queue ``ids``."""
        limit = max(self.budgets)
        preds = self._predict([ArchSpec.from_arch_string(self.ledger[c].arch) for c in ids])
        to_measure = []
        for cid, p in zip(ids, preds):
            if p is not None and p > self.predictor_margin * limit:
                self._set(cid, status="rejected", reason="predicted_over_budget", predicted_ms=p)
                self._tell(cid)
            else:
                if p is not None:
                    self._set(cid, predicted_ms=p)
                to_measure.append(cid)
        if to_measure:
            self._measure(to_measure)
        for cid in to_measure:
            c = self.ledger[cid]
            if c.status == "rejected":
                self._tell(cid)
            elif c.latency_ms > limit:
                self._set(cid, status="rejected", reason=OverLatencyBudget.reason)
                self._tell(cid)
            else:
                self._set(cid, status="queued")
                self.ready.append(cid)

    def _fill(self) -> None:
        """Ask, pre-screen and measure until a candidate meets a budget (or the cap is reached)."""
        while not self.ready and not self.exhausted:
            if self.to_gate:
                ids, self.to_gate = self.to_gate, []
            else:
                ids = self._ask()
                if not ids:
                    self.exhausted = True
                    break
            ids = self._dedupe(ids)
            self._gate(ids)

    def retire_if_budget_spent(self) -> bool:
        """When the trial budget is spent, retire the candidates still waiting as ``unused``; True then.

        Tune stops asking for trials once ``num_samples`` ran, so the driver calls this after the run
        too: a candidate gated in the same batch as the last trained one would otherwise stay queued."""
        if self.max_trials is None or self.n_search_trials() < self.max_trials:
            return False
        self._retire_unused()
        return True

    def _retire_unused(self) -> None:
        """The trial budget is spent: candidates still waiting to be trained (or gated) will not be."""
        forget = getattr(self.core, "forget", None)
        left = self.ready + self.to_gate
        for cid in left:
            c = self._set(cid, status="unused", reason="the trial budget was spent before it was trained")
            if forget is not None and c.config is not None:
                forget(c.config)
                self.known.pop(cid, None)
        self.ready, self.to_gate = [], []
        if left:
            self._snapshot()

    # -- training slots ------------------------------------------------------------------------------
    def next(self) -> Candidate | None:
        """The next candidate to train (baselines first), or None when the search is done."""
        self._prepare_baselines()
        if self.baseline_queue:
            return self.ledger[self.baseline_queue.pop(0)]
        if self.retire_if_budget_spent():
            return None
        self._fill()
        return self.ledger[self.ready.pop(0)] if self.ready else None

    def start(self, cid: str, trial_id: str) -> Candidate:
        return self._set(cid, status="training", trial_id=trial_id, reason=None)

    def record_result(self, cid: str, result: dict) -> None:
        """Keep a trial's latest report in the ledger: a final one survives a kill before :meth:`finish`."""
        if self.ledger[cid].status == "training":
            keep = ("epoch", "top1", "top5", "loss", "feasible", "reason", "done")
            self._set(cid, last_result={k: result.get(k) for k in keep if k in result})

    def is_final(self, result: dict) -> bool:
        epoch = result.get("epoch")
        return bool(result.get("done")) or (self.epochs is not None and isinstance(epoch, (int, float))
                                            and epoch >= self.epochs)

    def finish(self, cid: str, result: dict | None, error: bool = False) -> Candidate:
        """Resolve a candidate whose trial ended: trained, failed with a reason, or (a trial stopped
        before its final epoch: the search itself was stopped) back to ``queued`` for ``--resume``."""
        top1 = None if not result else result.get("top1")
        finite = isinstance(top1, (int, float)) and math.isfinite(float(top1))
        if error:
            c = self._set(cid, status="failed", reason="trial_error")
        elif result and result.get("feasible", True) is False:
            c = self._set(cid, status="failed", reason=str(result.get("reason") or "infeasible"))
        elif result and self.is_final(result) and finite:
            c = self._set(cid, status="trained", top1=float(top1), top5=result.get("top5"), loss=result.get("loss"),
                          epochs=result.get("epoch"), reason=None)
        elif result and self.is_final(result):
            c = self._set(cid, status="failed", reason="no_accuracy_reported")
        else:  # stopped by the end of the search (a signal, the time budget) before its final epoch
            epoch = (result or {}).get("epoch")
            c = self._set(cid, status="queued", reason=f"interrupted at epoch {epoch}" if epoch else "interrupted")
            (self.ready if c.role == "search" else self.baseline_queue).insert(0, cid)
            return c
        self._tell(cid)
        return c

    def trial_config(self, cid: str) -> dict:
        c = self.ledger[cid]
        cfg = {"arch": c.arch, "candidate_id": c.id, "role": c.role, "latency_ms": c.latency_ms}
        if cid in self.resume_from:
            cfg["resume_checkpoint"] = self.resume_from[cid]
        return cfg

    # -- resume --------------------------------------------------------------------------------------
    def recover(self, earlier_runs: Sequence[Path] = ()) -> dict[str, int]:
        """Rebuild after an interruption at any point, from the ledger and the core snapshot.

        Final records stay final (the core is told any it had not been told). ``new`` and
        ``measured`` candidates are gated again (the latency cache makes that cheap); ``queued``
        ones are queued again; ``training`` ones are resolved from their last reported result when
        it was final, else queued again to continue from their last checkpoint in ``earlier_runs``
        (Tune experiment folders). Returns how many candidates were recovered per outcome.
        """
        self.ledger.load()
        snap = read_json(self.snapshot_path) if self.snapshot_path else None
        self.known = {}
        if isinstance(snap, dict) and snap.get("version") == SNAPSHOT_VERSION and "core" in snap:
            self.core.load_state_dict(snap["core"])
            self.known = dict(snap.get("known") or {})
        self.ready, self.to_gate, self.duplicates, self.exhausted = [], [], {}, False
        baselines = [c.id for c in self.ledger if c.role == "baseline"]
        if any(self.ledger[c].latency_ms is None for c in baselines):  # killed while measuring them
            self.baseline_queue = [c for c in baselines if not self.ledger[c].final]
        else:
            self.baseline_queue = [c for c in baselines if self.ledger[c].status in ("measured", "queued", "training")]
        ckpts = _checkpoints(earlier_runs, self.ledger.trial_ids())
        stats = {"final": 0, "resolved": 0, "requeued": 0, "regated": 0}
        for c in self.ledger:
            stats[self._recover_one(c, ckpts)] += 1
        for c in self.ledger:  # duplicates wait for (or copy) their original
            reason = str(c.reason or "")
            if c.status == "skipped" and reason.startswith("duplicate of ") and self.known.get(c.id) != "told":
                self.duplicates.setdefault(reason[len("duplicate of "):], []).append(c.id)
        for c in self.ledger:
            if c.final and c.role == "search" and c.status != "skipped":
                self._tell(c.id, snapshot=False)  # a no-op for those the core was told
        self._snapshot()
        return stats

    def _recover_one(self, c: Candidate, ckpts: dict[str, str]) -> str:
        if c.role == "search" and c.config is not None and c.id not in self.known and not c.final \
                and hasattr(self.core, "add_pending"):
            self.core.add_pending(c.config)  # asked after the snapshot: in flight again
            self.known[c.id] = "pending"
        last = c.last_result
        if c.status == "training" and last and (last.get("feasible") is False or self.is_final(last)):
            self.finish(c.id, last)  # the result came, the tell did not
            return "resolved"
        if c.status in ("training", "queued"):
            if c.id in ckpts:
                self.resume_from[c.id] = ckpts[c.id]
            if c.status == "training":
                self._set(c.id, status="queued", reason="interrupted")
            if c.role == "search":
                self.ready.append(c.id)
            return "requeued"
        if c.status in ("new", "measured") and c.role == "search":
            self.to_gate.append(c.id)
            return "regated"
        return "final"

    # -- state (for Tune's experiment checkpoint; --resume reads the ledger and the snapshot) --------
    def state_dict(self) -> dict:
        return {"core": self.core.state_dict(), "candidates": [c.record() for c in self.ledger],
                "ready": self.ready, "to_gate": self.to_gate, "baseline_queue": self.baseline_queue,
                "exhausted": self.exhausted, "known": self.known, "duplicates": self.duplicates,
                "resume_from": self.resume_from}

    def load_state_dict(self, state: dict) -> None:
        self.core.load_state_dict(state["core"])
        self.ledger.add([Candidate.from_record(r) for r in state["candidates"]], write=False)
        for key in ("ready", "to_gate", "baseline_queue", "exhausted", "known", "duplicates", "resume_from"):
            setattr(self, key, state[key])


class _LatencyScreen:
    """``config -> bool``: the predicted latency is at most ``limit_ms`` (:meth:`CandidatePipeline._screen_core`).
    A class, not a closure: Tune may pickle the searcher that holds the core."""

    def __init__(self, predictor, space, limit_ms: float):
        self.predictor, self.space, self.limit_ms = predictor, space, float(limit_ms)
        self._memo: dict[str, float] = {}  # arch hash -> predicted ms

    def __call__(self, config: dict) -> bool:
        spec = self.space.from_config(config)
        if spec.hash not in self._memo:
            self._memo[spec.hash] = float(self.predictor.predict([spec])[0])
        return self._memo[spec.hash] <= self.limit_ms


def _checkpoints(runs: Sequence[Path], trial_ids: dict[str, list[str]]) -> dict[str, str]:
    """candidate id -> the newest checkpoint folder any of its trials left in the Tune folders ``runs``."""
    out: dict[str, str] = {}
    for cid, tids in trial_ids.items():
        found = [ck for run in runs for tid in tids for tdir in Path(run).glob(f"*{tid}*")
                 for ck in tdir.glob("checkpoint_*") if (ck / "state.pt").is_file()]
        if found:
            out[cid] = str(max(found, key=lambda p: p.stat().st_mtime))
    return out
