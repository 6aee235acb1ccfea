"""The trainable under Ray Tune: ASHA on ``epoch``, tune.Checkpoint + resume, failures as results."""

from __future__ import annotations

import math
import os

import pytest


pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                 runtime_env={"env_vars": {"OMP_NUM_THREADS": "1"}})
    yield ray
    if started:
        ray.shutdown()


def _small_arch() -> str:
    from gpunet_ray.search_space import get_space

    space = get_space("tiny")
    return space.from_config({d.name: d.choices[0] for d in space.all_dims}).arch_string


@pytest.mark.timeout(300)
def test_tune_asha_checkpoint_resume_and_failures(ray_local, demo_dir, tmp_path, monkeypatch):
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    import fault_trainable  # tests/: faults are injected by a test-only wrapper
    from ray import cloudpickle

    from gpunet_ray.trainables import load_checkpoint, trial_resources

    cloudpickle.register_pickle_by_value(fault_trainable)  # the Ray workers need not import it

    monkeypatch.setenv("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "0")  # keep progress.csv: per-epoch history
    arch = _small_arch()

    def recipe(lr):
        # a short warm-up: with the default (longer than the run) epoch 1 of "good" can stay at
        # chance, tie with "bad" at ASHA's rung, and ASHA then keeps both
        return dict(lr=lr, epochs=2, batch_size=64, limit_train_batches=25, limit_val_batches=4,
                    crop_scale=[0.25, 1.0], hflip=False, warmup_epochs=0.2)

    marker = tmp_path / "crashed"
    cases = [
        # learns; crashes (a plain exception) once after epoch 1: Tune retries from the checkpoint
        dict(name="good", arch=arch, recipe=recipe(0.2), _fault="crash_once", _fault_marker=str(marker)),
        # learns nothing at this learning rate: ASHA stops it at the first rung
        dict(name="bad", arch=arch, recipe=recipe(1e-7)),
        dict(name="nan", arch=arch, recipe={**recipe(1e5), "warmup_epochs": 0}),
        dict(name="oom", arch=arch, recipe=recipe(0.1), _fault="oom"),
        dict(name="invalid", arch="r64i3:C_k4_s2_o8_ar_t0|T_o256_n10", recipe=recipe(0.1)),
    ]
    space = {"data_dir": str(demo_dir), "loader": "auto", "num_threads": 1, "loader_threads": 1,
             "case": tune.grid_search(list(range(len(cases))))}
    for key in ("name", "arch", "recipe", "_fault", "_fault_marker"):
        space[key] = tune.sample_from(lambda config, k=key: cases[config["case"]].get(k))
    tuner = tune.Tuner(
        tune.with_resources(fault_trainable.train_candidate, trial_resources({"cpus_per_trial": 1})),
        param_space=space,
        tune_config=tune.TuneConfig(
            metric="top1", mode="max", max_concurrent_trials=1,
            scheduler=ASHAScheduler(time_attr="epoch", max_t=2, grace_period=1, reduction_factor=2)),
        run_config=tune.RunConfig(storage_path=str(tmp_path / "tune"), name="exp", verbose=0,
                                  failure_config=tune.FailureConfig(max_failures=1)),
    )
    grid = tuner.fit()
    assert grid.num_errors == 0  # failures are results, the crash was retried
    by_name = {r.config["name"]: r for r in grid}
    assert set(by_name) == {c["name"] for c in cases}

    good = by_name["good"]
    assert marker.exists()  # it did crash once
    # The retry continued at epoch 2 from the epoch-1 checkpoint, not from scratch. (Whether the
    # epoch-1 row reaches progress.csv races with the crash, so only the last rows are checked.)
    hist = good.metrics_dataframe
    assert list(hist["epoch"])[-1] == 2 and list(hist["epoch"]).count(2) == 1
    assert good.metrics["epoch"] == 2 and good.metrics["resumed_from"] == 1
    for key in ("top1", "top5", "loss", "images_per_s", "epoch", "feasible", "reason"):
        assert key in good.metrics
    assert good.metrics["feasible"] is True and good.metrics["reason"] == ""
    assert 0 <= good.metrics["top1"] <= good.metrics["top5"] <= 100
    assert good.metrics["top1"] > 20  # chance is 10 %
    assert good.checkpoint is not None
    with good.checkpoint.as_directory() as d:
        assert load_checkpoint(d)["epoch"] == 2

    bad = by_name["bad"]
    assert list(bad.metrics_dataframe["epoch"]) == [1]  # stopped early by ASHA
    assert bad.metrics["feasible"] is True

    for name, reason in (("nan", "training_diverged"), ("oom", "out_of_memory"),
                         ("invalid", "invalid_architecture")):
        r = by_name[name]
        rows = r.metrics_dataframe
        assert len(rows) == 1, name  # reported once, then the trial ended normally
        assert r.metrics["feasible"] is False and r.metrics["reason"] == reason
        assert math.isnan(r.metrics["top1"])

    best = grid.get_best_result()  # NaN results of infeasible trials never win
    assert best.config["name"] == "good"
