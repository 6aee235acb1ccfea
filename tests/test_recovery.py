"""Ray-free checks of the candidate pipeline and its resume bookkeeping: the ledger, the snapshot,
recovery, duplicates and the exit codes. (The kill matrix on real runs: tests/test_resume_matrix.py.)"""

from __future__ import annotations

import json
import math
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from gpunet_ray.ledger import Ledger, append_records, load_candidates, write_json_atomic


@dataclass
class _Rec:  # what the latency pool returns, reduced to what the pipeline reads
    median_ms: float
    p90_ms: float = 0.0
    cv: float = 0.01
    n: int = 5
    backend: str = "synthetic"
    device: str = "cpu"


def _pipeline(tmp_path: Path, max_trials: int = 10, latency=lambda spec: 0.5, baselines=()):
    from gpunet_ray.pipeline import CandidatePipeline
    from gpunet_ray.search_space import get_space
    from gpunet_ray.searchers import get_optimizer

    space = get_space("tiny").with_num_classes(10)
    core = get_optimizer("lamcts", space, seed=0, maximize=True)
    return CandidatePipeline(space, (0.85,), core, Ledger(tmp_path / "log.jsonl"),
                             lambda specs: [_Rec(latency(s)) for s in specs], max_trials=max_trials, epochs=2,
                             snapshot_path=tmp_path / "searcher.json", baselines=baselines)


def test_pipeline_is_ray_free():
    import subprocess

    code = "import sys, gpunet_ray.pipeline, gpunet_ray.ledger; sys.exit('ray' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_ledger_appends_after_a_torn_line(tmp_path):
    log = tmp_path / "l.jsonl"
    log.write_text('{"id": "c0", "status": "new"}\n{"id": "c1", "sta')  # a kill mid-line
    append_records(log, [{"id": "c1", "status": "queued"}, {"id": "c0", "status": "trained", "top1": 90.0}])
    got = load_candidates(log)
    assert got["c0"]["status"] == "trained" and got["c0"]["top1"] == 90.0 and got["c1"]["status"] == "queued"


def test_atomic_json_leaves_no_temporary(tmp_path):
    p = tmp_path / "s.json"
    write_json_atomic(p, {"a": 1})
    write_json_atomic(p, {"a": 2})
    assert json.loads(p.read_text()) == {"a": 2} and [x.name for x in tmp_path.iterdir()] == ["s.json"]


def test_recover_from_every_status(tmp_path):
    p = _pipeline(tmp_path)
    a, b, c, d = (p._ask() + p._ask())[:4]  # logged as "new", the core's state saved
    p._set(a, status="measured", latency_ms=0.5)
    p.start(a, "t_a")
    p.record_result(a, {"epoch": 2, "top1": 80.0, "feasible": True, "done": True})  # final result, no tell
    p._set(b, status="measured", latency_ms=0.6)
    p.start(b, "t_b")
    p.record_result(b, {"epoch": 1, "top1": 50.0, "feasible": True, "done": False})  # mid-trial
    p._set(c, status="rejected", reason="over_latency_budget", latency_ms=3.0)
    p._tell(c)
    # d stays "new": suggested, not measured; b's trial left a checkpoint in the earlier Tune run
    ck = tmp_path / "tune" / "train_candidate_t_b_1_arch" / "checkpoint_000000"
    ck.mkdir(parents=True)
    (ck / "state.pt").write_bytes(b"x")

    again = _pipeline(tmp_path)
    assert again.recover([tmp_path / "tune"]) == {"final": 1, "resolved": 1, "requeued": 1, "regated": 1}
    led = again.ledger
    assert led[a].status == "trained" and led[a].top1 == 80.0
    assert led[b].status == "queued" and again.ready == [b]
    assert again.resume_from == {b: str(ck)} and again.to_gate == [d]
    assert again.core.n_observations == 2  # a (trained) and c (rejected): each told exactly once
    key = lambda cfg: json.dumps(cfg, sort_keys=True)  # noqa: E731
    assert sorted(map(key, again.core.pending)) == sorted(key(led[x].config) for x in (b, d))
    cfg = again.trial_config(b)
    assert cfg["resume_checkpoint"] == str(ck) and cfg["arch"] == led[b].arch and cfg["candidate_id"] == b
    # recovering twice (a second kill during the resume) changes nothing
    third = _pipeline(tmp_path)
    third.recover([tmp_path / "tune"])
    assert third.core.n_observations == 2 and third.ready == [b] and third.to_gate == [d]


def test_recover_without_snapshot_replays_the_ledger(tmp_path):
    p = _pipeline(tmp_path)
    ids = p._ask()
    p._set(ids[0], status="rejected", reason="over_latency_budget", latency_ms=2.0)
    (tmp_path / "searcher.json").unlink()  # killed before the first snapshot landed
    again = _pipeline(tmp_path)
    again.recover([])
    assert again.core.n_observations == 1 and len(again.core.pending) == len(ids) - 1


def test_duplicate_network_is_not_trained_twice(tmp_path):
    p = _pipeline(tmp_path)
    first = p._ask()[0]
    p._set(first, status="trained", top1=70.0, latency_ms=0.5)
    dup = p.ledger.add([p._candidate("search", p.ledger[first].arch, config=p.core.ask(1)[0])])[0].id
    assert p._dedupe([dup]) == []
    assert p.ledger[dup].status == "skipped" and p.ledger[dup].reason == f"duplicate of {first}"
    assert p.known[dup] == "told"  # the core learned the original's result for this config


def test_gate_rejects_over_budget_and_queues_the_rest(tmp_path):
    p = _pipeline(tmp_path, latency=lambda spec: 0.5 if spec.resolution <= 96 else 2.0)
    c = p.next()
    assert c is not None and c.status == "queued" and c.latency_ms == 0.5
    rejected = [x for x in p.ledger if x.status == "rejected"]
    assert all(x.reason == "over_latency_budget" and x.latency_ms == 2.0 for x in rejected)
    assert p.core.n_observations == len(rejected)  # told as infeasible, never trained


def test_baselines_first_largest_member_that_fits_each_family(tmp_path):
    from gpunet_ray.baselines import FAMILIES, baseline_family
    from gpunet_ray.search_space import get_space

    space = get_space("tiny").with_num_classes(10)
    base = [(n, s.arch_string) for fam in FAMILIES for n, s in baseline_family(space, fam, steps=4)]
    p = _pipeline(tmp_path, baselines=base, latency=lambda spec: arch_macs(spec) / 2e7)
    assert [c.id for c in p.ledger] == [f"c{i:05d}" for i in range(len(base))]  # one candidate each
    trained = [p.next() for _ in FAMILIES]
    assert [c.role for c in trained] == ["baseline"] * len(FAMILIES)
    assert {str(c.name).split("@")[0] for c in trained} == set(FAMILIES)
    for c in trained:  # the largest member of its family within the budget
        fam = [x for x in p.ledger if str(x.name).split("@")[0] == str(c.name).split("@")[0]]
        fits = [x for x in fam if x.latency_ms <= 0.85]
        assert c.macs == max(x.macs for x in fits) and c.latency_ms <= 0.85
    assert p.next().role == "search"  # then the search


def arch_macs(spec) -> int:
    from gpunet_ray.search_space import arch_stats

    return arch_stats(spec).macs


def test_trial_stopped_before_its_final_epoch_is_requeued(tmp_path):
    p = _pipeline(tmp_path)
    cid = p._ask()[0]
    p._set(cid, latency_ms=0.5)
    p.start(cid, "t1")
    p.finish(cid, {"epoch": 1, "top1": 40.0, "feasible": True})  # the search was stopped
    assert p.ledger[cid].status == "queued" and p.ready == [cid] and p.ledger[cid].reason.startswith("interrupted")
    p.ready.clear()
    p.start(cid, "t2")
    p.finish(cid, {"epoch": 1, "top1": 40.0, "feasible": True, "done": True})  # stopped by ASHA: final
    assert p.ledger[cid].status == "trained" and p.ledger[cid].top1 == 40.0


def test_candidates_left_when_the_trial_budget_is_spent_are_unused(tmp_path):
    p = _pipeline(tmp_path, max_trials=1)
    a, b = p._ask()[:2]
    p._set(a, status="trained", top1=60.0, latency_ms=0.5)
    p._set(b, status="queued", latency_ms=0.6)
    p.ready = [b]
    assert p.next() is None
    assert p.ledger[b].status == "unused" and p.ledger[b].reason and p.unresolved() == []
    assert load_candidates(tmp_path / "log.jsonl")[b]["status"] == "unused"


def test_budget_spent_after_the_run_retires_what_waits(tmp_path):
    """Tune stops asking after num_samples trials, so next() is never called again: the driver retires
    the candidate gated beside the last trained one; before the budget is spent nothing is retired."""
    p = _pipeline(tmp_path, max_trials=2)
    a, b, c = (p._ask() + p._ask())[:3]
    p._set(a, status="trained", top1=60.0, latency_ms=0.5)
    p._set(c, status="queued", latency_ms=0.6)
    p.ready = [c]
    assert p.retire_if_budget_spent() is False and p.ledger[c].status == "queued"
    p._set(b, status="failed", reason="trial_error: RuntimeError", latency_ms=0.5)  # a failed trial counts
    assert p.retire_if_budget_spent() is True
    assert p.ledger[c].status == "unused" and p.ready == []


def _search_until(p, stop) -> None:
    """Train what the pipeline hands out until ``stop(p)``; larger networks score higher (the best
    ones sit at the budget's edge, as in a real search)."""
    from gpunet_ray.search_space import ArchSpec

    while not stop(p):
        c = p.next()
        assert c is not None
        p.start(c.id, f"t{c.id}")
        macs = arch_macs(ArchSpec.from_arch_string(c.arch))
        p.finish(c.id, {"epoch": 2, "top1": 100.0 * (1.0 - math.exp(-macs / 2e7))})


@pytest.mark.parametrize("screen", [True, False])
def test_the_fitted_predictor_becomes_the_cores_known_constraint(tmp_path, screen):
    """Once the latency predictor is fitted, the core stops proposing what the gate would reject
    unmeasured: no ``predicted_over_budget`` rejection after the fit. Without the screen (the
    counterfactual: the core is not given it) the same search wastes proposals on them."""
    p = _pipeline(tmp_path, max_trials=60, latency=lambda spec: arch_macs(spec) / 8e6)  # a tight budget
    if not screen:
        p._screen_core = lambda: None
    assert p.core.constraint is None
    _search_until(p, lambda p: p._predictor is not None)
    n0 = len(p.ledger)
    _search_until(p, lambda p: sum(c.role == "search" for c in list(p.ledger)[n0:]) >= 16)
    later = [c for c in list(p.ledger)[n0:] if c.role == "search"]
    wasted = [c.id for c in later if c.reason == "predicted_over_budget"]
    if screen:
        assert p.core.constraint is not None and wasted == []
        assert all(c.predicted_ms is not None and c.predicted_ms <= 1.5 * 0.85 for c in later)
    else:
        assert p.core.constraint is None and len(wasted) >= 3


def test_the_screen_keeps_the_cores_own_constraint(tmp_path):
    from gpunet_ray.search_space import get_space
    from gpunet_ray.searchers import get_optimizer
    from gpunet_ray.searchers._per_tier import PerTierCore

    space = get_space("tiny").with_num_classes(10)
    p = _pipeline(tmp_path, max_trials=60, latency=lambda spec: arch_macs(spec) / 2e7)
    p.core.constraint = p._own_constraint = lambda cfg: space.from_config(cfg).resolution <= 96
    _search_until(p, lambda p: p._predictor is not None and len(p.ledger) >= 40)
    assert p.core.constraint is not p._own_constraint
    assert all(space.from_config(c.config).resolution <= 96 for c in p.ledger if c.role == "search")
    # several tiers, one single-objective core each: each tier's core takes the screen with its own
    def make_core(i, seed):  # tier 1's core has a constraint of its own
        return get_optimizer("random", space, seed=seed, constraint=(lambda c: True) if i else None)

    tiers = PerTierCore(space, (0.5, 0.9), make_core, seed=0)
    tiers.constraint = lambda cfg: cfg is not None
    assert [c.constraint({}) for c in tiers.cores] == [True, True]
    tiers.constraint = lambda cfg: False
    assert [c.constraint({}) for c in tiers.cores] == [False, False] and tiers.ask(2) == []
    tiers.constraint = None
    assert tiers.cores[0].constraint is None and tiers.cores[1].constraint({}) is True


@pytest.mark.parametrize("kw, code, needle", [
    ({}, 0, None),
    ({"missing_budgets": (0.85,), "trained": 0, "failed": 3, "reasons": ("trial_error x3",)}, 3, "trial_error x3"),
    ({"unresolved": ("c00004",)}, 4, "--resume"),
    ({"interrupted": signal.SIGTERM, "unresolved": ("c00001",)}, 143, "SIGTERM"),
    ({"interrupted": signal.SIGINT}, 130, "SIGINT"),
])
def test_exit_codes(tmp_path, kw, code, needle):
    from gpunet_ray.search import Outcome, exit_code

    got, line = exit_code(Outcome(out=tmp_path, **kw))
    assert got == code
    assert (line is None) if needle is None else (needle in line and "\n" not in line)


def test_the_screen_pickles(tmp_path):
    """Tune may pickle the searcher that holds the pipeline's core: the screen is no closure."""
    import pickle

    import numpy as np

    from gpunet_ray.search_space import ArchSpec

    lat = lambda spec: arch_macs(spec) / 2e7  # noqa: E731
    p = _pipeline(tmp_path, latency=lat)
    p.ledger.add([p._candidate("search", s.arch_string, cid=f"c{i:05d}")
                  for i, s in enumerate(p.space.sample(np.random.default_rng(0), 16))])
    for c in list(p.ledger):
        p._set(c.id, latency_ms=lat(ArchSpec.from_arch_string(c.arch)))
    p._refresh_predictor()
    p._screen_core()
    again = pickle.loads(pickle.dumps(p.core))
    configs = p.space.sample_configs(np.random.default_rng(1), 20)
    verdicts = [p.core.constraint(c) for c in configs]
    assert [again.constraint(c) for c in configs] == verdicts and True in verdicts and False in verdicts
    # a plugin core whose constraint is read-only keeps it; the gate alone screens (no crash)
    class ReadOnly:
        constraint = property(lambda self: None)

    p.core, p._screened = ReadOnly(), None
    p._screen_core()
    assert p.core.constraint is None and p._screened is p._predictor
