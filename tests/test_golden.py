"""Golden run: a fixed-seed search must suggest, gate and resolve the same candidates as recorded.

The deterministic ``synthetic`` latency backend (latency from the architecture's statistics) and
one trial at a time make the whole candidate sequence reproducible: which networks LA-MCTS
suggests, which the gate rejects and why, which are trained, and which wins the hub. A refactor
that changes any of that fails here. After an intended change of behaviour, regenerate with
``GPUNET_RAY_UPDATE_GOLDEN=1 pytest tests/test_golden.py`` and say why in the commit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from gpunet_ray.ledger import load_candidates

pytestmark = pytest.mark.ray

GOLDEN = Path(__file__).with_name("fixtures") / "golden_search.json"
CONFIG = {
    "budgets_ms": [0.3], "space": "tiny", "trials": 4, "concurrency": 1, "baselines": False,
    "latency": {"backend": "synthetic", "threads": 1},
    "searcher": {"name": "lamcts", "seed": 0},
    "train": {"epochs": 1, "batch_size": 32, "threads": 1, "loader": "torchvision",
              "recipe": {"resolution": 32, "limit_train_batches": 8, "limit_val_batches": 4, "hflip": False,
                         "crop_scale": [0.5, 1.0], "warmup_epochs": 0.1}},
    "cluster": {"address": "local"},
}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    from gpunet_ray.data import make_demo

    d = tmp_path_factory.mktemp("digits")
    make_demo(d)
    return d


def fingerprint(out: Path) -> dict:
    cands = load_candidates(out / "candidates.jsonl")
    hub = pd.read_parquet(out / "hub.parquet")
    return {
        "candidates": [[c, r["role"], r["hash"], r["status"], r.get("reason")] for c, r in sorted(cands.items())],
        "hub": [[float(b), h] for b, h in zip(hub["budget_ms"], hub["hash"])],
    }


@pytest.mark.timeout(900)
def test_fixed_seed_search_matches_the_golden_run(tmp_path, data):
    cfg = {**CONFIG, "data": str(data)}
    p = tmp_path / "golden.yaml"
    p.write_text(yaml.safe_dump(cfg))
    out = tmp_path / "run"
    res = subprocess.run([sys.executable, "-m", "gpunet_ray.search", "--no-dashboard", "--quiet", "--config", str(p),
                          "--out", str(out)], capture_output=True, text=True, timeout=900,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert res.returncode == 0, res.stderr[-3000:]
    got = fingerprint(out)
    if os.environ.get("GPUNET_RAY_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=1) + "\n")
    want = json.loads(GOLDEN.read_text())
    assert got["candidates"] == want["candidates"]
    assert got["hub"] == want["hub"]
