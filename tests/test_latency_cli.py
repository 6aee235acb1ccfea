"""CLI: python -m gpunet_ray.latency {measure,table,predict-eval}; bad input -> exit 2, one line."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from gpunet_ray.cli import run_cli
from gpunet_ray.latency.__main__ import PROG, main
from gpunet_ray.search_space import get_space

pytestmark = pytest.mark.timeout(300)


def _cli(capsys, *argv):
    rc = run_cli(main, list(argv), prog=PROG)
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(scope="module")
def arch_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("arch") / "a.json"
    p.write_text(get_space("tiny").sample(np.random.default_rng(3), 1)[0].dumps())
    return p


def test_measure_json_subprocess(arch_file):
    proc = subprocess.run([sys.executable, "-m", "gpunet_ray.latency", "measure", str(arch_file), "--repeats", "15",
                           "--json"], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)
    assert {"median_ms", "cv", "n", "backend", "device"} <= set(rec)
    assert rec["n"] == 15 and rec["backend"] == "onnxruntime-cpu" and rec["threads"] == 1 and rec["median_ms"] > 0


def test_measure_human_output(capsys, arch_file):
    rc, out, err = _cli(capsys, "measure", str(arch_file), "--backend", "synthetic")
    assert rc == 0 and "median" in out and "synthetic" in out


def test_bad_input_subprocess_is_one_line(tmp_path, arch_file):
    proc = subprocess.run([sys.executable, "-m", "gpunet_ray.latency", "measure", str(arch_file), "--backend", "xla"],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown latency backend 'xla'" in lines[0] and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["measure", "{arch}", "--repeats", "0"], "positive integer"),
        (["measure", "{tmp}/missing.json"], "does not exist"),
        (["measure", "{tmp}/bad.json"], "not valid JSON"),
        (["measure", "{tmp}/invalid.json"], "num_out_channels must be a positive integer"),
        (["measure", "{arch}", "--time-cap", "-1"], "--time-cap"),
        (["measure", "{arch}", "--backend", "synthetic", "--option", "cuda_graphs"], "KEY=VALUE"),
        (["frobnicate"], "invalid choice"),
        (["table", "--space", "tiny", "--n", "2", "--out", "{tmp}/t.csv"], ".parquet"),
        (["table", "--space", "nope", "--n", "2", "--out", "{tmp}/t.parquet"], "unknown space"),
        (["table", "--n", "2", "--out", "{tmp}/t.parquet", "--backend", "torch-cuda"], "NVIDIA GPU"),
        (["predict-eval", "--table", "{tmp}/missing.parquet"], "does not exist"),
        (["predict-eval", "--table", "{tmp}/bad.json"], "not a readable Parquet"),
        (["predict-eval", "--table", "{tmp}/nocols.parquet"], "lacks column"),
        (["predict-eval", "--table", "{tmp}/nocols.parquet", "--model", "mlp"], "unknown --model"),
    ],
)
def test_cli_errors_exit_2_one_line(capsys, tmp_path, arch_file, argv, needle):
    import torch

    if "torch-cuda" in argv and torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    (tmp_path / "bad.json").write_text("{nope")
    (tmp_path / "invalid.json").write_text(json.dumps(
        [{"layer_type": "data", "img_resolution": 64}, {"layer_type": "head", "num_in_channels": 3,
                                                        "num_out_channels": 0}]))
    pd.DataFrame({"x": [1]}).to_parquet(tmp_path / "nocols.parquet")
    args = [a.format(arch=arch_file, tmp=tmp_path) for a in argv]
    rc, out, err = _cli(capsys, *args)
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], err
    assert not (tmp_path / "t.parquet").exists() and not (tmp_path / "t.csv").exists()


def test_table_then_predict_eval(capsys, tmp_path):
    out = tmp_path / "tab.parquet"
    db = tmp_path / "c.sqlite"
    rc, o, e = _cli(capsys, "table", "--space", "tiny", "--n", "60", "--out", str(out), "--backend", "synthetic",
                    "--cache", str(db), "--no-progress")
    assert rc == 0 and "wrote 60" in o and "0 from the cache" in o
    df = pd.read_parquet(out)
    assert len(df) == 60 and df.arch.nunique() == 60 and (df.median_ms > 0).all() and (df.backend == "synthetic").all()
    rc, o, e = _cli(capsys, "table", "--space", "tiny", "--n", "60", "--out", str(out), "--backend", "synthetic",
                    "--cache", str(db), "--no-progress")
    assert rc == 0 and "60 from the cache" in o
    rc, o, e = _cli(capsys, "predict-eval", "--table", str(out), "--json", "--save", str(tmp_path / "p.json"))
    assert rc == 0, e
    res = json.loads(o)
    assert res["n_test"] == 15 and res["kendall_tau"] > 0.8 and 0 <= res["mape"] < 0.2
    assert json.loads((tmp_path / "p.json").read_text())["meta"]["backend"] == "synthetic"


def test_latency_bench_presets_reports_published_figures(capsys):
    from gpunet_ray.latency.bench import main
    from gpunet_ray.search_space.presets import PUBLISHED

    assert main(["presets", "--backend", "synthetic", "--names", "gpunet-0,gpunet-2", "--repeats", "3"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    rows = {r["preset"]: r for r in res["rows"]}
    assert set(rows) == {"gpunet-0", "gpunet-2"} and res["backend"] == "synthetic"
    assert rows["gpunet-0"]["resolution"] == 320 and rows["gpunet-2"]["resolution"] == 384
    assert rows["gpunet-2"]["published_a100_trt_fp16_ms"] == PUBLISHED["gpunet-2"]["a100_trt_fp16_ms"]
    # the larger network is slower on the same backend; CUDA graphs are a torch-cuda option only
    assert rows["gpunet-2"]["median_ms"] > rows["gpunet-0"]["median_ms"] > 0
    assert all(r["cuda_graphs"] is None for r in res["rows"])


def test_backend_options_reach_the_backend_and_its_fingerprint(capsys, arch_file):
    # --option values are YAML scalars; the synthetic backend's coefficients are options, so doubling
    # the per-layer cost must raise the median and change the fingerprint (records never mix).
    base = ["measure", str(arch_file), "--backend", "synthetic", "--repeats", "3", "--json"]
    rc, out, _ = _cli(capsys, *base)
    assert rc == 0
    a = json.loads(out)
    rc, out, _ = _cli(capsys, *base, "--option", "ms_per_layer=0.5", "--option", "base_ms=0.05")
    assert rc == 0
    b = json.loads(out)
    assert b["median_ms"] > a["median_ms"] and b["fingerprint"] != a["fingerprint"]


def test_backend_help_comes_from_the_registry(monkeypatch, capsys):
    import gpunet_ray.latency.backends as backends
    from gpunet_ray.latency import list_backends
    from gpunet_ray.latency.__main__ import _parser
    from gpunet_ray.latency.bench import main as bench_main

    monkeypatch.setattr(backends, "_REGISTRY", {**backends._REGISTRY, "my-fpga": backends.Synthetic})
    sub = next(a for a in _parser()._actions if a.dest == "cmd")
    for cmd in ("measure", "table"):
        help_line = next(a.help for a in sub.choices[cmd]._actions if a.dest == "backend")
        assert all(name in help_line for name in list_backends()) and "my-fpga" in help_line
        assert "onnxruntime-cpu (default)" in help_line and "package.module:ClassName" in help_line
    with pytest.raises(SystemExit):
        bench_main(["pool", "--help"])
    assert "my-fpga" in "".join(capsys.readouterr().out.split())  # argparse wraps lines at hyphens
