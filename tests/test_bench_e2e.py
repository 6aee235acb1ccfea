"""Issue 15: ``python -m gpunet_ray.bench fidelity`` and ``bench e2e`` at smoke size, and the e2e
summary from a run folder written by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    from gpunet_ray.data import make_task

    d = tmp_path_factory.mktemp("e2e") / "task"
    make_task(d, size=32, train_per_class=4, val_per_class=2)
    return d


@pytest.fixture(scope="module")
def config(tmp_path_factory, task):
    cfg = yaml.safe_load((ROOT / "experiments" / "demo.yaml").read_text())
    cfg["train"]["batch_size"] = 8
    cfg["train"]["recipe"].update(resolution=32, warmup_epochs=0.1)
    p = tmp_path_factory.mktemp("cfg") / "smoke.yaml"
    p.write_text(yaml.safe_dump(cfg))
    return p


def _fake_run(out: Path, rows: list[dict]) -> None:
    """A finished search folder: trials.parquet and candidates.jsonl (training -> trained, 10 s each)."""
    out.mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(out / "trials.parquet", index=False)
    t, lines = 1000.0, []
    for r in rows:
        if r["role"] == "search" and r["status"] == "trained":
            lines.append({"id": r["id"], "role": "search", "status": "training", "time": t})
            t += 6.0  # an epoch's report logs "training" again: the start is the first one
            lines.append({"id": r["id"], "role": "search", "status": "training", "time": t, "epoch": 1})
            t += 4.0
            lines.append({**r, "time": t})
    (out / "candidates.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))


def test_records_summary_table_plot(tmp_path):
    from gpunet_ray.bench.e2e import plot, run_records, summarize, table_md

    def row(i, top1, lat, role="search", name=None):
        return {"id": f"c{i:05d}", "role": role, "name": name, "status": "trained", "top1": top1, "latency_ms": lat}

    _fake_run(tmp_path / "lamcts", [row(0, 90.0, 0.4), row(1, 95.0, 0.8), row(2, 97.0, 1.5),
                                    row(3, 80.0, 0.3, "baseline", "mbv2-like@d0.00w0.00r0.00")])
    _fake_run(tmp_path / "random", [row(0, 93.0, 0.7), row(1, 96.0, 1.2)])
    records, runs = [], []
    for s, base in (("lamcts", True), ("random", False)):
        r, run = run_records(tmp_path / s, s, 0, (0.5, 1.0), baselines=base)
        records += r
        runs.append(run)
    want = {(r["searcher"], r["budget_ms"]): r["best_top1"] for r in records}
    assert want == {("lamcts", 0.5): 90.0, ("lamcts", 1.0): 95.0, ("mbv2-like", 0.5): 80.0, ("mbv2-like", 1.0): 80.0,
                    ("random", 0.5): None, ("random", 1.0): 93.0}
    assert set(records[0]) == {"searcher", "seed", "budget_ms", "best_top1", "latency_ms", "trials", "train_seconds"}
    assert records[0]["trials"] == 3 and records[0]["train_seconds"] == 30.0
    s = summarize(records, runs)
    # random's final best at 1 ms is 93 %: lamcts reached it with its second network, after 20 s
    assert s["tiers"]["1"]["searchers"]["lamcts"]["time_to_quality_s"] == 20.0
    assert s["tiers"]["1"]["searchers"]["random"]["time_to_quality_s"] == 10.0
    assert s["hypervolume"]["lamcts"]["median"] > s["hypervolume"]["random"]["median"] > 0
    md = table_md(s, {"command": "x", "machine": "m", "date": "d", "data": "D", "budgets_ms": [0.5, 1.0],
                      "trials": 3, "seeds": 1, "epochs": 1})
    assert "## 0.5 ms" in md and "| lamcts | 95.00 |" in md
    plot(records, tmp_path / "e2e.png")
    assert (tmp_path / "e2e.png").stat().st_size > 1000


def test_proxy_noise_and_margins(tmp_path):
    """The seed noise comes from the same hand-designed network trained with each seed; the margin
    table compares the first searcher's median with every other entry's, and with that noise."""
    from gpunet_ray.bench.e2e import margins, proxy_noise, run_records, summarize, table_md

    def row(i, top1, lat, role="search", name=None):
        return {"id": f"c{i:05d}", "role": role, "name": name, "status": "trained", "top1": top1, "latency_ms": lat}

    records, runs, dirs = [], [], []
    for seed, (a, b, mine, theirs) in enumerate([(80.0, 70.0, 90.0, 88.0), (82.0, 70.5, 91.0, 87.0),
                                                 (81.0, 69.5, 92.0, 89.0)]):
        d = tmp_path / f"lamcts-s{seed}"
        _fake_run(d, [row(0, mine, 0.4), row(1, a, 0.3, "baseline", "mbv2-like@d0w0r0"),
                      row(2, b, 0.2, "baseline", "gpunet-like@d0w0r0")])
        _fake_run(tmp_path / f"random-s{seed}", [row(0, theirs, 0.45)])
        dirs.append(d)
        for s_, base in (("lamcts", True), ("random", False)):
            r, run = run_records(tmp_path / f"{s_}-s{seed}", s_, seed, (0.5,), baselines=base)
            records += r
            runs.append(run)
    noise = proxy_noise(dirs + [tmp_path / "missing"])
    assert noise["networks"] == 2 and noise["seeds"] == 3
    assert noise["mean_std"] == pytest.approx((1.0 + 0.5) / 2) and noise["max_std"] == pytest.approx(1.0)
    s = summarize(records, runs)
    m = margins(s, "lamcts")["0.5"]
    assert m["vs"] == {"random": pytest.approx(3.0), "mbv2-like": pytest.approx(10.0),
                       "gpunet-like": pytest.approx(21.0)}
    assert m["against"] == "random" and m["worst"] == pytest.approx(3.0)
    s.update(noise=noise, margins=margins(s, "lamcts"))
    md = table_md(s, {"command": "x", "machine": "m", "date": "d", "data": "D", "budgets_ms": [0.5], "trials": 1,
                      "seeds": 3, "epochs": 1, "searchers": ["lamcts", "random"]})
    assert "| 0.5 ms | +3.00 | random | yes |" in md and "std 0.75 points on average" in md


def test_fidelity_smoke(task, config, tmp_path):
    from gpunet_ray.bench.__main__ import main

    out = tmp_path / "fid"
    assert main(["fidelity", "--data", str(task), "--config", str(config), "--out", str(out), "--networks", "2",
                 "--seeds", "1", "--epochs", "1", "--long-factor", "2", "--limit-train-batches", "1",
                 "--limit-val-batches", "1"]) == 0
    doc = json.loads((out / "fidelity.json").read_text())
    kinds = sorted((r["kind"], r["epochs"]) for r in doc["runs"])
    assert kinds == [("long", 2), ("long", 2), ("proxy", 1), ("proxy", 1)]
    assert all(r["top1"] is not None for r in doc["runs"]), doc["runs"]
    assert doc["summary"]["networks"] == 2 and doc["summary"]["spread_p10_p90"] is not None
    assert "Kendall tau" in (out / "FIDELITY.md").read_text()
    from gpunet_ray.bench.fidelity import _verdict

    assert _verdict("kendall_tau", 1.0, 3) == "too few networks (3 of 12 trained long)"  # no verdict on 3
    assert _verdict("kendall_tau", 0.7, 12).startswith("met") and _verdict("kendall_tau", 0.5, 12).startswith("missed")
    # a re-run resumes: nothing is trained again
    mtime = (out / "fidelity.json").stat().st_mtime_ns
    assert main(["fidelity", "--data", str(task), "--config", str(config), "--out", str(out), "--networks", "2",
                 "--seeds", "1", "--epochs", "1", "--long-factor", "2", "--limit-train-batches", "1",
                 "--limit-val-batches", "1"]) == 0
    assert len(json.loads((out / "fidelity.json").read_text())["runs"]) == 4
    assert (out / "fidelity.json").stat().st_mtime_ns >= mtime


def test_fidelity_noise_networks(task, config, tmp_path):
    """--noise-networks K: every seed for the first K networks only (the seed noise), one for the rest."""
    from gpunet_ray.bench.__main__ import main

    out = tmp_path / "fid"
    assert main(["fidelity", "--data", str(task), "--config", str(config), "--out", str(out), "--networks", "3",
                 "--seeds", "2", "--noise-networks", "1", "--long-networks", "0", "--epochs", "1",
                 "--limit-train-batches", "1", "--limit-val-batches", "1"]) == 0
    doc = json.loads((out / "fidelity.json").read_text())
    seeds = {}
    for r in doc["runs"]:
        seeds.setdefault(r["hash"], []).append(r["seed"])
    assert sorted(map(sorted, seeds.values())) == [[0], [0], [0, 1]]
    assert doc["meta"]["noise_networks"] == 1 and doc["summary"]["seed_std"] is not None
    assert "the first 1 x 2 seed(s)" in (out / "FIDELITY.md").read_text()


def test_fidelity_shards_split_the_plan_and_merge(task, config, tmp_path):
    """Two --shard processes split the trainings; a run without --shard trains nothing more, merges, summarises."""
    from gpunet_ray.bench.__main__ import main

    out = tmp_path / "fid"
    common = ["fidelity", "--data", str(task), "--config", str(config), "--out", str(out), "--networks", "3",
              "--seeds", "1", "--long-networks", "0", "--epochs", "1", "--limit-train-batches", "1",
              "--limit-val-batches", "1"]
    for k in (0, 1):
        assert main([*common, "--shard", f"{k}/2"]) == 0
    shards = [json.loads((out / f"fidelity-shard-{k}.json").read_text())["runs"] for k in (0, 1)]
    # shard 0 trained plan items 0 and 2; shard 1 item 1 (and carries what it found recorded)
    assert len(shards[0]) == 2 and len(shards[1]) == 3 and not (out / "fidelity.json").exists()
    assert main(common) == 0
    doc = json.loads((out / "fidelity.json").read_text())
    assert sorted(r["seconds"] for r in doc["runs"]) == sorted(r["seconds"] for r in shards[1])  # nothing retrained
    assert doc["summary"]["networks"] == 3
    for bad in ("2/2", "x", "1/0"):
        assert main([*common, "--shard", bad]) == 2
    # --report-only trains nothing and lists what the plan still holds
    more = [c if c != "3" else "4" for c in common]  # a 4th network: not trained
    assert main([*more, "--report-only"]) == 0
    doc = json.loads((out / "fidelity.json").read_text())
    assert len(doc["runs"]) == 3 and len(doc["meta"]["not_run"]) == 1
    assert "not run yet (1 of the plan's trainings)" in (out / "FIDELITY.md").read_text()


def test_e2e_report_only_reports_finished_runs_and_lists_the_rest(task, config, tmp_path):
    """--report-only runs nothing: finished runs are reported, unfinished or missing ones listed."""
    from gpunet_ray.bench.__main__ import main

    def row(i, top1, lat, role="search", name=None):
        return {"id": f"c{i:05d}", "role": role, "name": name, "status": "trained", "top1": top1, "latency_ms": lat}

    out = tmp_path / "e2e"
    for seed in (0, 1):
        d = out / "runs" / f"lamcts-s{seed}"
        _fake_run(d, [row(0, 90.0 + seed, 0.4), row(1, 80.0 + 2 * seed, 0.3, "baseline", "mbv2-like@d0w0r0")])
        (d / "hub.parquet").write_bytes(b"")
    _fake_run(out / "runs" / "random-s0", [row(0, 85.0, 0.45)])
    (out / "runs" / "random-s0" / "hub.parquet").write_bytes(b"")
    _fake_run(out / "runs" / "random-s1", [row(0, 86.0, 0.45)])  # no hub: unfinished
    assert main(["e2e", "--data", str(task), "--config", str(config), "--out", str(out), "--searchers",
                 "lamcts,random", "--seeds", "2", "--budgets-ms", "0.5", "--report-only"]) == 0
    doc = json.loads((out / "e2e.json").read_text())
    assert doc["meta"]["missing_runs"] == ["random-s1"]
    assert sorted((r["searcher"], r["seed"]) for r in doc["records"]) == [
        ("lamcts", 0), ("lamcts", 1), ("mbv2-like", 0), ("mbv2-like", 1), ("random", 0)]
    assert doc["summary"]["noise"]["networks"] == 1 and doc["summary"]["noise"]["mean_std"] > 0
    assert "not finished, left out: random-s1" in (out / "E2E.md").read_text()
    assert not (out / "runs" / "random-s1" / "hub.parquet").exists()  # nothing was run


def test_e2e_only_seeds_refuses_seeds_out_of_range(task, config, tmp_path, capsys):
    from gpunet_ray.bench.__main__ import main

    for bad in ("3", "x", ","):
        assert main(["e2e", "--data", str(task), "--config", str(config), "--out", str(tmp_path / "e"),
                     "--searchers", "random", "--seeds", "3", "--only-seeds", bad]) == 2
        assert "--only-seeds" in capsys.readouterr().err
    assert not (tmp_path / "e" / "e2e.json").exists()


@pytest.mark.slow
@pytest.mark.ray
@pytest.mark.timeout(1200)
def test_e2e_smoke(task, config, tmp_path):
    from gpunet_ray.bench.__main__ import main

    out = tmp_path / "e2e"
    assert main(["e2e", "--data", str(task), "--config", str(config), "--out", str(out), "--searchers",
                 "lamcts,random", "--seeds", "1", "--trials", "2", "--epochs", "1", "--budgets-ms", "2.0",
                 "--limit-train-batches", "2", "--limit-val-batches", "1"]) == 0
    doc = json.loads((out / "e2e.json").read_text())
    got = {(r["searcher"], r["budget_ms"]) for r in doc["records"]}
    assert {("lamcts", 2.0), ("random", 2.0)} <= got
    assert any(r["searcher"] in ("gpunet-like", "mbv2-like") for r in doc["records"])
    assert all(r["trials"] >= 1 for r in doc["records"] if r["searcher"] in ("lamcts", "random"))
    assert (out / "E2E.md").is_file() and (out / "e2e.png").is_file()
    assert (out / "runs" / "lamcts-s0" / "trials.parquet").is_file()
