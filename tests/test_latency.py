"""Latency: statistics, records/fingerprints, SQLite cache, trtexec parsing, backends, predictor."""

from __future__ import annotations

import dataclasses
import json
import math
import multiprocessing as mp
import os
import sqlite3
import stat
import time
from pathlib import Path

import numpy as np
import pytest

from gpunet_ray.errors import BackendUnavailable, ConfigError, InvalidArchitecture, OutOfMemory
from gpunet_ray.latency import (
    LatencyCache,
    LatencyPredictor,
    LatencyRecord,
    MeasurementError,
    TimingPolicy,
    get_backend,
    kendall_tau,
    mape,
    measure_latency,
    summarize,
)
from gpunet_ray.latency.timing import time_adaptive
from gpunet_ray.latency.trtexec import parse_trtexec_output, parse_trtexec_times
from gpunet_ray.latency.backends import TensorRT, record_from_trtexec
from gpunet_ray.latency.predictor import arch_features, feature_names
from gpunet_ray.search_space import ArchSpec, get_space

FIX = Path(__file__).parent / "fixtures"
REF = Path(__file__).resolve().parents[2] / "shared" / "reference" / "gpunet"


@pytest.fixture(scope="module")
def tiny_specs():
    return get_space("tiny").sample(np.random.default_rng(11), 4)


def _record(**kw) -> LatencyRecord:
    base = dict(median_ms=1.0, p90_ms=1.2, iqr_ms=0.1, cv=0.05, n=50, backend="onnxruntime-cpu", device="cpu-x",
                versions={"onnxruntime": "1.32.0"}, precision="fp32", batch=1, resolution=96, threads=1,
                arch_hash="0123456789abcdef", settings={"clock": "thread"}, mean_ms=1.05, min_ms=0.9)
    base.update(kw)
    return LatencyRecord(**base)


# -- statistics ------------------------------------------------------------------------------------
def test_summarize_known_values():
    s = summarize(list(range(1, 11)))
    assert s.median_ms == 5.5 and s.n == 10 and s.min_ms == 1 and s.mean_ms == 5.5
    assert s.p90_ms == pytest.approx(9.1) and s.iqr_ms == pytest.approx(4.5)
    assert s.cv == pytest.approx(np.std(np.arange(1, 11), ddof=1) / 5.5)
    one = summarize([2.0])
    assert one.cv == 0.0 and one.iqr_ms == 0.0 and one.median_ms == 2.0


@pytest.mark.parametrize("bad", [[], [1.0, float("nan")], [1.0, -1.0], [float("inf")]])
def test_summarize_rejects_bad_samples(bad):
    with pytest.raises(ConfigError):
        summarize(bad)


def test_adaptive_timing_stops_when_median_is_stable():
    calls = []

    def run():
        calls.append(1)
        return 1.0 + 0.001 * (len(calls) % 3)

    samples, stop = time_adaptive(run, TimingPolicy(warmup=5, warmup_s=0, min_repeats=20, block=10, rtol=0.01,
                                                     min_time_s=0))
    assert stop == "stable"
    # first check at 20 runs, then two calm checks (patience 2) at 30 and 40
    assert len(samples) == 40
    assert len(calls) == 45  # 5 warm-up runs are not timed


def test_adaptive_timing_min_time():
    t = time.perf_counter()
    def run():
        time.sleep(0.002)
        return 1.0

    samples, stop = time_adaptive(run, TimingPolicy(warmup=0, warmup_s=0, min_repeats=5, block=5, min_time_s=0.1))
    assert stop == "stable" and time.perf_counter() - t >= 0.1 and 15 <= len(samples) <= 60


def test_adaptive_timing_fixed_cap_and_max():
    assert time_adaptive(lambda: 1.0, TimingPolicy(warmup=0, warmup_s=0, repeats=7)) == ([1.0] * 7, "fixed")
    seq = iter(range(1, 10**6))  # ever-growing: the median never settles
    s, stop = time_adaptive(lambda: float(next(seq)), TimingPolicy(warmup=0, warmup_s=0, min_repeats=5,
                                                                   max_repeats=40, block=5, min_time_s=0))
    assert stop == "max_repeats" and len(s) == 40

    def slow():
        time.sleep(0.01)
        return float(next(seq))

    t = time.perf_counter()
    s, stop = time_adaptive(slow, TimingPolicy(warmup=0, warmup_s=0, min_repeats=5, block=5, time_cap_s=0.15))
    assert stop == "time_cap" and 5 <= len(s) <= 25 and time.perf_counter() - t < 2


@pytest.mark.parametrize("kw", [{"repeats": 0}, {"min_repeats": 0}, {"min_repeats": 10, "max_repeats": 5},
                                {"rtol": 0}, {"time_cap_s": -1}])
def test_timing_policy_validation(kw):
    with pytest.raises(ConfigError):
        TimingPolicy(**kw)


def test_tau_and_mape():
    assert kendall_tau([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert mape([1.0, 2.0], [1.1, 1.8]) == pytest.approx(0.1)
    with pytest.raises(ConfigError):
        mape([0.0], [1.0])


# -- records and fingerprints ----------------------------------------------------------------------
def test_record_is_immutable_and_round_trips():
    r = _record(iqr_ms=float("nan"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.median_ms = 2.0
    d = json.loads(r.to_json())
    assert d["iqr_ms"] is None and d["versions"] == {"onnxruntime": "1.32.0"} and d["fingerprint"] == r.fingerprint
    back = LatencyRecord.from_json(r.to_json())
    assert math.isnan(back.iqr_ms)
    assert dataclasses.replace(back, iqr_ms=0.0) == dataclasses.replace(r, iqr_ms=0.0)
    assert hash(r.key) == hash((r.arch_hash, r.fingerprint))


def test_fingerprint_covers_environment_not_architecture():
    r = _record()
    assert len(r.fingerprint) == 16
    assert _record(arch_hash="f" * 16, resolution=128, median_ms=9.0).fingerprint == r.fingerprint
    # mapping order does not matter
    assert _record(settings={"b": 1, "a": 2}).fingerprint == _record(settings={"a": 2, "b": 1}).fingerprint
    changed = [_record(threads=2), _record(batch=8), _record(precision="fp16"), _record(device="other"),
               _record(versions={"onnxruntime": "1.31.0"}), _record(settings={"clock": "wall"}),
               _record(backend="torch-cpu")]
    fps = {c.fingerprint for c in changed}
    assert r.fingerprint not in fps and len(fps) == len(changed)


def test_tampered_record_is_rejected():
    d = _record().to_dict()
    d["threads"] = 4  # environment edited, fingerprint kept
    with pytest.raises(ConfigError, match="fingerprint"):
        LatencyRecord.from_dict(d)
    with pytest.raises(ConfigError):
        LatencyRecord.from_json("{not json")


# -- cache -----------------------------------------------------------------------------------------
def test_cache_put_get_restart_and_hit_cost(tmp_path):
    db = tmp_path / "sub" / "lat.sqlite"
    r = _record()
    with LatencyCache(db) as c:
        assert c.ok and c.get(r.arch_hash, r.fingerprint) is None
        assert c.put(r)
        assert c.get(r.arch_hash, r.fingerprint) == r
        assert c.get(r.arch_hash, "0" * 16) is None
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    c2 = LatencyCache(db)  # a restart
    assert len(c2) == 1 and c2.get(*r.key) == r
    times = []
    for _ in range(200):
        t = time.perf_counter()
        c2.get(*r.key)
        times.append(time.perf_counter() - t)
    assert np.median(times) < 1e-3  # "well under a millisecond" (typically ~20 us)
    assert [x.key for x in c2.records(r.fingerprint)] == [r.key]


def _writer(args):
    path, wid, n = args
    c = LatencyCache(path)
    ok = 0
    for i in range(n):
        ok += c.put(_record(arch_hash=f"{wid:04x}{i:012x}", median_ms=1.0 + i))
        c.put(_record())  # every writer also hammers one shared key
    return ok


@pytest.mark.timeout(120)
def test_cache_concurrent_writer_processes(tmp_path):
    db = str(tmp_path / "lat.sqlite")
    LatencyCache(db).close()
    with mp.get_context("spawn").Pool(4) as pool:
        oks = pool.map(_writer, [(db, w, 60) for w in range(4)])
    assert oks == [60] * 4
    c = LatencyCache(db)
    assert c.ok and len(c) == 4 * 60 + 1
    assert c.get(f"{3:04x}{59:012x}", _record().fingerprint).median_ms == 60.0


def test_cache_corrupt_file_is_reported_and_ignored(tmp_path, caplog):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(os.urandom(4096))
    with caplog.at_level("WARNING", logger="gpunet_ray.latency"):
        c = LatencyCache(bad)
    assert not c.ok and "not an SQLite database" in c.problem
    assert any("ignored" in m for m in caplog.messages)
    r = _record()
    assert c.get(*r.key) is None and c.put(r) is False and len(c) == 0 and list(c.records()) == []
    assert bad.read_bytes()[:16] != b"SQLite format 3\x00"  # left untouched


def test_cache_damaged_database_is_ignored(tmp_path):
    db = tmp_path / "lat.sqlite"
    with LatencyCache(db) as c:
        for i in range(50):
            c.put(_record(arch_hash=f"{i:016x}"))
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    raw = bytearray(db.read_bytes())
    raw[100:] = os.urandom(len(raw) - 100)  # keep the magic, destroy the pages
    db.write_bytes(bytes(raw))
    c = LatencyCache(db)
    r = _record(arch_hash=f"{3:016x}")
    assert c.get(*r.key) is None and c.put(r) is False  # never raises
    assert not c.ok


def test_cache_foreign_sqlite_and_directory(tmp_path):
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE users (name TEXT)")
    c = LatencyCache(other)
    assert not c.ok and "another application" in c.problem and c.put(_record()) is False
    d = tmp_path / "dir.sqlite"
    d.mkdir()
    assert not LatencyCache(d).ok


# -- trtexec parsing -------------------------------------------------------------------------------
def test_parse_trtexec_fixture():
    res = parse_trtexec_output((FIX / "trtexec_gpunet0_a100.txt").read_text())
    assert res.trt_version == "10.3.0" and res.device == "NVIDIA A100-SXM4-80GB" and res.passed is True
    gc = res.gpu_compute
    assert gc["median"] == pytest.approx(0.461914) and gc["p90"] == pytest.approx(0.466919)
    assert gc["p99"] == pytest.approx(0.486328) and gc["min"] == pytest.approx(0.455688)
    assert res.metrics["Latency"]["median"] == pytest.approx(0.530762)
    assert set(res.metrics) >= {"Latency", "Enqueue Time", "H2D Latency", "GPU Compute Time", "D2H Latency"}
    assert res.throughput_qps == pytest.approx(2077.43)
    assert res.total_gpu_compute_s == pytest.approx(2.88693)
    assert res.n_estimated == 6234  # the trace's query count, recovered from total / mean
    assert any("coefficient of variance" in w for w in res.warnings)


def test_parse_trtexec_failures():
    with pytest.raises(OutOfMemory, match="out of GPU memory"):
        parse_trtexec_output((FIX / "trtexec_failed_oom.txt").read_text())
    with pytest.raises(MeasurementError, match="no 'GPU Compute Time'"):
        parse_trtexec_output("[I] hello\n")
    with pytest.raises(MeasurementError, match="Building engine failed"):
        parse_trtexec_output("&&&& RUNNING TensorRT.trtexec [TensorRT v8601]\n[E] Building engine failed\n"
                             "&&&& FAILED TensorRT.trtexec [TensorRT v8601]\n")


def test_parse_trtexec_units_and_banner_version():
    text = ("&&&& RUNNING TensorRT.trtexec [TensorRT v8601] # trtexec\n"
            "[I] GPU Compute Time: min = 450 us, max = 0.6 ms, mean = 0.5 ms, median = 0.48 ms\n"
            "&&&& PASSED TensorRT.trtexec [TensorRT v8601]\n")
    res = parse_trtexec_output(text)
    assert res.trt_version == "8.6.1" and res.gpu_compute["min"] == pytest.approx(0.45)
    assert "p90" not in res.gpu_compute and res.n_estimated is None


def test_parse_trtexec_times():
    times = [{"startComputeMs": 1.0, "endComputeMs": 1.5, "computeMs": 0.5}, {"startComputeMs": 2.0, "endComputeMs": 2.4}]
    assert parse_trtexec_times(json.dumps(times)) == pytest.approx([0.5, 0.4])
    for bad in ("{", "{}", "[]", "[1]", '[{"latencyMs": 1}]'):
        with pytest.raises(MeasurementError):
            parse_trtexec_times(bad)


def test_record_from_trtexec_summary_and_times(tiny_specs):
    res = parse_trtexec_output((FIX / "trtexec_gpunet0_a100.txt").read_text())
    b = get_backend("synthetic")
    rec = record_from_trtexec(b, tiny_specs[0], res, None, time.time())
    assert rec.median_ms == pytest.approx(0.461914) and rec.p90_ms == pytest.approx(0.466919)
    assert math.isnan(rec.iqr_ms) and rec.cv == pytest.approx(0.0183247) and rec.n == 6234 and rec.stop == "external"
    rec2 = record_from_trtexec(b, tiny_specs[0], res, [0.46, 0.47, 0.45, 0.50], time.time())
    assert rec2.n == 4 and rec2.iqr_ms > 0 and rec2.median_ms == pytest.approx(0.461914)


def _fake_trtexec(tmp_path: Path) -> Path:
    """A stand-in ``trtexec`` that prints the fixture and writes --exportTimes like the real tool."""
    script = tmp_path / "trtexec"
    script.write_text(
        "#!/bin/sh\n"
        f"cat '{FIX / 'trtexec_gpunet0_a100.txt'}'\n"
        "for a in \"$@\"; do case \"$a\" in --exportTimes=*) f=\"${a#--exportTimes=}\";\n"
        "  printf '[{\"computeMs\":0.46},{\"computeMs\":0.47},{\"computeMs\":0.45}]' > \"$f\";; esac; done\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_tensorrt_trtexec_mode_end_to_end(tmp_path, tiny_specs):
    pytest.importorskip("torch")
    b = TensorRT(mode="trtexec", trtexec=str(_fake_trtexec(tmp_path)), precision="fp16",
                 timing_cache=str(tmp_path / "tc.cache"))
    cmd = b.trtexec_command(Path("m.onnx"), Path("t.json"), tmp_path / "tc.cache")
    assert "--fp16" in cmd and "--memPoolSize=workspace:10240" in cmd and "--exportTimes=t.json" in cmd
    assert f"--timingCacheFile={tmp_path / 'tc.cache'}" in cmd
    rec = b.measure(tiny_specs[1])
    assert rec.backend == "tensorrt" and rec.device == "NVIDIA A100-SXM4-80GB" and rec.precision == "fp16"
    assert dict(rec.versions)["tensorrt"] == "10.3.0" and rec.median_ms == pytest.approx(0.461914)
    assert rec.n == 3 and rec.threads == 0 and rec.arch_hash == tiny_specs[1].hash


@pytest.mark.trt
@pytest.mark.gpu
def test_tensorrt_python_api_measures(tiny_specs):
    pytest.importorskip("tensorrt", reason="TensorRT Python package not installed")
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("TensorRT needs a CUDA GPU; none visible")
    rec = measure_latency(tiny_specs[0], backend="tensorrt", mode="python", repeats=50)
    assert rec.backend == "tensorrt" and rec.n == 50 and rec.median_ms > 0 and rec.precision == "fp16"


# -- backends --------------------------------------------------------------------------------------
def test_backend_registry_errors():
    with pytest.raises(ConfigError, match="unknown latency backend 'nope'.*onnxruntime-cpu"):
        get_backend("nope")
    with pytest.raises(ConfigError, match="threads"):
        get_backend("onnxruntime-cpu", threads=0)
    with pytest.raises(ConfigError, match="precision"):
        get_backend("onnxruntime-cpu", precision="fp16")
    with pytest.raises(ConfigError, match="clock='thread' needs threads=1"):
        get_backend("onnxruntime-cpu", threads=2, clock="thread")
    assert dict(get_backend("onnxruntime-cpu", threads=2).environment().settings)["clock"] == "wall"


def test_gpu_backends_unavailable_without_a_gpu(monkeypatch):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(BackendUnavailable, match="needs an NVIDIA GPU.*onnxruntime-cpu"):
        get_backend("torch-cuda")
    monkeypatch.setenv("PATH", "/nonexistent")
    try:
        import tensorrt  # noqa: F401
    except ImportError:
        with pytest.raises(BackendUnavailable, match="pip install tensorrt"):
            get_backend("tensorrt")


@pytest.mark.gpu
def test_torch_cuda_measures(tiny_specs):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU visible")
    rec = measure_latency(tiny_specs[0], backend="torch-cuda", repeats=30)
    assert rec.precision == "fp16" and rec.n == 30 and rec.median_ms > 0 and "cuda" in dict(rec.versions)


def test_onnxruntime_measure_and_cache(tiny_specs, tmp_path):
    spec = tiny_specs[2]
    rec = measure_latency(spec, repeats=20, cache=tmp_path / "c.sqlite")
    env = dict(rec.settings)
    assert rec.n == 20 and rec.stop == "fixed" and rec.threads == 1 and env["clock"] == "thread"
    assert rec.backend == "onnxruntime-cpu" and rec.arch_hash == spec.hash and rec.resolution == spec.resolution
    assert 0 < rec.min_ms <= rec.median_ms <= rec.p90_ms and rec.iqr_ms >= 0
    t = time.perf_counter()
    again = measure_latency(spec, repeats=20, cache=tmp_path / "c.sqlite")
    assert again == rec and time.perf_counter() - t < 0.5  # a cache hit: no export, no timing


def test_adaptive_onnxruntime_measurement(tiny_specs):
    rec = measure_latency(tiny_specs[3], policy=TimingPolicy(min_repeats=20, block=10, time_cap_s=3))
    assert rec.stop in ("stable", "time_cap") and rec.n >= 20 and rec.cv >= 0


def test_torch_cpu_backend(tiny_specs):
    rec = measure_latency(tiny_specs[0], backend="torch-cpu", repeats=5)
    assert rec.backend == "torch-cpu" and rec.n == 5 and rec.median_ms > 0


def test_invalid_architecture_before_export():
    # 8 px input, then unpadded stride-2 fused blocks (NVIDIA's builder): 8 -> 4 -> 1 -> 0
    spec = ArchSpec.from_arch_string("r8i3:H_o8|F_k3_s2_e2_o8_ar_se0_t1|F_k3_s2_e2_o8_ar_se0_t2|T_o8_n2")
    with pytest.raises(InvalidArchitecture, match="vanishes"):
        measure_latency(spec, backend="synthetic")
    with pytest.raises(InvalidArchitecture):
        measure_latency("not-an-arch-string")


# -- predictor -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def synthetic_table():
    specs = get_space("tiny").sample(np.random.default_rng(5), 160)
    b = get_backend("synthetic")
    return specs, np.array([measure_latency(s, backend=b).median_ms for s in specs])


def test_features_are_fixed_length_for_any_spec():
    names = feature_names()
    for path in sorted(REF.glob("GPUNet-*.json")) or []:
        from gpunet_ray.search_space.spec import load_arch_file

        f = arch_features(load_arch_file(path))
        assert f.shape == (len(names),) and np.all(np.isfinite(f))
    f = arch_features(get_space("tiny").sample(np.random.default_rng(0), 1)[0])
    assert f.shape == (len(names),) and f[names.index("resolution")] in get_space("tiny").resolutions


def test_predictor_ranks_held_out_architectures(synthetic_table):
    specs, y = synthetic_table
    res = LatencyPredictor.holdout_eval(specs, y, test_frac=0.25, seed=0)
    assert res["n_test"] == 40 and res["kendall_tau"] >= 0.9 and res["mape"] < 0.1


def test_predictor_save_load_json(synthetic_table, tmp_path):
    specs, y = synthetic_table
    p = LatencyPredictor(backend="synthetic").fit(specs[:100], y[:100])
    path = p.save(tmp_path / "pred.json")
    d = json.loads(path.read_text())  # plain JSON: no pickle anywhere
    assert d["format"] == "gpunet_ray.latency_predictor" and len(d["X"]) == 100
    q = LatencyPredictor.load(path)
    np.testing.assert_allclose(q.predict(specs[100:]), p.predict(specs[100:]), rtol=1e-9)
    assert q.meta == {"backend": "synthetic"}
    ev = q.evaluate(specs[100:], y[100:])
    assert ev["n"] == 60 and ev["kendall_tau"] > 0.85


def test_predictor_errors(tmp_path, synthetic_table):
    specs, y = synthetic_table
    with pytest.raises(ConfigError, match="not fitted"):
        LatencyPredictor().predict(specs[:2])
    with pytest.raises(ConfigError, match="unknown predictor model"):
        LatencyPredictor(model="mlp")
    with pytest.raises(ConfigError, match="at least 5"):
        LatencyPredictor().fit(specs[:3], y[:3])
    with pytest.raises(ConfigError, match="positive"):
        LatencyPredictor().fit(specs[:10], -y[:10])
    bad = tmp_path / "x.json"
    bad.write_text('{"format": "something-else"}')
    with pytest.raises(ConfigError, match="not a latency predictor file"):
        LatencyPredictor.load(bad)
    bad.write_bytes(b"\x80\x04\x95pickle")
    with pytest.raises(ConfigError, match="not valid JSON"):
        LatencyPredictor.load(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        LatencyPredictor.load(tmp_path / "missing.json")
