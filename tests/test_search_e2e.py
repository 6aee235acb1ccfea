"""End to end through the public CLI: a real small search on CPU (tiny space, real MNIST digits,
onnxruntime-cpu latency, 1-epoch trials), the hub it publishes, resume after a killed driver, and
every bad input the CLI must refuse with exit 2 and one line.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

pytestmark = pytest.mark.ray

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "RAY_DEDUP_LOGS": "0"}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    from gpunet_ray.data import make_demo

    d = tmp_path_factory.mktemp("digits")
    make_demo(d)
    return d


def _config(tmp_path, data, **extra):
    cfg = {
        "budgets_ms": [0.85], "space": "tiny", "data": str(data), "trials": 3, "concurrency": 1,
        "baselines": False, "baseline_steps": 5,
        "latency": {"backend": "onnxruntime-cpu", "threads": 1},
        "train": {"epochs": 1, "batch_size": 64, "threads": 1, "loader": "torchvision",
                  "recipe": {"resolution": 64, "limit_train_batches": 40, "hflip": False,
                             "crop_scale": [0.5, 1.0], "warmup_epochs": 0.1}},
        "cluster": {"address": "local"},
    }
    for k, v in extra.items():
        cfg[k] = {**cfg[k], **v} if isinstance(v, dict) else v
    p = tmp_path / "search.yaml"
    p.write_text(yaml.safe_dump(cfg))
    return p


def search(*args, timeout=900, env=None, **kw):
    return subprocess.run([sys.executable, "-m", "gpunet_ray.search", "--no-dashboard", "--quiet", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env or ENV, **kw)


def _trained_counts(out: Path) -> dict:
    """hash -> how many times a training trial finished for it, from the append-only log."""
    counts: dict = {}
    for line in (out / "candidates.jsonl").read_text().splitlines():
        rec = json.loads(line)
        if rec["status"] == "trained":
            counts[rec["hash"]] = counts.get(rec["hash"], 0) + 1
    return counts


@pytest.mark.timeout(900)
def test_search_fills_hub_and_rejects_without_training(tmp_path, data):
    out = tmp_path / "run"
    cfg = _config(tmp_path, data, baselines=True, trials=2)
    res = search("--config", cfg, "--out", out)
    assert res.returncode == 0, res.stderr[-3000:]
    for name in ("config.yaml", "trials.parquet", "hub.parquet", "hub.csv", "HUB.md", "pareto.png",
                 "latency.sqlite", "candidates.jsonl"):
        assert (out / name).is_file(), name
    trials = pd.read_parquet(out / "trials.parquet")
    trained = trials[trials.status == "trained"]
    assert len(trained) == 4  # 2 searched + the best baseline of each family under 0.85 ms
    assert set(trained.role) == {"search", "baseline"}
    assert (trained.top1 > 20).all()  # chance is 10 %: the 1-epoch proxy learns
    assert (trained.latency_ms <= 0.85).all()
    rejected = trials[trials.status == "rejected"]
    assert rejected.reason.isin(["over_latency_budget", "predicted_over_budget"]).all()
    assert (rejected[rejected.reason == "over_latency_budget"].latency_ms > 0.85).all()
    hub = pd.read_parquet(out / "hub.parquet")
    assert len(hub) == 1 and hub.budget_ms[0] == 0.85
    best = trained[trained.role == "search"].sort_values("top1").iloc[-1]
    assert hub.top1[0] == pytest.approx(best.top1) and hub.latency_ms[0] <= 0.85
    assert not pd.isna(hub.baseline_top1[0])
    tier = out / "models" / hub.tier[0]
    assert json.loads((tier / "arch.json").read_text())[0]["img_resolution"] == hub.resolution[0]
    assert (tier / "model.onnx").stat().st_size > 10_000
    assert (out / "pareto.png").read_bytes()[:4] == b"\x89PNG"
    assert "baseline" in res.stdout and "0.85" in res.stdout  # the printed hub
    q = subprocess.run([sys.executable, "-m", "gpunet_ray.hub", "query", "--hub", str(out), "--budget-ms", "0.85",
                        "--json"], capture_output=True, text=True, timeout=120)
    assert q.returncode == 0 and json.loads(q.stdout)["arch"] == hub.arch[0]
    # the same folder again without --resume: refused, nothing changed
    before = (out / "candidates.jsonl").read_bytes()
    again = search("--config", cfg, "--out", out)
    assert again.returncode == 2 and "already holds a search" in again.stderr
    assert (out / "candidates.jsonl").read_bytes() == before


@pytest.mark.timeout(1200)
def test_resume_after_killed_driver_repeats_nothing(tmp_path, data):
    out = tmp_path / "run"
    cfg = _config(tmp_path, data, trials=4)
    proc = subprocess.Popen([sys.executable, "-m", "gpunet_ray.search", "--no-dashboard", "--quiet", "--config",
                             str(cfg), "--out", str(out)], env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 600
    try:
        while time.time() < deadline:
            log = out / "candidates.jsonl"
            if log.is_file() and sum(1 for c in _trained_counts(out).values()) >= 2:
                break
            if proc.poll() is not None:
                pytest.fail(f"search ended before it could be interrupted (rc {proc.returncode})")
            time.sleep(0.5)
        else:
            pytest.fail("no trial finished in time")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and the local Ray it started
        proc.wait()
    done_before = set(_trained_counts(out))
    assert not (out / "hub.parquet").exists()
    res = search("--resume", "--out", out)
    assert res.returncode == 0, res.stderr[-3000:]
    counts = _trained_counts(out)
    assert all(n == 1 for n in counts.values()), counts  # no finished evaluation repeated
    assert done_before <= set(counts) and len(counts) == 4
    trials = pd.read_parquet(out / "trials.parquet")
    assert (trials[trials.status == "trained"].hash.value_counts() == 1).all()
    assert (out / "hub.parquet").is_file() and (out / "pareto.png").is_file()


@pytest.mark.timeout(900)
def test_every_trial_failing_exits_3_and_says_why(tmp_path, data):
    """A search whose every trial crashed is not a success: exit 3, one line naming the budget and the reason."""
    out = tmp_path / "run"
    cfg = _config(tmp_path, data, trials=2, train={"max_failures": 0, "trainable": "fault_trainable:train_candidate"})
    env = {**ENV, "PYTHONPATH": str(Path(__file__).parent), "GPUNET_RAY_TEST_FAULT": "crash_always"}
    res = search("--config", cfg, "--out", out, env=env)
    assert res.returncode == 3, (res.returncode, res.stderr[-3000:])
    lines = [ln for ln in res.stderr.splitlines() if "no trained candidate met" in ln]
    assert len(lines) == 1 and "0.85 ms" in lines[0] and "trial_error" in lines[0] and "2 failed" in lines[0], lines
    trials = pd.read_parquet(out / "trials.parquet")
    failed = trials[trials.status == "failed"]
    assert len(failed) == 2 and failed.reason.str.startswith("trial_error: RuntimeError").all()
    assert len(pd.read_parquet(out / "hub.parquet")) == 0


BAD = [
    ("zero budget", ["--budget-ms", "0"], "positive"),
    ("negative budgets", ["--budgets-ms", "0.5,-1"], "positive"),
    ("unknown space", ["--space", "huge"], "unknown space 'huge'"),
    ("unknown backend", ["--latency-backend", "fpga"], "unknown latency backend 'fpga'"),
    ("unknown searcher", ["--searcher", "grid"], "unknown searcher 'grid'"),
    ("unreachable address", ["--address", "127.0.0.1:9"], "cannot reach a Ray cluster"),
]


@pytest.mark.parametrize("name, args, needle", BAD, ids=[b[0] for b in BAD])
def test_bad_input_exit_2_one_line_nothing_written(tmp_path, data, name, args, needle):
    out = tmp_path / "out"
    res = search("--config", _config(tmp_path, data), "--out", out, *args, timeout=300)
    assert res.returncode == 2, (res.returncode, res.stderr[-2000:])
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in res.stderr, res.stderr
    assert not out.exists()


def test_bad_dataset_and_folders(tmp_path, data):
    empty = tmp_path / "empty"
    empty.mkdir()
    res = search("--config", _config(tmp_path, data), "--data", empty, "--out", tmp_path / "o1")
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1 and not (tmp_path / "o1").exists()
    res = search("--config", _config(tmp_path, data), "--data", tmp_path / "missing", "--out", tmp_path / "o2")
    assert res.returncode == 2 and not (tmp_path / "o2").exists()
    nosearch = tmp_path / "nosearch"
    nosearch.mkdir()
    res = search("--resume", "--out", nosearch)
    assert res.returncode == 2 and "holds no search" in res.stderr and not any(nosearch.iterdir())
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    res = search("--config", _config(tmp_path, data), "--out", other)
    assert res.returncode == 2 and "not empty" in res.stderr and [p.name for p in other.iterdir()] == ["notes.txt"]


@pytest.mark.timeout(300)
def test_budget_below_fastest_network(tmp_path, data):
    out = tmp_path / "out"
    res = search("--config", _config(tmp_path, data), "--out", out, "--budget-ms", "0.01", timeout=300)
    assert res.returncode == 2, res.stderr[-2000:]
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "below the fastest network" in lines[0] and "ms measured" in lines[0], res.stderr
    assert not out.exists()


@pytest.mark.timeout(900)
def test_search_to_storage_uri(tmp_path, data):
    """``--out`` as a storage URI: results are uploaded there; the same URI again is refused."""
    uri = f"file://{tmp_path / 'bucket' / 'run'}"
    cfg = _config(tmp_path, data, trials=1)
    env_dir = tmp_path / "staging"
    res = subprocess.run([sys.executable, "-m", "gpunet_ray.search", "--no-dashboard", "--quiet", "--config", str(cfg),
                          "--out", uri], capture_output=True, text=True, timeout=900,
                         env={**ENV, "GPUNET_RAY_STAGING": str(env_dir)})
    assert res.returncode == 0, res.stderr[-3000:]
    bucket = tmp_path / "bucket" / "run"
    for name in ("config.yaml", "hub.parquet", "HUB.md", "trials.parquet", "pareto.png"):
        assert (bucket / name).is_file(), name
    again = subprocess.run([sys.executable, "-m", "gpunet_ray.search", "--no-dashboard", "--config", str(cfg),
                            "--out", uri], capture_output=True, text=True, timeout=300,
                           env={**ENV, "GPUNET_RAY_STAGING": str(env_dir)})
    assert again.returncode == 2 and "already holds a search" in again.stderr


def test_crashed_trials_get_the_reason_from_tunes_error_file(tmp_path):
    from gpunet_ray.search import explain_trial_errors
    from gpunet_ray.ledger import load_candidates

    log = tmp_path / "candidates.jsonl"
    recs = [{"id": "c1", "status": "failed", "reason": "trial_error", "trial_id": "ab12_00003"},
            {"id": "c2", "status": "failed", "reason": "diverged", "trial_id": "ab12_00004"},
            {"id": "c3", "status": "failed", "reason": "trial_error", "trial_id": "ab12_00005"}]  # no error file
    log.write_text("".join(json.dumps(r) + "\n" for r in recs) + '{"id": "c9", "sta')  # torn last line
    trial = tmp_path / "tune" / "train_candidate_ab12_00003_3_arch=x_2026-11-26"
    trial.mkdir(parents=True)
    (trial / "error.txt").write_text("Failure # 1\nTraceback (most recent call last):\n  File ...\n"
                                     "RuntimeError: simulated persistent fault (crash_always)\n\n")
    cands = load_candidates(log)
    assert explain_trial_errors(tmp_path, cands) == 1
    want = "trial_error: RuntimeError: simulated persistent fault (crash_always)"
    assert cands["c1"]["reason"] == want and cands["c3"]["reason"] == "trial_error"
    assert cands["c2"]["reason"] == "diverged"
    again = load_candidates(log)  # the log agrees, the torn line stayed ignored, and a re-run is a no-op
    assert again["c1"]["reason"] == want and again["c1"]["trial_id"] == "ab12_00003" and "c9" not in again
    assert explain_trial_errors(tmp_path, again) == 0
