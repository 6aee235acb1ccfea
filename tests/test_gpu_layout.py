"""One machine with several GPUs (no cluster): the latency GPU is never a trial's; one GPU is shared by turns.

The layout is a pure function (tested without Ray); the local Ray start is tested on Ray's simulated GPU
resources on CPU (``cluster.num_gpus``): Ray assigns GPU ids and sets ``CUDA_VISIBLE_DEVICES`` in each worker
from them, as on a real GPU box, and the latency actor and the trials must see disjoint ids.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from gpunet_ray.cluster import GPU_LOCK_ENV, LATENCY_RESOURCE, gpu_layout, gpu_turn
from gpunet_ray.config import load_config
from gpunet_ray.errors import ConfigError


def _cfg(backend="torch-cuda", gpus_per_trial=0, actors=1, resource=None, num_gpus=None, **train):
    return load_config(None, {"latency.backend": backend, "latency.actors": actors, "latency.resource": resource,
                              "train.gpus_per_trial": gpus_per_trial, "cluster.address": "local",
                              "cluster.num_gpus": num_gpus, **{f"train.{k}": v for k, v in train.items()}})


# -- the layout, without Ray ----------------------------------------------------------------------
def test_several_gpus_one_carries_the_latency_resource_the_rest_run_trials():
    lay = gpu_layout(4, _cfg(), latency_on_gpu=True)
    assert (lay.gpus, lay.resources, lay.latency_gpus, lay.trial_gpus, lay.exclusive) == \
        (4, {LATENCY_RESOURCE: 1}, 1, 1, False)
    cfg = lay.apply(_cfg())
    assert cfg.latency.resource == LATENCY_RESOURCE and cfg.latency.gpus == 1 and cfg.train.gpus_per_trial == 1
    assert "3 for trials" in lay.note
    # a named resource, two latency actors, half a GPU per trial: kept
    assert gpu_layout(4, cfg, latency_on_gpu=True) == lay  # applied again (--resume): the same layout
    two = gpu_layout(4, _cfg(actors=2, resource="lat_h100", gpus_per_trial=0.5), latency_on_gpu=True)
    assert two.resources == {"lat_h100": 2} and two.trial_gpus == 0.5
    with pytest.raises(ConfigError, match="latency.actors 2"):
        gpu_layout(2, _cfg(actors=2), latency_on_gpu=True)


def test_one_gpu_is_shared_by_turns_and_cpu_timing_leaves_every_gpu_to_trials():
    lay = gpu_layout(1, _cfg(gpus_per_trial=1), latency_on_gpu=True)
    assert lay.exclusive and lay.gpus == 1 and lay.resources == {LATENCY_RESOURCE: 1}
    assert lay.latency_gpus + lay.trial_gpus <= 1  # both fit on the one GPU; the lock keeps them apart
    cpu = gpu_layout(2, _cfg(backend="onnxruntime-cpu"), latency_on_gpu=False)
    assert (cpu.resources, cpu.latency_gpus, cpu.trial_gpus, cpu.exclusive) == ({}, None, 1, False)
    none = gpu_layout(0, _cfg(backend="onnxruntime-cpu"), latency_on_gpu=False)
    assert (none.gpus, none.resources, none.trial_gpus, none.note) == (0, {}, 0, "")
    assert none.apply(_cfg(backend="onnxruntime-cpu")) == _cfg(backend="onnxruntime-cpu")  # a CPU box: unchanged
    # a cluster config (latency.resource) run on a laptop: the local node offers the resource on CPU slots
    assert gpu_layout(0, _cfg(backend="onnxruntime-cpu", resource="latency_gpu"), False).resources == \
        {"latency_gpu": 1}


def test_gpu_turn_keeps_a_measurement_apart_from_training_steps(tmp_path):
    lock = str(tmp_path / "gpu.lock")
    events: list[str] = []
    with gpu_turn("trial") as held:
        assert held is False  # no lock configured: a no-op
    step_held = threading.Event()
    release_step = threading.Event()

    def trial_step(name, hold=None):
        with gpu_turn("trial", lock):
            events.append(f"{name} start")
            if hold is not None:
                step_held.set()
                hold.wait(5)
            events.append(f"{name} end")

    def measure():
        with gpu_turn("latency", lock):
            events.append("measure start")
            time.sleep(0.2)
            events.append("measure end")

    t1 = threading.Thread(target=trial_step, args=("step1", release_step))
    t1.start()
    assert step_held.wait(5)
    tm = threading.Thread(target=measure)
    tm.start()
    time.sleep(0.2)
    t2 = threading.Thread(target=trial_step, args=("step2",))  # arrives while the measurement waits
    t2.start()
    time.sleep(0.2)
    assert events == ["step1 start"]  # the measurement waits for step 1; step 2 waits behind the measurement
    release_step.set()
    for t in (t1, tm, t2):
        t.join(10)
    assert events == ["step1 start", "step1 end", "measure start", "measure end", "step2 start", "step2 end"]
    with pytest.raises(ValueError):
        with gpu_turn("driver", lock):
            pass


# -- the local Ray on simulated GPUs --------------------------------------------------------------
def _start_and_place(cfg, n_trials):
    """Start the search's local Ray; place the latency actor and ``n_trials`` trials as the search does."""
    import ray
    from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

    from gpunet_ray.cluster import connect_search
    from gpunet_ray.latency import backend_class
    from gpunet_ray.latency._actor import actor_options
    from gpunet_ray.trainables import trial_resources

    cfg, started = connect_search(cfg, dashboard=False)
    assert started

    @ray.remote
    class Probe:  # defined here: pickled by value, the workers cannot import this test module
        def devices(self):
            import os

            import ray

            return {"cuda": os.environ.get("CUDA_VISIBLE_DEVICES"), "ids": [str(i) for i in ray.get_gpu_ids()],
                    "lock": os.environ.get("GPUNET_RAY_GPU_LOCK")}

    lat_opts = actor_options(backend_class(cfg.latency.backend), cfg.latency.threads, cfg.latency.gpus,
                             cfg.latency.resource)
    latency = Probe.options(**lat_opts).remote()
    lat = ray.get(latency.devices.remote(), timeout=120)
    pgf = trial_resources(cpus=cfg.train.cpus_per_trial, gpus=cfg.train.gpus_per_trial, accelerator_type=None)
    trials = []
    for _ in range(n_trials):  # as tune.with_resources(trainable, trial_resources(...)) places a trial
        pg = ray.util.placement_group(pgf.bundles)
        ray.get(pg.ready(), timeout=120)
        trials.append(Probe.options(num_cpus=cfg.train.cpus_per_trial, num_gpus=cfg.train.gpus_per_trial,
                                    scheduling_strategy=PlacementGroupSchedulingStrategy(pg)).remote())
    # the actors' handles go back too: an actor whose last handle is dropped is killed and its resources freed
    return cfg, lat, ray.get([t.devices.remote() for t in trials], timeout=120), [latency, *trials]


@pytest.mark.ray
@pytest.mark.timeout(300)
def test_four_simulated_gpus_latency_actor_and_trials_see_disjoint_devices():
    import ray

    try:
        cfg, lat, trials, _alive = _start_and_place(_cfg(num_gpus=4, cpus_per_trial=0.25), n_trials=3)
        assert ray.cluster_resources()["GPU"] == 4 and ray.cluster_resources()[LATENCY_RESOURCE] == 1
        assert lat["ids"] == [lat["cuda"]] and lat["lock"] is None  # one whole GPU, no lock needed
        got = [t["cuda"] for t in trials]
        assert all(t["ids"] == [t["cuda"]] for t in trials)
        assert sorted(got + [lat["cuda"]]) == ["0", "1", "2", "3"]  # disjoint: the latency GPU is no trial's
        # a fourth trial would wait, not take the latency GPU: its placement group stays pending while the
        # latency actor lives. (Before, the test dropped the actors' handles and then read
        # ray.available_resources(): the latency actor was being killed meanwhile, and on a loaded box its GPU
        # read free.)
        from gpunet_ray.trainables import trial_resources

        fourth = ray.util.placement_group(trial_resources(cpus=cfg.train.cpus_per_trial, gpus=cfg.train.gpus_per_trial,
                                                          accelerator_type=None).bundles)
        assert not fourth.wait(timeout_seconds=3)
        ray.util.remove_placement_group(fourth)
    finally:
        ray.shutdown()


@pytest.mark.ray
@pytest.mark.timeout(300)
def test_one_simulated_gpu_is_shared_under_the_lock():
    import ray

    try:
        cfg, lat, trials, _alive = _start_and_place(_cfg(num_gpus=1, gpus_per_trial=1, cpus_per_trial=0.25),
                                                    n_trials=1)
        assert lat["cuda"] == trials[0]["cuda"] == "0"  # the same device...
        assert lat["lock"] and lat["lock"] == trials[0]["lock"]  # ...taken by turns (gpu_turn)
        assert GPU_LOCK_ENV == "GPUNET_RAY_GPU_LOCK"  # the name Probe reads
        assert cfg.latency.gpus + cfg.train.gpus_per_trial <= 1
    finally:
        ray.shutdown()


def test_detect_gpus_prefers_the_config_and_respects_an_empty_device_list(monkeypatch):
    from gpunet_ray.cluster import detect_gpus

    assert detect_gpus(_cfg(num_gpus=3)) == 3
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert detect_gpus(_cfg()) == 0
    with pytest.raises(ConfigError, match="num_gpus"):
        _cfg(num_gpus=-1)
    with pytest.raises(ConfigError, match="latency.gpus"):
        replace(_cfg(), latency=replace(_cfg().latency, gpus=2)).validate()


@pytest.mark.timeout(300)
def test_training_steps_and_validation_batches_take_the_gpu_turn(tmp_path, monkeypatch):
    """The loop's side of the one-GPU lock, run on the CPU: every step and validation batch holds a trial turn
    (and synchronises before leaving it) while the lock is configured; a queued measurement goes in between."""
    import torch

    from gpunet_ray.data import check_dataset, make_demo
    from gpunet_ray.search_space import get_space
    from gpunet_ray.trainables import Recipe
    from gpunet_ray.trainables import run as run_mod

    data = make_demo(tmp_path / "digits", train_per_class=20, val_per_class=4)
    space = get_space("tiny")
    spec = space.from_config({d.name: d.choices[0] for d in space.all_dims}).with_num_classes(10)
    recipe = Recipe(epochs=1, batch_size=16, limit_train_batches=3)
    run = run_mod.TrainingRun(spec, check_dataset(data.root), recipe, torch.device("cpu"), "torchvision", 0, None)
    assert run.shared_gpu is False  # a CPU run never takes turns
    lock = str(tmp_path / "gpu.lock")
    monkeypatch.setenv(GPU_LOCK_ENV, lock)
    turns, syncs = [], []
    real_turn = run_mod.gpu_turn

    def counting_turn(role="trial", path=None):
        turns.append(role)
        return real_turn(role, path)

    monkeypatch.setattr(run_mod, "gpu_turn", counting_turn)
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: syncs.append(device))
    run.shared_gpu = True  # as on a CUDA device with GPU_LOCK_ENV set
    measured = threading.Event()

    def measure():
        with gpu_turn("latency", lock):
            measured.set()

    t = threading.Thread(target=measure)
    with gpu_turn("trial", lock):  # a step in flight: the measurement queues behind it
        t.start()
        time.sleep(0.2)
        assert not measured.is_set()
    t.join(10)
    assert measured.is_set()
    run.train_epoch(0)
    ev = run.evaluate()
    assert ev["val_images"] == 40 and ev["top1"] >= 0
    assert turns == ["trial"] * (3 + 3) and len(syncs) == 6  # 3 steps; 40 val images in batches of 16
    run.close()
