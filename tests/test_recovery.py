"""Ray-free checks of the resume bookkeeping: the ledger, the snapshot, GatedSearch.recover and the
exit codes. (The kill matrix on real runs: tests/test_resume_matrix.py.)"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from gpunet_ray.config import LatencyConfig
from gpunet_ray.ledger import append_records, load_candidates, write_json_atomic

pytest.importorskip("ray")


def _searcher(tmp_path: Path, **kw):
    from gpunet_ray.tuner import GatedSearch

    return GatedSearch(space="tiny", num_classes=10, budgets_ms=(0.85,), latency=LatencyConfig(),
                       cache_path=str(tmp_path / "c.sqlite"), log_path=str(tmp_path / "log.jsonl"),
                       state_path=str(tmp_path / "searcher.json"), trial_constants={"data_dir": "/data", "recipe": {}},
                       epochs=2, verbose=False, max_trials=10, **kw)


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
    gs = _searcher(tmp_path)
    recs = gs._ask()  # logged as "new", the core's state saved
    recs += gs._ask()
    assert len(recs) == 4
    a, b, c, d = recs[:4]
    gs._update(a, status="measured", latency_ms=0.5)
    gs._update(a, status="queued")
    gs._update(a, status="training", trial_id="t_a")
    gs._update(a, last_result={"epoch": 2, "top1": 80.0, "feasible": True, "done": True})  # final result, no tell
    gs._update(b, status="measured", latency_ms=0.6)
    gs._update(b, status="queued")
    gs._update(b, status="training", trial_id="t_b")
    gs._update(b, last_result={"epoch": 1, "top1": 50.0, "feasible": True, "done": False})  # mid-trial
    gs._update(c, status="rejected", reason="over_latency_budget", latency_ms=3.0)
    gs._tell(c, None, feasible=False)
    # d stays "new": suggested, not measured
    # an earlier run's checkpoint of b's trial
    ck = tmp_path / "tune" / "train_candidate_t_b_1_arch" / "checkpoint_000000"
    ck.mkdir(parents=True)
    (ck / "state.pt").write_bytes(b"x")

    again = _searcher(tmp_path)
    stats = again.recover([tmp_path / "tune"])
    assert stats == {"final": 1, "resolved": 1, "requeued": 1, "regated": 1}
    cands = again.candidates
    assert cands[a["id"]]["status"] == "trained" and cands[a["id"]]["top1"] == 80.0
    assert cands[b["id"]]["status"] == "queued" and again.ready == [b["id"]]
    assert again.resume_from == {b["id"]: str(ck)}
    assert again.to_gate == [d["id"]]
    core = again._core
    assert core.n_observations == 2  # a (trained) and c (rejected): each told exactly once
    assert sorted(json.dumps(p, sort_keys=True) for p in core.pending) == sorted(
        json.dumps(r["config"], sort_keys=True) for r in (b, d))
    cfg = again._trial_config(cands[b["id"]])
    assert cfg["data_dir"] == "/data" and cfg["resume_checkpoint"] == str(ck) and cfg["arch"] == b["arch"]
    # recovering twice (a second kill during the resume) changes nothing
    third = _searcher(tmp_path)
    third.recover([tmp_path / "tune"])
    assert third._core.n_observations == 2 and third.ready == [b["id"]] and third.to_gate == [d["id"]]


def test_recover_without_snapshot_replays_the_ledger(tmp_path):
    gs = _searcher(tmp_path)
    recs = gs._ask()
    gs._update(recs[0], status="rejected", reason="over_latency_budget", latency_ms=2.0)
    (tmp_path / "searcher.json").unlink()  # killed before the first snapshot landed
    again = _searcher(tmp_path)
    again.recover([])
    assert again._core.n_observations == 1 and len(again._core.pending) == len(recs) - 1


def test_duplicate_network_is_not_trained_twice(tmp_path):
    gs = _searcher(tmp_path)
    first = gs._ask()[0]
    gs._update(first, status="trained", top1=70.0, latency_ms=0.5)
    dup = gs._new(role="search", arch=first["arch"], config=gs._core.ask(1)[0])
    assert gs._dedupe([dup]) == []
    assert dup["status"] == "skipped" and dup["reason"] == f"duplicate of {first['id']}"
    assert gs.known[dup["id"]] == "told"  # the core learned the original's result for this config


def test_trial_stopped_before_its_final_epoch_is_requeued(tmp_path):
    gs = _searcher(tmp_path)
    rec = gs._ask()[0]
    gs._update(rec, status="training", trial_id="t1")
    gs.trials["t1"] = rec["id"]
    gs.on_trial_complete("t1", result={"epoch": 1, "top1": 40.0, "feasible": True})  # the search was stopped
    assert rec["status"] == "queued" and gs.ready == [rec["id"]] and rec["reason"].startswith("interrupted")
    gs.trials["t2"] = rec["id"]
    rec["status"] = "training"
    gs.on_trial_complete("t2", result={"epoch": 1, "top1": 40.0, "feasible": True, "done": True})  # ASHA stop
    assert rec["status"] == "trained" and rec["top1"] == 40.0


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


def test_candidates_left_when_the_trial_budget_is_spent_are_unused(tmp_path):
    from ray.tune.search import Searcher

    gs = _searcher(tmp_path)
    gs.max_trials = 1
    a, b = gs._ask()[:2]
    gs._update(a, status="trained", top1=60.0, latency_ms=0.5)
    gs._update(b, status="queued", latency_ms=0.6)
    gs.ready = [b["id"]]
    assert gs.suggest("t9") == Searcher.FINISHED
    assert b["status"] == "unused" and b["reason"] and gs.unresolved() == []
    assert load_candidates(tmp_path / "log.jsonl")[b["id"]]["status"] == "unused"
