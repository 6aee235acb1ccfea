"""LatencyService on a local Ray instance: dedup, cache, errors, timeout, a killed actor."""

from __future__ import annotations

import time

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from gpunet_ray.errors import BackendUnavailable, ConfigError  # noqa: E402
from gpunet_ray.latency import (  # noqa: E402
    LatencyRecord,
    LatencyService,
    MeasurementError,
    MeasurementTimeout,
    measure_latency,
)
from gpunet_ray.search_space import get_space  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.timeout(180)]


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def specs():
    return get_space("tiny").sample(np.random.default_rng(7), 6)


def _wait(pred, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return False


def test_measure_dedup_and_cache(specs, tmp_path):
    db = tmp_path / "lat.sqlite"
    with LatencyService(backend="synthetic", cache_path=db, backend_options={"delay_s": 0.2}) as svc:
        a, b = specs[0], specs[1]
        futs = svc.submit([a, a, b])
        assert futs[0] is futs[1]
        recs = [f.result(timeout=30) for f in futs]
        expected = measure_latency(a, backend="synthetic")
        assert recs[0].median_ms == pytest.approx(expected.median_ms)
        assert recs[0].fingerprint == expected.fingerprint
        st = svc.stats()
        assert st["dedup_hits"] == 1 and st["completed"] == 2 and st["queue_depth"] == 0
        assert st["throughput_per_s"] > 0 and st["num_actors"] == 1
        t = time.perf_counter()
        again = svc.measure(a, timeout=5)
        assert time.perf_counter() - t < 0.1  # from the cache, no actor round trip
        assert again == recs[0]
        assert svc.stats()["cache_hits"] == 1 and svc.stats()["completed"] == 2
    # the cache survives the service (a restart answers from disk)
    with LatencyService(backend="synthetic", cache_path=db) as svc2:
        assert svc2.measure(b, timeout=5) == recs[2]
        assert svc2.stats()["completed"] == 0


def test_errors_propagate_per_request(specs):
    bad = specs[2]
    with LatencyService(backend="synthetic", backend_options={"fail_on": [bad.hash]}) as svc:
        f_bad, f_ok = svc.submit([bad, specs[3]])
        with pytest.raises(MeasurementError, match="synthetic failure"):
            f_bad.result(timeout=30)
        assert isinstance(f_ok.result(timeout=30), LatencyRecord)
        assert svc.stats()["failed"] == 1


def test_killed_actor_request_is_retried(specs):
    with LatencyService(backend="synthetic", num_actors=2, backend_options={"delay_s": 1.5}) as svc:
        futs = svc.submit(specs[:4])
        assert _wait(lambda: svc.stats()["in_flight"] == 2)
        ray.kill(svc.actors()[0], no_restart=True)
        recs = [f.result(timeout=60) for f in futs]
        assert [r.arch_hash for r in recs] == [s.hash for s in specs[:4]]
        st = svc.stats()
        assert st["retries"] >= 1 and st["actor_restarts"] >= 1 and st["failed"] == 0
        assert _wait(lambda: svc.stats()["num_actors"] == 2)


def test_timeout_replaces_actor(specs):
    with LatencyService(backend="synthetic", timeout_s=0.5, backend_options={"delay_s": 20}) as svc:
        t = time.monotonic()
        with pytest.raises(MeasurementTimeout, match="more than 0.5 s"):
            svc.measure(specs[4], timeout=30)
        assert time.monotonic() - t < 10
        st = svc.stats()
        assert st["timeouts"] == 1 and st["actor_restarts"] == 1


def test_startup_errors_are_typed():
    with pytest.raises(ConfigError, match="latency_gpu"):
        LatencyService(backend="synthetic", resource="latency_gpu")
    with pytest.raises(ConfigError, match="num_actors"):
        LatencyService(backend="synthetic", num_actors=0)


def test_missing_backend_dependency_raises_at_construction():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the missing-device path cannot be exercised")
    with pytest.raises(BackendUnavailable, match="onnxruntime-cpu"):
        LatencyService(backend="torch-cuda", num_gpus=0)


def test_onnxruntime_actor_measures(specs):
    with LatencyService(backend="onnxruntime-cpu", threads=1) as svc:
        rec = svc.measure(specs[5], timeout=120)
    assert rec.backend == "onnxruntime-cpu" and rec.threads == 1 and rec.n >= 5 and rec.median_ms > 0
