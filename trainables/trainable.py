"""The Ray Tune function trainable ``train_candidate`` and its Ray-free core ``run_candidate``.

Trial config keys (``config`` is the dict Tune passes to the trainable):

* the architecture, one of: ``"arch"`` -- an ArchSpec, arch string, GPUNet JSON (list or string),
  a ``.json`` file path, or a dict of space choices (with ``"space"``); ``"arch_vector"`` -- a
  unit-cube vector (with ``"space"``); or the space's choice keys (``s0_depth`` ...) at the top
  level (with ``"space"``), which is what a searcher suggests. ``"space"`` is a space name
  (``"tiny"``, ``"gpunet"``) or YAML file; when given with ``"arch"``, membership is checked.
* ``"data_dir"`` (required): the ImageNet-layout folder.
* ``"recipe"``: a :class:`~gpunet_ray.trainables.recipe.Recipe` or a dict of its fields
  (default: the proxy recipe).
* ``"loader"``: ``"auto"`` | ``"dali"`` | ``"torchvision"``; ``"device"``: ``"auto"`` | ``"cpu"`` |
  ``"cuda"``; ``"num_threads"``: torch CPU threads for this trial (default 1: cores are shared);
  ``"loader_threads"``: DALI threads / torchvision workers (default 1).
* ``"teacher"``: optional knowledge-distillation teacher, ``{"arch": ..., "weights": path}`` or any
  form :func:`~gpunet_ray.trainables.teacher.resolve_teacher` accepts.
* ``"num_classes"``: optional; checked against the dataset.
* ``"resume_checkpoint"``: optional folder of an earlier run's checkpoint of the same candidate
  (set by ``--resume``); used when Tune has no checkpoint of its own for the trial, ignored when
  missing or unreadable.
* (faults for tests are injected by a test-only wrapper, ``tests/fault_trainable.py``; none here.)

Every epoch reports ``top1, top5, loss, images_per_s, epoch, feasible, reason`` (+ extras, see
:mod:`gpunet_ray.trainables.loop`). A candidate-specific failure (:class:`TrainingDiverged`,
:class:`OutOfMemory`, :class:`InvalidArchitecture`, :class:`TooLarge`) is reported once as a result with
``feasible=False``, ``reason=<tag>``, ``error=<message>``, NaN metrics (so schedulers and
``get_best_result`` ignore it) and ``epoch`` = the epoch that failed (1 for an architecture that
cannot be built), and the trial then ends normally; Tune's retry budget is left for
infrastructure faults. Dataset and configuration errors are raised: they are not the candidate's.

Before building, the network's size is computed from its statistics against the optional
``config["limits"]`` (``{"max_params": N, "max_activation_gb": G}``, either key; defaults:
:func:`~gpunet_ray.search_space.stats.default_limits`, 1e9 parameters and 256 GB of training
activations at ``recipe.batch_size``): a larger candidate is reported as infeasible with
``reason="too_large"`` (:class:`TooLarge`).

Bad image files (:mod:`gpunet_ray.trainables.dataset`): by default a bad file in the data is a
:class:`DatasetError` (raised by :func:`check_trial_config` in the driver, once, naming the first
few); with ``config["skip_bad"] = True`` they are left out and every epoch's result counts them
(``bad_images``, ``bad_val_images``; ``val_images`` is the accuracy's denominator).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping

from gpunet_ray.errors import (
    ConfigError,
    DatasetError,
    InvalidArchitecture,
    OutOfMemory,
    TooLarge,
    TrainingDiverged,
    reason_of,
)

__all__ = [
    "train_candidate",
    "run_candidate",
    "spec_from_config",
    "trial_resources",
    "check_trial_config",
    "infeasible_result",
    "CANDIDATE_FAILURES",
]

CANDIDATE_FAILURES = (TrainingDiverged, OutOfMemory, InvalidArchitecture, TooLarge)
_RESERVED = {"arch", "arch_vector", "space", "data_dir", "recipe", "loader", "device", "num_threads",
             "loader_threads", "teacher", "num_classes", "resume_checkpoint", "limits", "skip_bad",
             "candidate_id", "role", "latency_ms"}


def spec_from_config(config: Mapping[str, Any]):
    """The trial's ArchSpec (see the module docstring for the accepted forms)."""
    from gpunet_ray.search_space import get_space

    from .loop import as_spec

    space = None
    if config.get("space") is not None:
        space = config["space"]
        if isinstance(space, str):
            space = get_space(space)
    if "arch" in config and config["arch"] is not None:
        arch = config["arch"]
        if isinstance(arch, Mapping):
            if space is None:
                raise ConfigError("config['arch'] is a dict of choices: also give config['space']")
            return space.from_config(dict(arch))
        spec = as_spec(arch)
        if space is not None and spec.num_classes is not None:
            space.with_num_classes(spec.num_classes).validate(spec)
        return spec
    if space is None:
        raise ConfigError("the trial config has no architecture: give 'arch' (or 'space' with its choices)")
    if config.get("arch_vector") is not None:
        return space.decode(config["arch_vector"])
    return space.from_config({k: v for k, v in config.items() if k not in _RESERVED})


def check_trial_config(config: Mapping[str, Any]):
    """Check what every trial shares before starting any (dataset, recipe, loader, device).

    Returns the :class:`~gpunet_ray.trainables.dataset.DatasetInfo`. Raises DatasetError / ConfigError /
    BackendUnavailable; call it in the driver so a bad path fails once, not in every trial.
    """
    from gpunet_ray.search_space.stats import Limits

    from .dataset import check_dataset
    from .loaders import resolve_loader
    from .recipe import Recipe
    from .loop import resolve_device

    info = check_dataset(config.get("data_dir"), skip_bad=bool(config.get("skip_bad", False)))
    Recipe.from_dict(config.get("recipe"))
    resolve_loader(config.get("loader", "auto"))
    resolve_device(config.get("device", "auto"))
    Limits.from_any(config.get("limits"))
    n = config.get("num_classes")
    if n is not None and n != info.num_classes:
        raise ConfigError(f"num_classes is {n} but {info.root!r} has {info.num_classes} classes")
    return info


def infeasible_result(exc: BaseException, epoch: int = 0) -> dict:
    """The one result reported for a failed candidate (NaN metrics, ``feasible=False``)."""
    nan = math.nan
    return {
        "epoch": int(epoch),
        "top1": nan,
        "top5": nan,
        "loss": nan,
        "images_per_s": nan,
        "feasible": False,
        "reason": reason_of(exc),
        "error": " ".join(str(exc).split())[:500],
    }


def run_candidate(
    config: Mapping[str, Any],
    report: Callable[[dict, "Path | None"], None],
    checkpoint_dir: str | Path | None = None,
    resume_from: Any = None,
) -> dict:
    """Ray-free core of :func:`train_candidate`: train, report per epoch, map failures to results.

    report: ``report(metrics, checkpoint_dir_or_None)``. Returns the last reported metrics.
    """
    from .loop import train
    from .teacher import load_teacher, resolve_teacher

    last: dict = {}

    def _report(metrics: dict, ckpt: Path | None) -> None:
        last.clear()
        last.update(metrics)
        report(metrics, ckpt)

    if config.get("data_dir") is None:
        raise DatasetError("the trial config has no 'data_dir'; pass the ImageNet-layout folder")
    try:
        spec = spec_from_config(config)
        teacher = None
        if config.get("teacher"):
            teacher = load_teacher(*resolve_teacher(config["teacher"]))
        train(
            spec,
            config["data_dir"],
            config.get("recipe"),
            report=_report,
            checkpoint_dir=checkpoint_dir,
            resume_from=resume_from,
            loader=config.get("loader", "auto"),
            device=config.get("device", "auto"),
            num_threads=config.get("num_threads", 1),
            loader_threads=config.get("loader_threads", 1),
            teacher=teacher,
            limits=config.get("limits"),
            skip_bad=bool(config.get("skip_bad", False)),
        )
    except CANDIDATE_FAILURES as exc:
        result = infeasible_result(exc, epoch=int(last.get("epoch", 0)) + 1)
        report(result, None)
        return result
    return dict(last)


def train_candidate(config: dict) -> None:
    """Ray Tune function trainable (see the module docstring).

    Checkpoints every epoch with ``tune.Checkpoint`` and resumes from ``tune.get_checkpoint()``.
    Use with ASHA as ``ASHAScheduler(time_attr="epoch", metric="top1", mode="max")``.
    """
    from ray import tune

    from .checkpoint import load_checkpoint

    resume = None
    ckpt = tune.get_checkpoint()
    if ckpt is not None:
        with ckpt.as_directory() as d:
            resume = load_checkpoint(d)
    elif config.get("resume_checkpoint"):
        # a candidate re-queued by ``--resume``: continue from its last epoch in the earlier run
        resume = _earlier_checkpoint(config["resume_checkpoint"])

    def report(metrics: dict, ckpt_dir: Path | None) -> None:
        checkpoint = tune.Checkpoint.from_directory(str(ckpt_dir)) if ckpt_dir is not None else None
        tune.report(metrics, checkpoint=checkpoint)

    with tempfile.TemporaryDirectory(prefix="gpunet_trial_") as tmp:
        run_candidate(config, report, checkpoint_dir=tmp, resume_from=resume)


def _earlier_checkpoint(path: str):
    """The state in an earlier run's checkpoint folder, or None (missing, torn or foreign: start over)."""
    from .checkpoint import load_checkpoint

    if not Path(path).exists():  # e.g. written on another node's local disk
        return None
    try:
        return load_checkpoint(path)
    except ConfigError:
        return None


_UNSET = object()


def _get(cfg: Any, key: str, default: Any) -> Any:
    if cfg is None:
        return default
    if isinstance(cfg, Mapping):
        return cfg.get(key, default)
    return getattr(cfg, key, default)


def trial_resources(cfg: Any = None, *, cpus: float | None = None, gpus: float | None = None,
                    accelerator_type: Any = _UNSET):
    """Per-trial resources from config, as a ``tune.PlacementGroupFactory`` (one bundle).

    cfg: a mapping or an object with ``cpus_per_trial`` (default 1), ``gpus_per_trial``
    (default 0) and ``accelerator_type`` (default ``"A100"``; ``None`` or ``""`` for any GPU);
    or pass ``cpus``/``gpus``/``accelerator_type`` as keywords (they win over ``cfg``).
    GPU trials also ask for ``accelerator_type:<type>: 0.001``, the resource Ray advertises on
    nodes with that card; CPU-only trials get CPUs only.
    Use as ``tune.with_resources(train_candidate, trial_resources(cfg))``.
    """
    from ray.tune import PlacementGroupFactory

    cpus = _get(cfg, "cpus_per_trial", 1) if cpus is None else cpus
    gpus = _get(cfg, "gpus_per_trial", 0) if gpus is None else gpus
    acc = _get(cfg, "accelerator_type", "A100") if accelerator_type is _UNSET else accelerator_type
    for name, v in (("cpus_per_trial", cpus), ("gpus_per_trial", gpus)):
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0 or not math.isfinite(v):
            raise ConfigError(f"{name} must be a non-negative number, got {v!r}")
    if cpus == 0 and gpus == 0:
        raise ConfigError("a trial needs at least some CPU or GPU (cpus_per_trial and gpus_per_trial are 0)")
    if acc is not None and not isinstance(acc, str):
        raise ConfigError(f"accelerator_type must be a string such as 'A100', got {acc!r}")
    bundle: dict[str, float] = {"CPU": float(cpus)}
    if gpus:
        bundle["GPU"] = float(gpus)
        if acc:
            bundle[f"accelerator_type:{acc}"] = 0.001
    return PlacementGroupFactory([bundle])
