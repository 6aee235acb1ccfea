"""Model hub: tier selection, files, query/merge CLI (synthetic trial tables, real files)."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from gpunet_ray.hub import merge_hubs, pareto_mask, plot_pareto, query_hub, read_hub, select_hub, write_hub
from gpunet_ray.search_space import arch_stats, get_space


def _trials(seed=0, n=12):
    sp = get_space("tiny").with_num_classes(10)
    rng = np.random.default_rng(seed)
    rows = []
    for i, spec in enumerate(sp.sample(rng, n)):
        st = arch_stats(spec)
        rows.append({"id": f"c{i:05d}", "role": "baseline" if i < 2 else "search", "name": f"b{i}" if i < 2 else None,
                     "arch": spec.arch_string, "hash": spec.hash, "status": "trained" if i % 5 else "rejected",
                     "top1": float(rng.uniform(50, 99)), "latency_ms": float(rng.uniform(0.3, 2.0)),
                     "latency_p90_ms": 2.1, "params": st.params, "macs": st.macs})
    df = pd.DataFrame(rows)
    df.loc[df["status"] == "rejected", "top1"] = np.nan
    return df


def test_select_hub_picks_most_accurate_under_each_budget():
    df = _trials()
    budgets = [0.6, 1.0, 1.5]
    hub = select_hub(df, budgets, batch=1, backend="onnxruntime-cpu", device="cpu x")
    ok = df[(df.status == "trained") & (df.role == "search")]
    for _, row in hub.iterrows():
        cands = ok[ok.latency_ms <= row.budget_ms]
        assert row.top1 == cands.top1.max()
        assert row.latency_ms <= row.budget_ms
        base = df[(df.status == "trained") & (df.role == "baseline") & (df.latency_ms <= row.budget_ms)]
        if len(base):
            assert row.baseline_top1 == base.top1.max()
    assert list(hub.budget_ms) == sorted(hub.budget_ms)
    assert hub.tier.is_unique


def test_pareto_mask():
    top1 = [90, 80, 95, 70, 95]
    lat = [1.0, 0.5, 2.0, 0.6, 2.5]
    assert pareto_mask(top1, lat) == [True, True, True, False, False]


def test_write_read_query_and_cli(tmp_path):
    df = _trials(1, 16)
    hub = select_hub(df, [0.8, 1.6], batch=1, backend="onnxruntime-cpu", device="cpu")
    write_hub(hub, tmp_path)
    plot_pareto(df, [0.8, 1.6], tmp_path / "pareto.png")
    assert (tmp_path / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    back = read_hub(tmp_path)
    assert back.tier.tolist() == hub.tier.tolist()
    for tier in hub.tier:
        assert json.loads((tmp_path / "models" / tier / "arch.json").read_text())[0]["layer_type"] == "data"
        assert (tmp_path / "models" / tier / "model.onnx").stat().st_size > 1000
    assert "| budget (ms) |" in (tmp_path / "HUB.md").read_text()
    best = query_hub(back, 10.0)
    assert best.top1 == back.top1.max()

    def cli(*a):
        return subprocess.run([sys.executable, "-m", "gpunet_ray.hub", *map(str, a)], capture_output=True,
                              text=True, timeout=120)

    r = cli("query", "--hub", tmp_path, "--budget-ms", 10, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["top1"] == pytest.approx(back.top1.max())
    r = cli("query", "--hub", tmp_path, "--budget-ms", 0.01)
    assert r.returncode == 1 and "no hub entry meets 0.01 ms" in r.stderr
    r = cli("list", "--hub", tmp_path)
    assert r.returncode == 0 and all(t in r.stdout for t in hub.tier)
    r = cli("export", "--hub", tmp_path, "--tier", hub.tier[0], "--out", tmp_path / "exp")
    assert r.returncode == 0 and (tmp_path / "exp" / "model.onnx").is_file()
    r = cli("show", "--hub", tmp_path, "--tier", "nope")
    assert r.returncode == 2 and "no tier 'nope'" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = cli("list", "--hub", tmp_path / "missing")
    assert r.returncode == 2 and "holds no hub" in r.stderr


def test_merge_keeps_best_per_tier_key(tmp_path):
    a = select_hub(_trials(2, 16), [1.0, 1.5], batch=1, backend="onnxruntime-cpu", device="cpu")
    b = select_hub(_trials(3, 16), [1.0], batch=1, backend="onnxruntime-cpu", device="cpu")
    c = select_hub(_trials(4, 16), [1.0], batch=1, backend="tensorrt", device="NVIDIA A100")
    m = merge_hubs([a, b, c])
    assert len(m) == 3  # (1.0, cpu), (1.5, cpu), (1.0, A100)
    cpu10 = m[(m.budget_ms == 1.0) & (m.backend == "onnxruntime-cpu")].iloc[0]
    assert cpu10.top1 == max(a[a.budget_ms == 1.0].top1.max(), b.top1.max())
    write_hub(a, tmp_path / "a", export_models=False)
    write_hub(c, tmp_path / "c", export_models=False)
    r = subprocess.run([sys.executable, "-m", "gpunet_ray.hub", "merge", "--hub", tmp_path / "a", "--hub",
                        tmp_path / "c", "--out", tmp_path / "m"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(read_hub(tmp_path / "m")) == len(a) + len(c)


@pytest.mark.timeout(600)
def test_hub_train_runs_the_long_recipe(tmp_path):
    from gpunet_ray.data import make_demo

    make_demo(tmp_path / "digits")
    df = _trials(5, 20)
    df["latency_ms"] = df["macs"] / df["macs"].max()
    df.loc[df["role"] == "search", "status"] = "trained"
    budget = float(df[df["role"] == "search"]["latency_ms"].min())  # only the smallest network meets it
    hub = select_hub(df, [budget], batch=1, backend="onnxruntime-cpu", device="cpu")
    write_hub(hub, tmp_path / "hub", export_models=False)
    r = subprocess.run([sys.executable, "-m", "gpunet_ray.hub", "train", "--hub", str(tmp_path / "hub"), "--tier",
                        hub.tier[0], "--data", str(tmp_path / "digits"), "--epochs", "1",
                        "--out", str(tmp_path / "final")], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["epoch"] == 1 and 0 <= result["top1"] <= 100  # EMA weights: 1 epoch says little
    history = json.loads((tmp_path / "final" / "metrics.json").read_text())
    assert isinstance(history, list) and len(history) == 1 and history[0]["epoch"] == 1
    import torch

    weights = torch.load(tmp_path / "final" / "weights.pt", weights_only=True)
    assert any(k.endswith("fc.weight") and v.shape[0] == 10 for k, v in weights.items())
