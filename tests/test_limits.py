"""Bounded inputs: an absurd architecture is refused from its statistics before anything is
allocated, by the CLIs (exit 2, one line, nothing written), by a trial (infeasible, reason
``too_large``) and by a latency actor (the future raises TooLarge, the actor keeps serving)."""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
import time

import pytest

from gpunet_ray.errors import ConfigError, GpunetRayError, TooLarge
from gpunet_ray.search_space import ArchSpec, arch_stats
from gpunet_ray.search_space.presets import PRESETS, PUBLISHED, get_preset
from gpunet_ray.search_space.stats import DEFAULT_LIMITS, Limits, activation_bytes, check_size, default_limits

GB = 10**9
# training batch sizes used in this project: experiments/demo.yaml and tiers.yaml (64),
# experiments/gpunet_a100.yaml (256), Recipe.long() for `hub train` (192); latency batch 1
TRAIN_BATCHES = (64, 192, 256)


def _gpunet0_json() -> list:
    return get_preset("gpunet-0").to_gpunet_json()


def _with(obj: list, index: int, **changes) -> list:
    out = copy.deepcopy(obj)
    out[index].update(changes)
    return out


def _last_irb(obj: list) -> int:
    return max(i for i, e in enumerate(obj) if e.get("layer_type") == "irb")


def _huge_expansion() -> list:
    obj = _gpunet0_json()
    return _with(obj, _last_irb(obj), expansion=100000)


def _huge_resolution() -> list:
    return _with(_gpunet0_json(), 0, img_resolution=100000)


@pytest.fixture(autouse=True)
def _no_env_limits(monkeypatch):
    monkeypatch.delenv("GPUNET_RAY_MAX_PARAMS", raising=False)
    monkeypatch.delenv("GPUNET_RAY_MAX_ACTIVATION_GB", raising=False)


# -- the estimate and the defaults --------------------------------------------------------------
def test_error_is_in_the_taxonomy():
    assert issubclass(TooLarge, GpunetRayError) and TooLarge.reason == "too_large"
    import gpunet_ray.errors as errors

    assert "TooLarge" in errors.__all__


@pytest.mark.parametrize("name", list(PRESETS))
def test_released_gpunets_pass_the_defaults_comfortably(name):
    spec = get_preset(name)
    st = arch_stats(spec)
    assert st.params == PUBLISHED[name]["params"]
    lim = DEFAULT_LIMITS
    assert st.params * 10 < lim.max_params
    # latency / export: batch 1, inference working set
    assert check_size(spec, batch=1)["activation_bytes"] * 100 < lim.activation_gb(False) * GB
    for batch in TRAIN_BATCHES:
        got = check_size(spec, batch=batch, training=True)
        assert got["params"] == st.params and got["training"] is True
        assert got["activation_bytes"] * 2 < lim.activation_gb(True) * GB, (name, batch)


def test_activation_estimate_counts_every_feature_map():
    spec = get_preset("gpunet-0")
    st = arch_stats(spec)
    # the head: 3 x 320 x 320 in, 32 x 160 x 160 out
    assert st.layers[0].activations == 32 * 160 * 160
    assert st.layers[0].peak == 3 * 320 * 320 + 32 * 160 * 160
    assert st.peak_activations == max(layer.peak for layer in st.layers) < st.activations
    assert activation_bytes(st, 8, training=True) == st.activations * 8 * 4
    assert activation_bytes(spec, 8) == st.peak_activations * 8 * 4
    assert activation_bytes(spec, 8, dtype_bytes=2) == st.peak_activations * 8 * 2


def test_absurd_architectures_are_refused_quickly():
    t0 = time.perf_counter()
    with pytest.raises(TooLarge, match=r"parameters, above the limit of 1,000,000,000"):
        check_size(ArchSpec.from_gpunet_json(_huge_expansion()))
    with pytest.raises(TooLarge, match=r"estimated 800 GB of activation memory for inference at batch 1"):
        check_size(ArchSpec.from_gpunet_json(_huge_resolution()))
    # numbers that overflow a float, or have thousands of digits: still one clear error, fast
    obj = _gpunet0_json()
    with pytest.raises(TooLarge, match="expanded width"):
        check_size(ArchSpec.from_gpunet_json(_with(obj, _last_irb(obj), expansion=1e308)))
    with pytest.raises(TooLarge, match=r"10\^\d+ GB .* \(resolution 10\^4000\)"):
        check_size(ArchSpec.from_gpunet_json(_with(obj, 0, img_resolution=10**4000)))
    assert time.perf_counter() - t0 < 2.0


def test_limits_are_overridable_and_validated(monkeypatch):
    spec = get_preset("gpunet-0")
    with pytest.raises(TooLarge, match="raise --max-params"):
        check_size(spec, limits={"max_params": 1_000_000}, flags=("--max-params", "--max-activation-gb"))
    with pytest.raises(TooLarge, match="for training at batch 256"):
        check_size(spec, batch=256, training=True, limits=Limits(max_activation_gb=1.0))
    assert check_size(ArchSpec.from_gpunet_json(_huge_resolution()), limits={"max_activation_gb": 1000})
    monkeypatch.setenv("GPUNET_RAY_MAX_PARAMS", "1e6")
    assert default_limits().max_params == 1_000_000
    with pytest.raises(TooLarge, match="GPUNET_RAY_MAX_PARAMS"):
        check_size(spec)
    monkeypatch.setenv("GPUNET_RAY_MAX_PARAMS", "lots")
    with pytest.raises(ConfigError, match="GPUNET_RAY_MAX_PARAMS"):
        default_limits()
    monkeypatch.delenv("GPUNET_RAY_MAX_PARAMS")
    for bad in ({"max_params": 0}, {"max_activation_gb": -1}, {"max_activation_gb": math.inf}, {"max_gb": 3}, 5):
        with pytest.raises(ConfigError):
            Limits.from_any(bad)


# -- CLIs: exit 2, one line naming the size and the flag, nothing written ------------------------
def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_arch_export_refuses_without_writing(tmp_path):
    f = tmp_path / "big.json"
    f.write_text(json.dumps(_huge_resolution()))
    out = tmp_path / "o" / "model.onnx"
    res = subprocess.run([sys.executable, "-m", "gpunet_ray.arch", "export", str(f), "--onnx", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    line = _one_line(res.stderr)
    assert "800 GB of activation memory" in line and "--max-activation-gb" in line
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("argv, needle", [
    ([], ["2,14", "parameters", "above the limit of 1,000,000,000", "--max-params"]),
    (["--max-params", "1e12"], ["estimated 49.2 GB of activation memory", "--max-activation-gb"]),
    (["--max-params", "0"], ["argument --max-params: must be a positive number, got '0'"]),
    (["--max-activation-gb", "nan"], ["argument --max-activation-gb: must be a positive number, got 'nan'"]),
])
def test_arch_export_flags(tmp_path, capsys, argv, needle):
    from gpunet_ray.arch import cli

    obj = _gpunet0_json()
    first_irb = min(i for i, e in enumerate(obj) if e.get("layer_type") == "irb")
    f = tmp_path / "big.json"
    f.write_text(json.dumps(_with(obj, first_irb, expansion=100000)))
    rc = cli(["export", str(f), "--onnx", str(tmp_path / "m.onnx"), *argv])
    line = _one_line(capsys.readouterr().err)
    assert rc == 2 and all(n in line for n in needle), line
    assert list(tmp_path.iterdir()) == [f]


def test_arch_export_limit_can_be_raised(tmp_path, capsys):
    from gpunet_ray.arch import cli
    from gpunet_ray.search_space import get_space

    space = get_space("tiny")
    spec = space.from_config({d.name: d.choices[0] for d in space.all_dims})
    f = tmp_path / "small.json"
    f.write_text(spec.dumps())
    params = arch_stats(spec).params
    assert cli(["export", str(f), "--onnx", str(tmp_path / "a.onnx"), "--max-params", str(params - 1)]) == 2
    assert f"{params:,} parameters" in capsys.readouterr().err
    assert not (tmp_path / "a.onnx").exists()
    assert cli(["export", str(f), "--onnx", str(tmp_path / "a.onnx"), "--max-params", str(params)]) == 0
    assert (tmp_path / "a.onnx").stat().st_size > 0


@pytest.mark.parametrize("cmd", ["measure", "table"])
def test_latency_cli_refuses_without_writing(tmp_path, capsys, cmd):
    from gpunet_ray.cli import run_cli
    from gpunet_ray.latency.__main__ import PROG, main

    f = tmp_path / "big.json"
    f.write_text(json.dumps(_huge_resolution()))
    db = tmp_path / "lat.sqlite"
    if cmd == "measure":
        argv = ["measure", str(f), "--backend", "synthetic", "--cache", str(db)]
        needle = "800 GB of activation memory for inference at batch 1"
    else:  # a batch at which the tiny space's networks are too large for a 1 GB limit
        argv = ["table", "--space", "tiny", "--n", "2", "--out", str(tmp_path / "t.parquet"), "--cache", str(db),
                "--backend", "synthetic", "--batch", "4096", "--max-activation-gb", "1"]
        needle = "at batch 4096"
    rc = run_cli(main, argv, prog=PROG)
    line = _one_line(capsys.readouterr().err)
    assert rc == 2 and needle in line and "--max-activation-gb" in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.json"]  # no cache, no table
    if cmd == "measure":
        rc = run_cli(main, [*argv, "--max-activation-gb", "1000", "--json"], prog=PROG)
        assert rc == 0 and json.loads(capsys.readouterr().out)["resolution"] == 100000  # synthetic: no tensors


def test_measure_latency_checks_at_the_backend_batch():
    from gpunet_ray.latency import measure_latency

    spec = get_preset("gpunet-0")
    assert measure_latency(spec, backend="synthetic", batch=8).batch == 8
    with pytest.raises(TooLarge, match="at batch 8"):
        measure_latency(spec, backend="synthetic", batch=8, limits={"max_activation_gb": 0.05})  # 0.065 GB


# -- a trial: infeasible with reason too_large, the trial ends normally --------------------------


@pytest.mark.parametrize("arch, limits, needle", [
    ("huge-resolution", None, "for training at batch 16"),
    ("gpunet-0", {"max_params": 1_000_000}, "10,617,242 parameters"),  # 10 classes
])
def test_trial_reports_too_large_as_infeasible(demo_dir, monkeypatch, arch, limits, needle):
    import gpunet_ray.search_space.builder as builder
    from gpunet_ray.trainables.trainable import CANDIDATE_FAILURES, check_trial_config, run_candidate

    assert TooLarge in CANDIDATE_FAILURES

    def no_build(*a, **k):
        raise AssertionError("the model must not be built")

    monkeypatch.setattr(builder, "build_model", no_build)
    spec = ArchSpec.from_gpunet_json(_huge_resolution()) if arch == "huge-resolution" else get_preset(arch)
    config = {"arch": spec.arch_string, "data_dir": str(demo_dir), "loader": "torchvision", "loader_threads": 0,
              "recipe": {"epochs": 1, "batch_size": 16}}
    if limits is not None:
        config["limits"] = limits
        check_trial_config(config)  # the driver-side check accepts the key
    reports = []
    result = run_candidate(config, lambda m, c: reports.append((m, c)))
    assert reports == [(result, None)]
    assert result["feasible"] is False and result["reason"] == "too_large" and result["epoch"] == 1
    assert needle in result["error"] and math.isnan(result["top1"])


def test_trial_config_limits_are_checked(demo_dir):
    from gpunet_ray.trainables import check_trial_config

    with pytest.raises(ConfigError, match="max_params"):
        check_trial_config({"data_dir": str(demo_dir), "limits": {"max_params": -5}})


# -- the latency actor refuses, and keeps serving -------------------------------------------------
@pytest.mark.ray
@pytest.mark.timeout(180)
def test_latency_actor_refuses_too_large_and_keeps_serving():
    ray = pytest.importorskip("ray")
    from gpunet_ray.latency import LatencyRecord, LatencyService

    big = ArchSpec.from_gpunet_json(_huge_expansion())
    ok = get_preset("gpunet-1")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        with LatencyService(backend="synthetic") as svc:
            pid = ray.get(svc.actors()[0].info.remote())["pid"]
            f_big, f_ok = svc.submit([big, ok])
            with pytest.raises(TooLarge, match="parameters, above the limit"):
                f_big.result(timeout=60)
            assert isinstance(f_ok.result(timeout=60), LatencyRecord)
            assert isinstance(svc.measure(get_preset("gpunet-0"), timeout=60), LatencyRecord)
            st = svc.stats()
            assert st["failed"] == 1 and st["completed"] == 2 and st["actor_restarts"] == 0
            assert ray.get(svc.actors()[0].info.remote())["pid"] == pid
    finally:
        ray.shutdown()
