"""The training loop and the trial core without Ray: learning, checkpoints/resume, failures as results."""

from __future__ import annotations

import gc
import json
import math

import pytest
import torch

from gpunet_ray.errors import ConfigError, DatasetError, InvalidArchitecture, OutOfMemory, TrainingDiverged

REPORT_KEYS = {"top1", "top5", "loss", "images_per_s", "epoch", "feasible", "reason"}


pytestmark = pytest.mark.usefixtures("one_thread")


def _small_spec():
    from gpunet_ray.search_space import get_space

    space = get_space("tiny")
    return space.from_config({d.name: d.choices[0] for d in space.all_dims})


def _collector():
    reports = []

    def report(metrics, ckpt):
        reports.append((dict(metrics), ckpt))

    return reports, report


def _live_gpunets() -> int:
    from gpunet_ray.search_space.builder import GPUNet

    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is GPUNet)


# -- learning -------------------------------------------------------------------------------------
@pytest.mark.timeout(240)
def test_one_epoch_trial_learns_and_checkpoints(demo_dir, tmp_path):
    from gpunet_ray.trainables import load_checkpoint, run_candidate

    spec = _small_spec()
    assert spec.resolution == 64
    config = {"arch": spec.arch_string, "data_dir": str(demo_dir), "loader": "auto",
              "recipe": {"epochs": 1, "batch_size": 64, "lr": 0.1, "crop_scale": [0.25, 1.0], "hflip": False}}
    reports, report = _collector()
    last = run_candidate(config, report, checkpoint_dir=tmp_path / "ck")
    assert len(reports) == 1
    m, ckpt = reports[0]
    assert REPORT_KEYS <= set(m) and m == last
    assert m["epoch"] == 1 and m["feasible"] is True and m["reason"] == ""
    # 62 steps on 4,000 digits: far above the 10 % of chance
    assert m["top1"] > 50, m
    assert m["top1"] <= m["top5"] <= 100
    assert math.isfinite(m["loss"]) and m["images_per_s"] > 0
    state = load_checkpoint(ckpt)
    assert state["epoch"] == 1 and state["arch_hash"] == spec.with_num_classes(10).hash
    assert json.loads((ckpt / "arch.json").read_text())[-1]["num_classes"] == 10


# -- checkpoint / resume --------------------------------------------------------------------------
class _Crash(Exception):
    pass


@pytest.mark.timeout(240)
def test_resume_continues_at_next_epoch_and_matches_an_uninterrupted_run(demo_dir, tmp_path):
    from gpunet_ray.trainables import train

    spec = _small_spec()
    recipe = dict(epochs=2, batch_size=32, lr=0.1, limit_train_batches=6, limit_val_batches=3, ema_decay=0.9)
    kw = dict(loader="torchvision", loader_threads=0, device="cpu")  # bit-reproducible on one thread

    straight, rep = _collector()
    train(spec, demo_dir, recipe, report=rep, checkpoint_dir=tmp_path / "a", **kw)
    assert [m["epoch"] for m, _ in straight] == [1, 2]

    interrupted, rep_b = _collector()

    def crash_after_first(metrics, ckpt):
        rep_b(metrics, ckpt)
        raise _Crash  # the process "dies" after epoch 1's checkpoint

    with pytest.raises(_Crash):
        train(spec, demo_dir, recipe, report=crash_after_first, checkpoint_dir=tmp_path / "b", **kw)
    resumed, rep_c = _collector()
    res = train(spec, demo_dir, recipe, report=rep_c, checkpoint_dir=tmp_path / "b", **kw)
    assert [m["epoch"] for m, _ in resumed] == [2]  # continued, did not start over
    assert resumed[0][0]["resumed_from"] == 1
    a2, b2 = straight[1][0], resumed[0][0]
    assert b2["loss"] == pytest.approx(a2["loss"], rel=1e-5)
    assert b2["top1"] == pytest.approx(a2["top1"], abs=1e-9)
    assert [h["epoch"] for h in res.history] == [1, 2]
    # a finished run resumed again trains nothing: it reports the final result once more (the
    # driver that died before seeing it needs it) and returns the last metrics
    again, rep_d = _collector()
    res2 = train(spec, demo_dir, recipe, report=rep_d, checkpoint_dir=tmp_path / "b", **kw)
    assert [m["epoch"] for m, _ in again] == [2] and again[0][0]["top1"] == b2["top1"]
    assert again[0][0]["resumed_from"] == 2 and again[0][1] is None  # no new checkpoint written
    assert res2.metrics["epoch"] == 2 and [h["epoch"] for h in res2.history] == [1, 2]


def test_resume_refuses_another_architecture(demo_dir, tmp_path):
    from gpunet_ray.trainables import train

    spec = _small_spec()
    recipe = dict(epochs=1, batch_size=32, limit_train_batches=1, limit_val_batches=1)
    train(spec, demo_dir, recipe, checkpoint_dir=tmp_path, loader="torchvision", loader_threads=0)
    with pytest.raises(ConfigError, match="different|not"):
        train(spec.with_resolution(80), demo_dir, {**recipe, "epochs": 2}, checkpoint_dir=tmp_path,
              loader="torchvision", loader_threads=0)


# -- failures are results -------------------------------------------------------------------------
_FAST = dict(epochs=1, batch_size=32, limit_train_batches=8, limit_val_batches=1)


@pytest.mark.parametrize(
    "overrides, reason",
    [
        ({"recipe": {**_FAST, "lr": 1e5, "warmup_epochs": 0}}, "training_diverged"),
        ({"recipe": _FAST, "_oom": True}, "out_of_memory"),
        ({"recipe": _FAST, "arch": "r64i3:C_k4_s2_o8_ar_t0|T_o256_n10"}, "invalid_architecture"),
        ({"recipe": _FAST, "arch": [{"layer_type": "data", "img_resolution": 64},
                                    {"layer_type": "conv", "num_in_channels": 3, "num_out_channels": 8,
                                     "stride": 2, "kernel_size": 3, "act": "relu"},
                                    {"layer_type": "tail", "num_in_channels": 16, "num_out_channels": 64,
                                     "num_classes": 10}]}, "invalid_architecture"),
        ({"recipe": _FAST, "space": "tiny", "arch": "r64i3:C_k3_s2_o8_ar_t0|T_o256_n10"}, "invalid_architecture"),
    ],
    ids=["nan-by-huge-lr", "oom-simulated", "bad-kernel", "channels-do-not-chain", "outside-space"],
)
@pytest.mark.timeout(120)
def test_failures_are_reported_once_as_infeasible(demo_dir, overrides, reason):
    from gpunet_ray.trainables import run_candidate

    before = _live_gpunets()
    if overrides.pop("_oom", False):
        from fault_trainable import simulate_oom  # tests/: the product has no test hooks

        simulate_oom()
    config = {"arch": _small_spec().arch_string, "data_dir": str(demo_dir), "loader": "torchvision",
              "loader_threads": 0, **overrides}
    reports, report = _collector()
    result = run_candidate(config, report)
    assert len(reports) == 1
    m, ckpt = reports[0]
    assert ckpt is None and m == result
    assert REPORT_KEYS <= set(m)
    assert m["feasible"] is False and m["reason"] == reason and m["error"]
    assert math.isnan(m["top1"]) and math.isnan(m["top5"])
    assert m["epoch"] == 1
    assert _live_gpunets() == before  # model, optimiser and loaders were released


def test_core_raises_typed_errors(demo_dir, tmp_path):
    from gpunet_ray.trainables import train

    spec = _small_spec()
    with pytest.raises(TrainingDiverged, match="lower the learning rate"):
        train(spec, demo_dir, {**_FAST, "lr": 1e5, "warmup_epochs": 0}, loader="torchvision", loader_threads=0)
    from fault_trainable import simulate_oom

    simulate_oom()
    with pytest.raises(OutOfMemory, match="simulated"):
        train(spec, demo_dir, _FAST, loader="torchvision", loader_threads=0)
    with pytest.raises(InvalidArchitecture):
        train("r64i3:garbage", demo_dir, _FAST)
    # dataset problems are not the candidate's: raised before anything is built
    with pytest.raises(DatasetError, match="does not exist"):
        train(spec, tmp_path / "missing", _FAST)
    from gpunet_ray.trainables import run_candidate

    with pytest.raises(DatasetError):
        run_candidate({"arch": spec.arch_string, "data_dir": str(tmp_path / "missing")}, lambda m, c: None)
    with pytest.raises(DatasetError, match="data_dir"):
        run_candidate({"arch": spec.arch_string}, lambda m, c: None)


def test_check_trial_config(demo_dir, tmp_path):
    from gpunet_ray.trainables import check_trial_config

    info = check_trial_config({"data_dir": str(demo_dir), "recipe": {"epochs": 3}})
    assert info.num_classes == 10
    with pytest.raises(DatasetError):
        check_trial_config({"data_dir": str(tmp_path)})
    with pytest.raises(ConfigError, match="unknown field"):
        check_trial_config({"data_dir": str(demo_dir), "recipe": {"epoch": 3}})
    with pytest.raises(ConfigError, match="num_classes"):
        check_trial_config({"data_dir": str(demo_dir), "num_classes": 1000})


# -- config pieces --------------------------------------------------------------------------------
def test_spec_from_config_forms(tmp_path):
    from gpunet_ray.search_space import get_space
    from gpunet_ray.trainables import spec_from_config

    space = get_space("tiny")
    spec = _small_spec()
    choices = space.to_config(spec)
    (tmp_path / "a.json").write_text(spec.dumps())
    forms = [
        {"arch": spec.arch_string},
        {"arch": spec.to_gpunet_json()},
        {"arch": spec.dumps()},
        {"arch": str(tmp_path / "a.json")},
        {"arch": spec},
        {"arch": choices, "space": "tiny"},
        {"arch_vector": list(space.encode(spec)), "space": "tiny"},
        {**choices, "space": "tiny", "data_dir": "x", "recipe": {}},
    ]
    for cfg in forms:
        assert spec_from_config(cfg) == spec, cfg
    with pytest.raises(ConfigError, match="no architecture"):
        spec_from_config({"data_dir": "x"})
    with pytest.raises(ConfigError, match="space"):
        spec_from_config({"arch": choices})


def test_recipe_validation_and_presets():
    from gpunet_ray.trainables import Recipe

    r = Recipe()
    assert r.epochs <= 5 and r.ema_decay is None  # proxy: short
    long = Recipe.long()
    assert long.epochs >= 100 and long.ema_decay and long.optimizer == "rmsproptf" and long.drop_path_rate > 0
    assert Recipe.long(epochs=3).epochs == 3
    # lr=None: the optimiser's usual rate, linear in the batch size
    assert Recipe().peak_lr == pytest.approx(0.1) and Recipe(batch_size=256).peak_lr == pytest.approx(0.4)
    assert long.peak_lr == pytest.approx(0.016 * 192 / 256) and Recipe(lr=0.3).peak_lr == 0.3
    assert Recipe.from_dict(long.to_dict()) == long
    assert Recipe.from_dict({"crop_scale": [0.2, 1.0]}).crop_scale == (0.2, 1.0)
    with pytest.raises(Exception):
        r.epochs = 3  # frozen
    for bad in ({"epochs": 0}, {"lr": -1}, {"lr": float("nan")}, {"optimizer": "adamw"}, {"batch_size": 2.5},
                {"crop_scale": [0.9, 0.1]}, {"label_smoothing": 1.0}, {"ema_decay": 1.5}, {"hflip": "yes"},
                {"nope": 1}):
        with pytest.raises(ConfigError, match="recipe"):
            Recipe.from_dict(bad)


def test_lr_schedule_and_rmsproptf():
    from gpunet_ray.trainables import Recipe
    from gpunet_ray.trainables.optim import RMSpropTF, lr_at

    r = Recipe(epochs=10, lr=0.4, warmup_epochs=1, warmup_lr=0.0, min_lr=0.01)
    lrs = [lr_at(s, 100, r) for s in range(1000)]
    assert lrs[0] == 0.0 and lrs[50] == pytest.approx(0.2)
    assert max(lrs) == pytest.approx(0.4) and lrs.index(max(lrs)) == 100
    assert all(a >= b for a, b in zip(lrs[100:], lrs[101:]))  # cosine: non-increasing
    assert lrs[-1] == pytest.approx(0.01, abs=1e-4)
    # one RMSprop-TF step by hand: v = a*1 + (1-a)*g^2; buf = lr*g/sqrt(v+eps); p -= buf
    p = torch.nn.Parameter(torch.tensor([1.0]))
    opt = RMSpropTF([p], lr=0.1, alpha=0.9, eps=1e-3, momentum=0.9)
    p.grad = torch.tensor([2.0])
    opt.step()
    v = 0.9 + 0.1 * 4.0
    assert float(p.detach()) == pytest.approx(1.0 - 0.1 * 2.0 / math.sqrt(v + 1e-3))


def test_trial_resources_from_config():
    from gpunet_ray.trainables import trial_resources

    cpu = trial_resources({"cpus_per_trial": 1})
    assert cpu.bundles == [{"CPU": 1.0}]
    gpu = trial_resources({"cpus_per_trial": 8, "gpus_per_trial": 1})
    assert gpu.bundles == [{"CPU": 8.0, "GPU": 1.0, "accelerator_type:A100": 0.001}]
    h100 = trial_resources(cpus=4, gpus=1, accelerator_type="H100")
    assert h100.bundles == [{"CPU": 4.0, "GPU": 1.0, "accelerator_type:H100": 0.001}]
    anygpu = trial_resources({"gpus_per_trial": 1, "accelerator_type": None})
    assert anygpu.bundles == [{"CPU": 1.0, "GPU": 1.0}]

    class Cluster:  # an attribute-style config object works too
        cpus_per_trial = 2
        gpus_per_trial = 0

    assert trial_resources(Cluster()).bundles == [{"CPU": 2.0}]
    for bad in ({"cpus_per_trial": -1}, {"cpus_per_trial": 0, "gpus_per_trial": 0}, {"gpus_per_trial": "one"}):
        with pytest.raises(ConfigError):
            trial_resources(bad)


# -- final training: long recipe, EMA, distillation -----------------------------------------------
@pytest.mark.timeout(180)
def test_final_train_with_ema_and_distillation(demo_dir, tmp_path):
    from gpunet_ray.search_space.builder import build_model
    from gpunet_ray.trainables import Recipe, final_train, load_teacher, resolve_teacher

    spec = _small_spec()
    small = dict(batch_size=32, limit_train_batches=4, limit_val_batches=2, warmup_epochs=0.5, ema_decay=0.9)
    kw = dict(loader="torchvision", loader_threads=0, device="cpu", report=lambda m, c: None)
    t = final_train(spec, demo_dir, tmp_path / "teacher", epochs=1, recipe=Recipe.long(**small), **kw)
    assert t["epoch"] == 1 and t["feasible"] is True
    # weights.pt is a plain state_dict: loads with weights_only into the saved architecture
    from gpunet_ray.search_space import load_arch_file

    sd = torch.load(t["weights"], weights_only=True)
    model = build_model(load_arch_file(t["arch_json"]))
    model.load_state_dict(sd)
    assert len(json.loads((tmp_path / "teacher" / "metrics.json").read_text())) == 1

    for form in (str(tmp_path / "teacher"), f"{t['arch_json']},{t['weights']}",
                 {"arch": t["arch_json"], "weights": t["weights"]}):
        arch, weights = resolve_teacher(form)
        assert load_teacher(arch, weights, num_classes=10).training is False
    s = final_train(spec, demo_dir, tmp_path / "student", epochs=2, teacher=str(tmp_path / "teacher"),
                    recipe=Recipe.long(**small, kd_alpha=0.7, kd_temperature=2.0), **kw)
    assert s["epoch"] == 2 and math.isfinite(s["loss"])

    # wrong weights for the architecture, or not a state_dict at all: one clear ConfigError
    other = spec.with_resolution(64)
    from gpunet_ray.search_space import get_space

    space = get_space("tiny")
    bigger = space.from_config({d.name: d.choices[-1] for d in space.all_dims}).with_num_classes(10)
    with pytest.raises(ConfigError, match="do not match"):
        load_teacher(bigger, t["weights"])
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(ConfigError, match="cannot read"):
        load_teacher(other, tmp_path / "junk.pt")
    with pytest.raises(ConfigError, match="epochs"):
        final_train(spec, demo_dir, tmp_path / "x", epochs=0, **kw)


# -- GPU-only paths -------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.timeout(300)
def test_gpu_training_amp_channels_last(demo_dir):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU: AMP, channels_last and the DALI GPU pipeline are GPU-only")
    from gpunet_ray.trainables import train

    res = train(_small_spec(), demo_dir, dict(epochs=1, batch_size=64, limit_train_batches=10, limit_val_batches=2),
                device="cuda")
    assert res.metrics["device"].startswith("cuda") and res.metrics["feasible"] is True
    assert next(res.model.parameters()).is_cuda


# -- the benchmark entry point (python -m gpunet_ray.bench training) ------------------------------
@pytest.mark.timeout(180)
def test_bench_training_smoke(tmp_path, capsys):
    from gpunet_ray.bench.training import main

    out = tmp_path / "bench.json"
    rc = main(["--data", str(tmp_path), "--sizes", "28", "--skip", "epoch", "--repeats", "1",
               "--max-images", "256", "--steps", "2", "--threads", "1", "--archs", "smallest,middle",
               "--resolution", "32", "--json", str(out)])
    assert rc == 0
    res = json.loads(out.read_text())
    assert {r["loader"] for r in res["pipeline"]} >= {"torchvision"}
    assert all(r["images_per_s"] > 0 for r in res["pipeline"] + res["step"])
    assert [r["arch"] for r in res["step"]] == ["smallest", "middle"]
    assert main(["--skip", "everything"]) == 2
    assert "--skip" in capsys.readouterr().err


@pytest.mark.timeout(180)
def test_bench_training_step_on_a_preset_uses_its_resolution_and_classes(tmp_path, capsys):
    from gpunet_ray.search_space.presets import PUBLISHED
    from gpunet_ray.bench.training import main

    out = tmp_path / "bench.json"
    rc = main(["--data", str(tmp_path), "--sizes", "28", "--skip", "pipeline,epoch", "--steps", "1",
               "--batch-size", "2", "--threads", "1", "--archs", "GPUNet-0", "--json", str(out)])
    assert rc == 0
    (row,) = json.loads(out.read_text())["step"]
    # GPUNet-0 trains at its own 320 px with its 1000-class head: exactly the published parameter count.
    assert row["arch"] == "gpunet-0" and row["resolution"] == 320 and row["precision"] == "fp32"
    assert row["params"] == PUBLISHED["gpunet-0"]["params"] and row["amp"] is False
    # AMP is a CUDA-only variant; asking for it on the CPU is bad input.
    assert main(["--skip", "pipeline,epoch", "--archs", "gpunet-0", "--precisions", "amp"]) == 2
    assert "--precisions" in capsys.readouterr().err
