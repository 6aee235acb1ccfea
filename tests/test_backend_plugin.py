"""A user's own latency backend, found by import path, by register_backend or by entry point:
in this process, from the latency CLI, and inside LatencyService's Ray actors (another process)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import gpunet_ray.latency.backends as backends
from gpunet_ray.errors import ConfigError
from gpunet_ray.latency import (
    ENTRY_POINT_GROUP,
    Backend,
    TimingPolicy,
    backend_class,
    backend_help,
    get_backend,
    list_backends,
    measure_latency,
    register_backend,
)
from gpunet_ray.search_space import get_space

from toy_latency_backend import ToyBackend

TESTS = Path(__file__).resolve().parent
PATH = "toy_latency_backend:ToyBackend"
FIXED = TimingPolicy(warmup=0, warmup_s=0, repeats=5)

pytestmark = pytest.mark.timeout(180)


def _entry_point_dist(root: Path) -> Path:
    """A fake installed distribution under ``root`` declaring ``toy-ep`` in the backend group."""
    info = root / "toy_latency_plugin-0.1.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-latency-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\ntoy-ep = {PATH}\n")
    return root


@pytest.fixture
def registry(monkeypatch):
    """register_backend() calls of a test end with it."""
    monkeypatch.setattr(backends, "_REGISTRY", dict(backends._REGISTRY))


@pytest.fixture(scope="module")
def spec():
    return get_space("tiny").sample(np.random.default_rng(1), 1)[0]


# -- in this process (no Ray) ----------------------------------------------------------------------
def test_import_path_resolves_and_measures(spec):
    assert backend_class(PATH) is ToyBackend
    rec = measure_latency(spec, backend=PATH, policy=FIXED)
    assert rec.backend == "toy" and rec.n == 5 and rec.stop == "fixed"
    assert rec.median_ms == pytest.approx(1.0 + 0.1 * len(spec.layers))
    assert rec.device == f"toy-pid-{os.getpid()}"


@pytest.mark.parametrize("path, needle", [
    ("no_such_module_xyz:Backend", "no module named 'no_such_module_xyz'"),
    ("toy_latency_backend:Missing", "has no 'Missing'"),
    ("toy_latency_backend:NotABackend", "must subclass"),
    ("toy_latency_backend:", "package.module:name"),
    ("toy-nope", "unknown latency backend 'toy-nope'"),
])
def test_bad_backend_names_are_config_errors(path, needle):
    with pytest.raises(ConfigError, match=needle):
        get_backend(path)


def test_register_backend_records_the_import_path(registry):
    register_backend("toy", ToyBackend)
    assert "toy" in list_backends() and "toy" in backend_help()
    assert isinstance(get_backend("toy", base_ms=2.0), ToyBackend)
    assert backends.backend_ref("toy") == PATH           # what an actor is handed
    assert backends.backend_ref("synthetic") == "synthetic"
    assert backends.backend_ref(PATH) == PATH

    class Local(ToyBackend):  # no import path: handed over pickled
        pass

    register_backend("local", Local)
    assert backends.backend_ref("local") is Local
    ready = Local()
    assert backends.backend_ref(ready) is ready and backend_class(ready) is Local
    with pytest.raises(ConfigError, match="must subclass"):
        register_backend("bad", dict)
    with pytest.raises(ConfigError, match="without ':'"):
        register_backend("a:b", ToyBackend)


def test_entry_point_backend(monkeypatch, tmp_path, spec):
    assert "toy-ep" not in list_backends()
    monkeypatch.syspath_prepend(str(_entry_point_dist(tmp_path)))
    assert "toy-ep" in list_backends() and "toy-ep" in backend_help()
    assert backend_class("toy-ep") is ToyBackend
    assert measure_latency(spec, backend="toy-ep", policy=FIXED).backend == "toy"


def test_builtin_requires_gpu_flags():
    assert {n for n in ("onnxruntime-cpu", "torch-cpu", "torch-cuda", "tensorrt", "synthetic")
            if backend_class(n).requires_gpu} == {"torch-cuda", "tensorrt"}
    assert Backend.requires_gpu is False and ToyBackend.requires_gpu is False


# -- the latency CLI ---------------------------------------------------------------------------------
def test_cli_measures_with_an_import_path(capsys, tmp_path, spec):
    import json

    from gpunet_ray.cli import run_cli
    from gpunet_ray.latency.__main__ import PROG, main

    arch = tmp_path / "a.json"
    arch.write_text(spec.dumps())
    rc = run_cli(main, ["measure", str(arch), "--backend", PATH, "--repeats", "3", "--json"], prog=PROG)
    out, err = capsys.readouterr()
    assert rc == 0, err
    rec = json.loads(out)
    assert rec["backend"] == "toy" and rec["n"] == 3


# -- inside LatencyService actors (other processes) -------------------------------------------------
@pytest.fixture(scope="module")
def plugin_ray(tmp_path_factory):
    """Local Ray whose workers can import tests/toy_latency_backend.py and see the fake entry point
    (PYTHONPATH is inherited by the raylet and its workers from this process at ray.init)."""
    ray = pytest.importorskip("ray")
    ep_root = _entry_point_dist(tmp_path_factory.mktemp("ep"))
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(ep_root)] + ([old] if old else []))
    if ray.is_initialized():  # workers started earlier would not have the PYTHONPATH
        ray.shutdown()
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old
    yield ep_root
    ray.shutdown()


@pytest.mark.ray
@pytest.mark.parametrize("how", ["path", "registered", "entry_point"])
def test_actor_measures_a_user_backend(plugin_ray, monkeypatch, registry, spec, how):
    from gpunet_ray.latency import LatencyService

    name = {"path": PATH, "registered": "toy-registered", "entry_point": "toy-ep"}[how]
    if how == "registered":
        register_backend(name, ToyBackend)
    if how == "entry_point":
        monkeypatch.syspath_prepend(str(plugin_ray))
    with LatencyService(backend=name, policy=FIXED, backend_options={"base_ms": 2.0}) as svc:
        rec = svc.measure(spec, timeout=60)
    assert rec.backend == "toy" and rec.n == 5
    assert rec.median_ms == pytest.approx(2.0 + 0.1 * len(spec.layers))
    pid = int(rec.device.rsplit("-", 1)[1])
    assert pid != os.getpid()  # measured in the actor's process
