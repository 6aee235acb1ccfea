"""The training loop, usable without Ray: proxy trials (``train_candidate``) and final training.

``train(spec, data_dir, recipe, report=..., checkpoint_dir=...)`` builds the network for the
dataset's classes, trains it with ``recipe`` and calls ``report(metrics, checkpoint_dir)`` after
every epoch. Failures that say something about the *candidate* are raised as typed errors, so
callers can record them: :class:`~gpunet_ray.errors.TrainingDiverged` (non-finite loss),
:class:`~gpunet_ray.errors.OutOfMemory` (accelerator memory; the model, optimiser and loaders are
released before it is raised), :class:`~gpunet_ray.errors.InvalidArchitecture`,
:class:`~gpunet_ray.errors.TooLarge` (the network's parameters or training activation memory at
``recipe.batch_size``, computed from its statistics before anything is built, are above
``limits``; see :func:`gpunet_ray.search_space.stats.check_size`).
A bad dataset raises :class:`~gpunet_ray.errors.DatasetError` before anything is built.

Bad image files (see :mod:`gpunet_ray.trainables.dataset`): the files a run reads (its train / val subsets)
are inspected before the model is built; a bad one raises :class:`DatasetError` naming it, or,
with ``skip_bad=True``, is left out and counted. Images that fail to decode while training are
handled by the loader (:mod:`gpunet_ray.trainables.loaders`: torchvision drops and counts them
with ``skip_bad``; DALI raises :class:`DatasetError`).

Per-epoch metrics (``report``'s first argument):

* ``epoch`` -- epochs completed (1-based); ``top1``, ``top5`` -- validation accuracy in percent
  (0-100; top-5 is top-k with k = min(5, classes)); ``loss`` -- mean training loss of the epoch;
  ``val_loss`` -- validation cross-entropy; ``images_per_s`` -- training throughput of the epoch
  (images / wall second, data loading included); ``lr`` -- learning rate at the epoch's end;
  ``epoch_time_s``; ``feasible`` (True) and ``reason`` (``""``); ``loader``, ``device``,
  ``arch_hash``, ``params``, ``resumed_from`` (the checkpoint epoch this run started from;
  0 when fresh); ``train_images`` / ``val_images`` -- images trained on / scored this epoch
  (``top1`` and ``top5`` divide by ``val_images``); ``bad_images`` -- bad files left out of this
  run (``skip_bad``) plus images the loaders dropped this epoch, ``bad_val_images`` -- the part
  of them from the validation set (so a smaller denominator is never silent); ``kept_weights`` --
  ``"raw"``, or with EMA on (``recipe.ema_decay``) the better-scoring of ``"raw"`` and ``"ema"``:
  ``top1``, ``top5`` and ``val_loss`` are that model's, and ``top1_raw`` / ``top1_ema`` give both.

Layout: one run's state and epoch (:mod:`~gpunet_ray.trainables.run`), checkpoint files
(:mod:`~gpunet_ray.trainables.checkpoint`) and distillation teachers
(:mod:`~gpunet_ray.trainables.teacher`) live beside this module; their public names are
re-exported here.
"""

from __future__ import annotations

import gc
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import torch
from torch import nn

from gpunet_ray.errors import ConfigError, InvalidArchitecture, OutOfMemory
from gpunet_ray.search_space import ArchSpec, as_spec
from gpunet_ray.search_space.stats import check_size

from .checkpoint import (
    CHECKPOINT_FILE,
    WEIGHTS_FILE,
    load_checkpoint,
    save_atomic,
    save_checkpoint,
    write_arch_json,
)
from .dataset import DatasetInfo, check_dataset
from .recipe import Recipe
from .run import TrainingRun
from .teacher import load_teacher, resolve_teacher

__all__ = [
    "train",
    "final_train",
    "final_recipe",
    "default_threads",
    "TrainResult",
    "as_spec",
    "load_teacher",
    "resolve_teacher",
    "load_checkpoint",
    "resolve_device",
    "CHECKPOINT_FILE",
    "WEIGHTS_FILE",
]

# The old name of TrainingRun: tests/fault_trainable.py patches ``loop._Run.train_epoch``.
_Run = TrainingRun
ReportFn = Callable[[dict, "Path | None"], None]


@dataclass
class TrainResult:
    """What :func:`train` returns: the last epoch's metrics, all epochs, and the trained model.

    ``model`` is the network whose accuracy was reported: with EMA on, the EMA copy or the raw
    weights, whichever scored the better top-1 in the last epoch (``metrics["kept_weights"]``).
    """

    metrics: dict
    history: list[dict] = field(default_factory=list)
    model: nn.Module | None = None


# -- inputs ---------------------------------------------------------------------------------------
def resolve_device(device: str | torch.device | None) -> torch.device:
    """``None``/``"auto"`` -> the current CUDA device if there is one, else the CPU."""
    if device is None or device == "auto":
        return torch.device("cuda", torch.cuda.current_device()) if torch.cuda.is_available() else torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ConfigError(f"unknown device {device!r}; use 'auto', 'cpu' or 'cuda[:N]'") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} requested but CUDA is not available; use 'cpu' or 'auto'")
    return dev


def _is_oom(exc: BaseException) -> bool:
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    msg = str(exc)
    return isinstance(exc, RuntimeError) and any(
        m in msg for m in ("out of memory", "CUDNN_STATUS_ALLOC_FAILED", "can't allocate memory")
    )


def _fit_spec(spec: Any, info: DatasetInfo, recipe: Recipe, limits: Any) -> ArchSpec:
    """``spec`` as trained on ``info``'s classes at the recipe's resolution, checked against ``limits``."""
    spec = as_spec(spec)
    if spec.num_classes is None:
        raise InvalidArchitecture("the architecture has no tail (classifier) layer")
    spec = spec.with_num_classes(info.num_classes)
    if recipe.resolution is not None and recipe.resolution != spec.resolution:
        spec = spec.with_resolution(recipe.resolution)
    check_size(spec, batch=recipe.batch_size, training=True, limits=limits,
               flags=("limits.max_params (trial config 'limits', or GPUNET_RAY_MAX_PARAMS)",
                      "limits.max_activation_gb (trial config 'limits', or GPUNET_RAY_MAX_ACTIVATION_GB)"))
    return spec


def _resume_state(resume_from: str | Path | Mapping[str, Any] | None, ckpt_dir: Path | None) -> dict | None:
    """The state to resume from: ``resume_from``, else a checkpoint already in ``ckpt_dir``, else None."""
    if resume_from is None and ckpt_dir is not None and (ckpt_dir / CHECKPOINT_FILE).is_file():
        resume_from = ckpt_dir
    if resume_from is None:
        return None
    return resume_from if isinstance(resume_from, Mapping) else load_checkpoint(resume_from)


# -- the loop -------------------------------------------------------------------------------------
def train(
    spec: Any,
    data_dir: str | Path,
    recipe: Recipe | Mapping[str, Any] | None = None,
    *,
    report: ReportFn | None = None,
    checkpoint_dir: str | Path | None = None,
    resume_from: str | Path | Mapping[str, Any] | None = None,
    loader: str = "auto",
    device: str | torch.device | None = "auto",
    num_threads: int | None = None,
    loader_threads: int = 2,
    teacher: nn.Module | None = None,
    limits: Any = None,
    skip_bad: bool = False,
) -> TrainResult:
    """Train ``spec`` on the ImageNet-layout folder ``data_dir``; see the module docstring.

    spec: ArchSpec, arch string, GPUNet JSON (list, string or file). Its classifier is resized to
    the dataset's classes and its resolution replaced by ``recipe.resolution`` when set.
    report: called as ``report(metrics, checkpoint_dir)`` after each epoch, once the epoch's
    checkpoint (if any) is written.
    checkpoint_dir: where ``state.pt`` (+ ``arch.json``) is written every epoch; if it already
    holds a checkpoint and ``resume_from`` is not given, training resumes from it.
    resume_from: a checkpoint folder/file, or a state dict from :func:`load_checkpoint`;
    training continues at the epoch after the checkpoint's.
    num_threads: ``torch.set_num_threads`` for this process (keep it small on shared CPUs).
    loader_threads: DALI threads / torchvision worker processes.
    teacher: a frozen model (see :func:`load_teacher`) for knowledge distillation
    (``recipe.kd_alpha``, ``recipe.kd_temperature``).
    limits: size limits (:class:`~gpunet_ray.search_space.stats.Limits` or a mapping with
    ``max_params`` / ``max_activation_gb``; default: ``default_limits()``), checked at
    ``recipe.batch_size`` before the model is built (:class:`TooLarge`).
    skip_bad: leave bad image files out (and count them) instead of raising :class:`DatasetError`.
    """
    recipe = Recipe.from_dict(recipe)
    info = check_dataset(data_dir, verify=False)  # the layout; the files this run reads are inspected in the run
    spec = _fit_spec(spec, info, recipe, limits)
    dev = resolve_device(device)
    if num_threads:
        torch.set_num_threads(int(num_threads))
    if teacher is not None:
        teacher = teacher.to(dev).eval()
    ckpt_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
    state = _resume_state(resume_from, ckpt_dir)

    run: TrainingRun | None = None
    try:
        run = TrainingRun(spec, info, recipe, dev, loader, loader_threads, teacher, skip_bad=skip_bad)
        if state is not None:
            run.load_state_dict(state)
        return _fit(run, ckpt_dir, report)
    except (torch.cuda.OutOfMemoryError, RuntimeError) as exc:
        if not _is_oom(exc):
            raise
        first = str(exc).splitlines()[0][:200]
    finally:
        if run is not None:
            run.close()  # drop model, optimiser, loaders whatever happened
    # Only an out-of-memory error gets here. The except block has ended, so the traceback's
    # frames (and the activations they hold) are gone: collect them before reporting.
    del run, teacher
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    raise OutOfMemory(
        f"out of memory training {spec.hash} at batch {recipe.batch_size}, resolution {spec.resolution}: {first}"
    )


def _fit(run: TrainingRun, ckpt_dir: Path | None, report: ReportFn | None) -> TrainResult:
    r = run.recipe
    metrics: dict = run.history[-1] if run.history else {}
    resumed_from = run.start_epoch
    if run.start_epoch >= r.epochs and run.history and report is not None:
        # resumed from the final epoch's checkpoint (the driver died before it saw that result):
        # report the finished result again rather than train anything twice
        report({**run.history[-1], "resumed_from": resumed_from}, None)
    for epoch in range(run.start_epoch, r.epochs):
        t0 = time.perf_counter()
        tr = run.train_epoch(epoch)
        ev, which, scores = run.evaluate_best()
        metrics = {
            "epoch": epoch + 1,
            "top1": ev["top1"],
            "top5": ev["top5"],
            "loss": tr["loss"],
            "val_loss": ev["val_loss"],
            "images_per_s": tr["images_per_s"],
            "lr": tr["lr"],
            "epoch_time_s": time.perf_counter() - t0,
            "feasible": True,
            "reason": "",
            "loader": run.train_loader.name,
            "device": str(run.device),
            "arch_hash": run.spec.hash,
            "params": run.params,
            "resumed_from": resumed_from,
            "train_images": tr["train_images"],
            "val_images": ev["val_images"],
            "bad_images": (len(run.bad_train) + len(run.bad_val) + len(run.train_loader.bad_seen)
                           + len(run.val_loader.bad_seen)),
            "bad_val_images": len(run.bad_val) + len(run.val_loader.bad_seen),
            "kept_weights": which,
        }
        if run.ema is not None:
            metrics.update(top1_raw=scores["raw"]["top1"], top1_ema=scores["ema"]["top1"])
        run.history.append(metrics)
        if ckpt_dir is not None:
            save_checkpoint(run.state_dict(epoch + 1), ckpt_dir, run.spec)
        if report is not None:
            report(dict(metrics), ckpt_dir)
    model = run.weights(metrics.get("kept_weights", "ema" if run.ema is not None else "raw"))
    return TrainResult(metrics=dict(metrics), history=[dict(m) for m in run.history], model=model)


def default_threads(device: torch.device, num_threads: int | None = None,
                    loader_threads: int | None = None) -> tuple[int | None, int]:
    """``(torch threads, loader threads)`` for one training process that has this machine to itself.

    Unset values are derived from the CPUs this process may run on: loader threads (DALI threads /
    torchvision workers) 1 up to 4 CPUs, else a quarter of them (at most 4); on a CPU device the
    torch threads are the rest (at least 1), so that the two never oversubscribe the cores. (Two
    torch threads beside a loader thread on a 2-core box ran ~10x slower than one: the OpenMP
    workers spin-wait for the core the loader holds; see docs/BENCHMARKS.md.) On a GPU the torch
    threads stay as they are (``None``).
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if loader_threads is None:
        loader_threads = 1 if cpus <= 4 else min(4, cpus // 4)
    if num_threads is None and device.type == "cpu":
        num_threads = max(1, cpus - loader_threads)
    return num_threads, loader_threads


def final_recipe(recipe: Recipe | Mapping[str, Any] | None = None, epochs: int | None = None) -> Recipe:
    """The recipe of a final training: ``recipe`` (a :class:`Recipe`, used as it is), or
    :meth:`Recipe.long` with the fields of a mapping ``recipe`` (e.g. :func:`search_recipe`'s plus
    the user's), with ``epochs`` when given. From a mapping, the warm-up scales with ``epochs``
    unless the mapping sets ``warmup_epochs`` (see :meth:`Recipe.long`).
    """
    if epochs is not None and (not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1):
        raise ConfigError(f"--epochs must be a positive integer, got {epochs!r}")
    if isinstance(recipe, Recipe):
        return recipe if epochs is None else recipe.replace(epochs=epochs)
    if recipe is not None and not isinstance(recipe, Mapping):
        raise ConfigError(f"recipe must be a Recipe or a mapping of its fields, got {type(recipe).__name__}")
    fields = dict(recipe or {})
    if epochs is not None:
        fields["epochs"] = epochs
    Recipe.from_dict(fields)  # unknown keys and bad values: ConfigError naming the field
    return Recipe.long(**fields)


def final_train(
    spec: Any,
    data_dir: str | Path,
    out_dir: str | Path,
    epochs: int | None = None,
    teacher: Any = None,
    recipe: Recipe | Mapping[str, Any] | None = None,
    *,
    loader: str = "auto",
    device: str | torch.device | None = "auto",
    num_threads: int | None = None,
    loader_threads: int | None = None,
    report: ReportFn | None = None,
    skip_bad: bool = False,
) -> dict:
    """Final training of one architecture with the long recipe (``hub train``); resumable.

    recipe: a :class:`Recipe` (used as it is, ``epochs`` replacing its epoch count), or a mapping
    of fields over :meth:`Recipe.long` (``hub train`` passes the search's data recipe, see
    :func:`~gpunet_ray.trainables.recipe.search_recipe`, and the user's ``--recipe`` fields), see
    :func:`final_recipe`; default :meth:`Recipe.long`. ``epochs`` overrides the epoch count.
    teacher: optional distillation teacher in any form :func:`resolve_teacher` accepts.
    num_threads, loader_threads: ``None`` derives them from this machine's CPUs
    (:func:`default_threads`; one of each on a 2-core box, as a search trial has).
    Writes into ``out_dir``: ``checkpoint/state.pt`` every epoch (a re-run resumes from it),
    ``arch.json`` (the trained network, dataset classes), ``weights.pt`` (plain ``state_dict``,
    loadable with ``torch.load(weights_only=True)``, of the raw or EMA weights, whichever scored
    the better top-1 in the last epoch: ``kept_weights``) and ``metrics.json`` (the per-epoch
    history). Returns the last epoch's metrics (``top1`` of the kept weights, ``top1_raw`` /
    ``top1_ema``) plus ``train_images_per_s`` (over all epochs), the threads, the recipe and the
    file paths. Prints one line per epoch unless ``report`` is given. ``skip_bad``: see :func:`train`.
    """
    r = final_recipe(recipe, epochs)
    dev = resolve_device(device)
    num_threads, loader_threads = default_threads(dev, num_threads, loader_threads)
    info = check_dataset(data_dir, verify=False)  # train() inspects the files it reads
    teacher_model = None
    if teacher is not None:
        arch, weights = resolve_teacher(teacher)
        teacher_model = load_teacher(arch, weights, num_classes=info.num_classes)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    def _print(metrics: dict, _ckpt) -> None:
        both = (f" (raw {metrics['top1_raw']:.2f}, ema {metrics['top1_ema']:.2f})" if "top1_ema" in metrics else "")
        print(f"epoch {metrics['epoch']}/{r.epochs}: top1 {metrics['top1']:.2f} %{both} top5 {metrics['top5']:.2f} % "
              f"loss {metrics['loss']:.4f} {metrics['images_per_s']:.0f} img/s", flush=True)

    res = train(spec, info.root, r, report=report or _print, checkpoint_dir=out / "checkpoint", loader=loader,
                device=dev, num_threads=num_threads, loader_threads=loader_threads, teacher=teacher_model,
                skip_bad=skip_bad)
    model = res.model
    trained = model.spec if hasattr(model, "spec") else as_spec(spec)
    write_arch_json(out, trained)
    save_atomic({k: v.detach().cpu() for k, v in model.state_dict().items()}, out / WEIGHTS_FILE)
    (out / "metrics.json").write_text(json.dumps(res.history, indent=1, default=str) + "\n")
    images = sum(m.get("train_images", 0) for m in res.history)
    seconds = sum(m["train_images"] / m["images_per_s"] for m in res.history
                  if m.get("train_images") and m.get("images_per_s"))
    return {**res.metrics, "train_images_per_s": images / seconds if seconds else math.nan,
            "num_threads": torch.get_num_threads(), "loader_threads": loader_threads, "recipe": r.to_dict(),
            "arch": trained.arch_string, "out_dir": str(out), "weights": str(out / WEIGHTS_FILE),
            "arch_json": str(out / "arch.json"), "checkpoint": str(out / "checkpoint" / CHECKPOINT_FILE)}
