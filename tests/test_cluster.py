"""Fault injection on a real multi-node Ray cluster (``ray start``: head + training node + latency node)
running the real search CLI (tiny space, demo digits, 4 one-epoch trials, the deterministic ``synthetic``
latency backend on the latency node's ``latency_gpu`` resource, so the gate does not depend on the load).

Each test runs ``tests/cluster_harness.py`` inside private PID + network + mount namespaces
(``unshare -n -p -f --mount-proc``): the nodes talk over loopback (127.0.0.1/.2/.3/.4), only this
cluster's processes are visible (so a fault kills exactly the intended raylet/actor/driver), and the
kernel tears every node down when the harness exits. Nothing here runs ``ray stop``.

About 1-2.5 min per scenario on the 2-core box (each `ray start` takes ~10 s there): marked
``cluster`` and part of ``make test`` (CI). Run alone: ``pytest tests/test_cluster.py -m cluster``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.cluster]

HARNESS = Path(__file__).with_name("cluster_harness.py")
UNSHARE = ["unshare", "-n", "-p", "-f", "--mount-proc"]
HUB_FILES = ["HUB.md", "candidates.jsonl", "config.yaml", "hub.csv", "hub.parquet", "latency.sqlite", "pareto.png",
             "trials.parquet"]


def _namespace_problem() -> str | None:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "needs util-linux 'unshare' and iproute2 'ip'"
    try:
        res = subprocess.run([*UNSHARE, "ip", "link", "set", "lo", "up"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare failed: {exc}"
    if res.returncode != 0:
        return ("private network/PID namespaces are not permitted here (unshare -n -p -f --mount-proc: "
                f"{res.stderr.strip()[:200]}); run as root or with CAP_SYS_ADMIN")
    return None


@pytest.fixture(scope="module")
def namespaces():
    problem = _namespace_problem()
    if problem:
        pytest.skip(problem)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    from gpunet_ray.data import make_demo

    d = tmp_path_factory.mktemp("digits")
    make_demo(d)
    return d


def run_scenario(name: str, tmp_path: Path, data: Path, timeout: float = 1100) -> dict:
    """Start the cluster, run the search with the fault, tear down; the harness's JSON report."""
    work = tmp_path / "work"
    res = subprocess.run([*UNSHARE, sys.executable, str(HARNESS), name, str(work), "--data", str(data)],
                         capture_output=True, text=True, timeout=timeout)
    report_path = work / name / "report.json"
    assert report_path.is_file(), f"harness rc {res.returncode}: {res.stderr[-3000:]}"
    report = json.loads(report_path.read_text())
    assert "error" not in report, (report["error"], report["events"], report["stderr_tail"][-3000:])
    return report


def _common(r: dict, trained: int) -> None:
    """The search finished, the hub is complete, and no candidate was left unresolved."""
    assert r["rc"] == 0, (r["events"], r["stderr_tail"][-3000:])
    assert r["lost"] == [], r["lost"]  # every suggested candidate: a result or an explicit failure reason
    assert r["trials_parquet"]["unresolved"] == 0 and r["trials_parquet"]["rows"] == r["suggested"]
    assert r["trained_twice"] == {}
    assert r["trained"] == trained, r["statuses"]
    assert r["suggested"] == r["trained"] + r["rejected"] + len(r["failed"]) + r["unused"]
    assert all(f["reason"] for f in r["failed"])
    assert r["unmeasured_gated"] == []  # every candidate that passed the pre-screen was measured
    assert r["hub_files"] == HUB_FILES
    assert sorted(Path(p).name for p in r["hub_models"]) == ["arch.json", "model.onnx"]
    assert set(r["rejected_reasons"]) <= {"over_latency_budget", "predicted_over_budget"}


@pytest.mark.timeout(1200)
def test_training_node_killed_and_replaced(namespaces, tmp_path, data):
    r = run_scenario("node_loss", tmp_path, data)
    inj = r["injected"]
    assert inj["raylet_killed"] == 1 and inj["replacement_nodes"] == 1, r["events"]
    assert inj["trials_in_flight"], "no trial was held on the training node when it was killed"
    _common(r, trained=4)
    # trials that were running on the lost node were retried by Tune on the replacement and finished
    assert all(s == "trained" for s in r["in_flight_outcome"].values()), r["in_flight_outcome"]
    assert all(r["tune_trials"][c]["num_failures"] >= 1 for c in inj["trials_in_flight"]), r["tune_trials"]
    assert r["trained_before_still_trained"]  # results from before the loss were kept


@pytest.mark.timeout(1200)
def test_latency_actor_killed_mid_measurement(namespaces, tmp_path, data):
    r = run_scenario("latency_actor", tmp_path, data)
    assert r["injected"]["latency_actor_killed"] >= 1, r["events"]
    _common(r, trained=4)
    assert r["latency_failed"] == []  # the killed request was retried on a replacement actor, not dropped


@pytest.mark.timeout(1200)
def test_driver_killed_then_resumed(namespaces, tmp_path, data):
    r = run_scenario("driver_kill", tmp_path, data)
    inj = r["injected"]
    assert inj["driver_killed"] == 1 and r["first_rc"] == -9, r["events"]
    assert not r["hub_before_resume"]  # it really was interrupted before publishing
    _common(r, trained=4)  # includes: no architecture trained twice
    assert r["trained_before_still_trained"]


@pytest.mark.timeout(1200)
def test_trial_failing_every_attempt(namespaces, tmp_path, data):
    r = run_scenario("crash_always", tmp_path, data)
    inj = r["injected"]
    assert inj["crashing_candidate"] is not None
    assert inj["attempts"] == inj["max_failures"] + 1  # Tune's retry budget, used up
    _common(r, trained=3)  # the search went on and filled the hub with the others
    # the reason names the error Tune recorded, not just that the trial errored
    assert [f["id"] for f in r["failed"]] == [inj["crashing_candidate"]]
    assert r["failed"][0]["reason"].startswith("trial_error: RuntimeError: simulated persistent fault")
    assert r["tune_trials"][inj["crashing_candidate"]] == {"status": "ERROR", "num_failures": inj["max_failures"] + 1}


@pytest.mark.slow
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("point", ["before_measure", "measuring", "queued", "trial_pending", "mid_trial",
                                   "before_tell", "publish"])
def test_driver_killed_at_point_then_resumed(namespaces, tmp_path, data, point):
    """The kill matrix on the multi-node cluster (tests/test_resume_matrix.py runs it on a local Ray)."""
    r = run_scenario(f"kill_{point}", tmp_path, data)
    assert r["first_rc"] == -9, (r["events"], r["stderr_tail"][-3000:])
    assert not r["hub_before_resume"] or point == "publish"
    _common(r, trained=4)
    assert r["trained_before_still_trained"]


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_driver_killed_again_while_resuming(namespaces, tmp_path, data):
    """A second (third, ...) kill during the resume itself: each resume is killed at the next point."""
    r = run_scenario("kill_chain", tmp_path, data, timeout=2300)
    inj = r["injected"]
    n = len(inj["chain"])
    assert inj["rcs"][:n] == [-9] * n, (inj, r["events"], r["stderr_tail"][-3000:])
    assert "mid_trial" in inj["chain"] and "before_tell" in inj["chain"], inj
    assert inj["kept_through_kills"]
    _common(r, trained=4)
    assert r["trained_before_still_trained"]


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_driver_sigterm_then_resumed(namespaces, tmp_path, data):
    r = run_scenario("sigterm", tmp_path, data)
    assert r["injected"]["sigterm"] == 1 and r["first_rc"] == 143, (r["events"], r["stderr_tail"][-3000:])
    assert r["injected"]["unresolved_after_stop"] and not r["hub_before_resume"]
    _common(r, trained=4)
    assert r["trained_before_still_trained"]
