"""Issue 15: ``make demo`` prints the searched-vs-baseline margin next to the proxy's seed noise,
measured in the same run (the two networks trained again with the next training seed)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _fake_search(out: Path, specs) -> None:
    """What a finished search leaves: hub.csv (one tier) and trials.parquet (the searched winner and a baseline)."""
    out.mkdir(parents=True)
    win, base = specs
    pd.DataFrame([{"id": "c00000", "role": "search", "name": None, "arch": win.arch_string, "status": "trained",
                   "top1": 60.0, "latency_ms": 0.4},
                  {"id": "c00001", "role": "baseline", "name": "mbv2-like@d0w0r0", "arch": base.arch_string,
                   "status": "trained", "top1": 50.0, "latency_ms": 0.3}]).to_parquet(out / "trials.parquet")
    pd.DataFrame([{"budget_ms": 0.85, "arch": win.arch_string, "top1": 60.0, "baseline": "mbv2-like@d0w0r0",
                   "baseline_top1": 50.0}]).to_csv(out / "hub.csv", index=False)


def test_demo_trains_both_again_and_prints_margin_next_to_noise(tmp_path, demo_dir, one_thread, capsys):
    from gpunet_ray.config import load_config
    from gpunet_ray.demo import _print_margin, seed_noise
    from gpunet_ray.search_space import get_space

    space = get_space("tiny").with_num_classes(10)
    specs = [s for s in space.sample(np.random.default_rng(3), 40) if s.resolution == 64][:2]
    assert len(specs) == 2
    out = tmp_path / "search"
    _fake_search(out, specs)
    cfg = load_config(ROOT / "experiments" / "demo.yaml", {"data": str(demo_dir), "train.epochs": 1})
    cfg = replace(cfg, train=replace(cfg.train, recipe={**dict(cfg.train.recipe), "seed": 4,
                                                        "limit_train_batches": 2, "limit_val_batches": 2}))
    got = seed_noise(out, cfg)["0.85"]
    assert got["seeds"] == [4, 5] and got["baseline_name"] == "mbv2-like@d0w0r0"
    assert got["searched"][0] == 60.0 and got["baseline"][0] == 50.0
    assert all(0.0 <= v <= 100.0 for v in got["searched"] + got["baseline"])
    want = (abs(60.0 - got["searched"][1]) + abs(50.0 - got["baseline"][1])) / 2 / np.sqrt(2)
    assert got["noise"] == pytest.approx(want)
    assert got["margin"] == pytest.approx((60.0 + got["searched"][1]) / 2 - (50.0 + got["baseline"][1]) / 2)
    _print_margin(out, cfg)
    err = capsys.readouterr().err
    line = [ln for ln in err.splitlines() if ln.startswith("0.85 ms:")]
    assert len(line) == 1 and "seed noise" in line[0] and "training seeds 4/5" in line[0], err
    want = ("the search leads" if got["margin"] > got["noise"] else
            "the baseline leads" if got["margin"] < -got["noise"] else "within the noise")
    assert want in line[0], line[0]
