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

Bad image files (see :mod:`gpunet_ray.data`): the files a run reads (its train / val subsets)
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
  of them from the validation set (so a smaller denominator is never silent).
"""

from __future__ import annotations

import gc
import json
import math
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from gpunet_ray.data import SplitFiles, bad_files_message, check_dataset, scan_split, verify_split
from gpunet_ray.errors import DatasetError
from gpunet_ray.errors import ConfigError, InvalidArchitecture, OutOfMemory, TrainingDiverged
from gpunet_ray.search_space import ArchSpec, as_spec
from gpunet_ray.search_space.stats import check_size

from .loaders import Augment, make_loader
from .optim import ModelEma, lr_at, make_optimizer
from .recipe import Recipe

__all__ = [
    "train",
    "final_train",
    "TrainResult",
    "as_spec",
    "load_teacher",
    "resolve_teacher",
    "load_checkpoint",
    "resolve_device",
    "CHECKPOINT_FILE",
    "WEIGHTS_FILE",
]

CHECKPOINT_FILE = "state.pt"
WEIGHTS_FILE = "weights.pt"
_FORMAT = 1
ReportFn = Callable[[dict, "Path | None"], None]


@dataclass
class TrainResult:
    """What :func:`train` returns: the last epoch's metrics, all epochs, and the trained model.

    ``model`` is the network whose accuracy was reported (the EMA copy when EMA is on).
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


def _strip_prefixes(sd: Mapping[str, Any]) -> dict:
    out = {}
    for k, v in sd.items():
        for prefix in ("module.", "model.", "_orig_mod."):
            while k.startswith(prefix):
                k = k[len(prefix):]
        out[k] = v
    return out


def load_teacher(arch: Any, weights: str | Path, num_classes: int | None = None,
                 device: str | torch.device = "cpu") -> nn.Module:
    """A frozen teacher for knowledge distillation.

    arch: the teacher's GPUNet JSON / arch string / ArchSpec. weights: a file holding a plain
    ``state_dict`` (read with ``torch.load(weights_only=True)``: never unpickles objects; a
    ``{"state_dict": ...}``/``{"model": ...}`` wrapper and ``module.`` prefixes are accepted).
    """
    from gpunet_ray.search_space.builder import build_model

    spec = as_spec(arch)
    p = Path(weights)
    if not p.is_file():
        raise ConfigError(f"teacher weights {str(p)!r} do not exist; pass a torch state_dict file")
    try:
        sd = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the same user error
        msg = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ConfigError(f"cannot read teacher weights {str(p)!r} as a plain state_dict ({msg})") from None
    if isinstance(sd, dict) and sd.get("format") == _FORMAT and isinstance(sd.get("ema") or sd.get("model"), dict):
        sd = sd.get("ema") or sd["model"]  # a checkpoint written by train(): prefer its EMA weights
    for key in ("state_dict", "model", "state_dict_ema"):
        if isinstance(sd, dict) and key in sd and isinstance(sd[key], dict):
            sd = sd[key]
            break
    if not isinstance(sd, dict):
        raise ConfigError(f"teacher weights {str(p)!r} hold a {type(sd).__name__}, not a state_dict")
    sd = _strip_prefixes(sd)
    tail = sd.get(_tail_weight_key(spec))
    classes = int(tail.shape[0]) if isinstance(tail, torch.Tensor) else spec.num_classes
    model = build_model(spec, num_classes=classes)
    try:
        model.load_state_dict(sd, strict=True)
    except RuntimeError as exc:
        first = " ".join(str(exc).split())[:300]
        raise ConfigError(f"teacher weights {str(p)!r} do not match the teacher architecture: {first}") from None
    if num_classes is not None and classes != num_classes:
        raise ConfigError(f"the teacher predicts {classes} classes but the dataset has {num_classes}")
    model.eval().requires_grad_(False)
    return model.to(device)


def resolve_teacher(teacher: Any) -> tuple[Any, Path]:
    """``(arch, weights_path)`` from the forms a CLI or config may give.

    Accepted: a ``(arch, weights)`` pair; ``{"arch": ..., "weights": ...}``; ``"ARCH.json,WEIGHTS"``
    (comma-separated); or a folder holding ``arch.json`` and one weights file (``weights.pt``,
    ``state.pt`` or a single ``*.pt``/``*.pth``) -- e.g. the ``out_dir`` of :func:`final_train`.
    """
    if isinstance(teacher, Mapping):
        if "arch" not in teacher or "weights" not in teacher:
            raise ConfigError("a teacher mapping needs 'arch' (GPUNet JSON) and 'weights' (state_dict file)")
        return teacher["arch"], Path(teacher["weights"])
    if isinstance(teacher, (tuple, list)) and len(teacher) == 2:
        return teacher[0], Path(teacher[1])
    if isinstance(teacher, (str, Path)):
        t = str(teacher)
        if "," in t:
            arch, weights = (x.strip() for x in t.split(",", 1))
            return Path(arch), Path(weights)
        d = Path(t)
        if d.is_dir():
            if not (d / "arch.json").is_file():
                raise ConfigError(f"teacher folder {t!r} has no arch.json (the teacher's GPUNet JSON)")
            for name in (WEIGHTS_FILE, CHECKPOINT_FILE):
                if (d / name).is_file():
                    return d / "arch.json", d / name
            cands = sorted(p for p in d.iterdir() if p.suffix in (".pt", ".pth"))
            if len(cands) == 1:
                return d / "arch.json", cands[0]
            raise ConfigError(
                f"teacher folder {t!r} needs exactly one weights file (*.pt, *.pth); found {len(cands)}"
            )
    raise ConfigError(
        f"cannot read the teacher {teacher!r}: pass 'ARCH.json,WEIGHTS.pt' or a folder with arch.json + weights"
    )


def _tail_weight_key(spec: ArchSpec) -> str:
    idx = len(spec.layers) - 1
    return f"{idx}.8.weight" if spec.distill else f"{idx}.fc.weight"


def load_checkpoint(path: str | Path) -> dict:
    """Read a checkpoint written by :func:`train` (a folder holding ``state.pt``, or the file)."""
    p = Path(path)
    if p.is_dir():
        p = p / CHECKPOINT_FILE
    if not p.is_file():
        raise ConfigError(f"no checkpoint at {str(p)!r}")
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001
        raise ConfigError(f"cannot read checkpoint {str(p)!r}: {str(exc).splitlines()[0][:200]}") from None
    if not isinstance(state, dict) or state.get("format") != _FORMAT:
        raise ConfigError(f"{str(p)!r} is not a gpunet_ray training checkpoint (format {_FORMAT})")
    return state


def _subset(files: SplitFiles, n: int | None, seed: int, random: bool) -> SplitFiles:
    """At most ``n`` files: a seeded random subset (train) or an evenly strided one (val)."""
    if n is None or n >= len(files):
        return files
    if random:
        g = torch.Generator().manual_seed(seed)
        idx = sorted(torch.randperm(len(files), generator=g)[:n].tolist())
    else:
        idx = [int(i * len(files) / n) for i in range(n)]
    return SplitFiles(tuple(files.files[i] for i in idx), tuple(files.labels[i] for i in idx), files.classes)


def _is_oom(exc: BaseException) -> bool:
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    msg = str(exc)
    return isinstance(exc, RuntimeError) and any(
        m in msg for m in ("out of memory", "CUDNN_STATUS_ALLOC_FAILED", "can't allocate memory")
    )


# -- the loop -------------------------------------------------------------------------------------
def _run_files(info, recipe: Recipe, skip_bad: bool) -> tuple[SplitFiles, SplitFiles, tuple, tuple]:
    """The train / val files one run reads, inspected: ``(train, val, bad_train, bad_val)``."""
    train_files = scan_split(info.root, "train", info.classes)
    val_files = scan_split(info.root, "val", info.classes)
    bs = recipe.batch_size
    train_sub = _subset(train_files, recipe.limit_train_batches and recipe.limit_train_batches * bs,
                        recipe.seed, random=True)
    val_sub = _subset(val_files, recipe.limit_val_batches and recipe.limit_val_batches * bs,
                      recipe.seed, random=False)
    # every irregular entry of the split counts once; the subset's files are inspected
    train_sub, bad_train = verify_split(replace(train_sub, irregular=train_files.irregular))
    val_sub, bad_val = verify_split(replace(val_sub, irregular=val_files.irregular))
    if (bad_train or bad_val) and not skip_bad:
        raise DatasetError(
            f"{info.root!r} has {bad_files_message(bad_train + bad_val, info.root)}; delete or replace the bad "
            "files, or set skip_bad to leave them out and count them"
        )
    if len(val_sub) == 0:
        raise DatasetError(f"{info.root!r}: no usable validation images")
    if len(train_sub) < bs:
        raise ConfigError(
            f"batch_size {bs} is larger than the {len(train_sub)} training images; lower recipe.batch_size"
        )
    return train_sub, val_sub, bad_train, bad_val


class _Run:
    """Everything one training run holds; :meth:`close` drops it all (memory release on OOM)."""

    def __init__(self, spec, info, recipe, device, loader, loader_threads, teacher,
                 skip_bad: bool = False) -> None:
        from gpunet_ray.search_space.builder import build_model, count_params

        # the data first: a bad file is found before anything is built
        train_files, val_files, self.bad_train, self.bad_val = _run_files(info, recipe, skip_bad)
        self.recipe, self.device = recipe, device
        self.spec = spec
        torch.manual_seed(recipe.seed)
        cuda = device.type == "cuda"
        self.amp = cuda and recipe.amp
        self.memory_format = torch.channels_last if (cuda and recipe.channels_last) else torch.contiguous_format
        self.model = build_model(spec, drop_path_rate=recipe.drop_path_rate)
        self.model = self.model.to(device, memory_format=self.memory_format)
        self.params = count_params(self.model)
        self.optimizer = make_optimizer(self.model, recipe)
        self.scaler = torch.amp.GradScaler("cuda") if self.amp else None
        self.ema = ModelEma(self.model, recipe.ema_decay) if recipe.ema_decay else None
        self.teacher = teacher
        aug = Augment(crop_scale=recipe.crop_scale, crop_ratio=recipe.crop_ratio, hflip=recipe.hflip,
                      crop_pct=recipe.crop_pct)
        bs = recipe.batch_size
        common = dict(resolution=spec.resolution, loader=loader, device=device, augment=aug,
                      num_threads=loader_threads, seed=recipe.seed, skip_bad=skip_bad)
        self.train_loader = make_loader(info.root, "train", batch_size=bs, train=True, files=train_files, **common)
        self.val_loader = make_loader(info.root, "val", batch_size=bs, train=False, files=val_files, **common)
        self.steps_per_epoch = len(self.train_loader)
        self.start_epoch = 0
        self.history: list[dict] = []

    # -- state ------------------------------------------------------------------------------------
    def state_dict(self, epoch: int) -> dict:
        return {
            "format": _FORMAT,
            "arch": self.spec.arch_string,
            "arch_hash": self.spec.hash,
            "epoch": epoch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "ema": self.ema.module.state_dict() if self.ema else None,
            "scaler": self.scaler.state_dict() if self.scaler else None,
            "recipe": self.recipe.to_dict(),
            "history": self.history,
            "torch_rng": torch.get_rng_state(),
        }

    def load_state_dict(self, state: dict) -> None:
        if state.get("arch_hash") != self.spec.hash:
            raise ConfigError(
                f"the checkpoint is for architecture {state.get('arch_hash')}, not {self.spec.hash}; "
                "resume with the same architecture, resolution and dataset classes"
            )
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.ema is not None and state.get("ema") is not None:
            self.ema.module.load_state_dict(state["ema"])
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        if state.get("torch_rng") is not None:
            torch.set_rng_state(state["torch_rng"])
        self.start_epoch = int(state["epoch"])
        self.history = list(state.get("history") or [])

    # -- one epoch --------------------------------------------------------------------------------
    def _loss(self, logits: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        r = self.recipe
        ce = F.cross_entropy(logits, y, label_smoothing=r.label_smoothing)
        if self.teacher is None or r.kd_alpha == 0:
            return ce
        with torch.no_grad():
            t_logits = self.teacher(x)
        T = r.kd_temperature
        kd = F.kl_div(F.log_softmax(logits.float() / T, 1), F.log_softmax(t_logits.float() / T, 1),
                      reduction="batchmean", log_target=True) * (T * T)
        return (1.0 - r.kd_alpha) * ce + r.kd_alpha * kd

    def train_epoch(self, epoch: int) -> dict:
        r, dev = self.recipe, self.device
        self.model.train()
        self.train_loader.set_epoch(epoch)
        check_every = 1 if dev.type == "cpu" else 25
        loss_sum = torch.zeros((), device=dev)
        n_img, n_steps, lr = 0, 0, r.peak_lr
        t0 = time.perf_counter()
        for i, (x, y) in enumerate(self.train_loader):
            step = epoch * self.steps_per_epoch + i
            lr = lr_at(step, self.steps_per_epoch, r)
            for g in self.optimizer.param_groups:
                g["lr"] = lr
            x = x.contiguous(memory_format=self.memory_format)
            with torch.autocast(device_type=dev.type, dtype=torch.float16, enabled=self.amp):
                logits = self.model(x)
                loss = self._loss(logits, x, y)
            self.optimizer.zero_grad(set_to_none=True)
            if self.scaler is not None:
                self.scaler.scale(loss).backward()
                if r.grad_clip:
                    self.scaler.unscale_(self.optimizer)
                    nn.utils.clip_grad_norm_(self.model.parameters(), r.grad_clip)
                self.scaler.step(self.optimizer)
                self.scaler.update()
            else:
                loss.backward()
                if r.grad_clip:
                    nn.utils.clip_grad_norm_(self.model.parameters(), r.grad_clip)
                self.optimizer.step()
            if self.ema is not None:
                self.ema.update(self.model)
            loss_sum += loss.detach().float()
            n_img += y.shape[0]
            n_steps += 1
            if (i + 1) % check_every == 0:
                self._check_finite(loss_sum, epoch, i, lr)
        self._check_finite(loss_sum, epoch, n_steps - 1, lr)
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        dt = time.perf_counter() - t0
        return {"loss": float(loss_sum) / max(1, n_steps), "images_per_s": n_img / max(dt, 1e-9), "lr": lr,
                "train_time_s": dt, "train_images": n_img}

    def _check_finite(self, loss_sum: torch.Tensor, epoch: int, step: int, lr: float) -> None:
        v = float(loss_sum)
        if not math.isfinite(v):
            raise TrainingDiverged(
                f"training loss became {v} in epoch {epoch + 1} by step {step + 1} (lr {lr:.3g}); "
                "lower the learning rate or add warm-up / gradient clipping"
            )

    @torch.no_grad()
    def evaluate(self) -> dict:
        model = self.ema.module if self.ema is not None else self.model
        model.eval()
        k = min(5, self.spec.num_classes)
        correct1 = correct5 = 0
        loss_sum, n = 0.0, 0
        for x, y in self.val_loader:
            x = x.contiguous(memory_format=self.memory_format)
            with torch.autocast(device_type=self.device.type, dtype=torch.float16, enabled=self.amp):
                logits = model(x)
            logits = logits.float()
            loss_sum += float(F.cross_entropy(logits, y, reduction="sum"))
            topk = logits.topk(k, dim=1).indices
            hit = topk.eq(y[:, None])
            correct1 += int(hit[:, 0].sum())
            correct5 += int(hit.any(dim=1).sum())
            n += y.shape[0]
        n = max(n, 1)
        return {"top1": 100.0 * correct1 / n, "top5": 100.0 * correct5 / n, "val_loss": loss_sum / n,
                "val_images": n}

    def close(self) -> None:
        for name in ("train_loader", "val_loader"):
            ld = getattr(self, name, None)
            if ld is not None:
                ld.close()
        for name in ("model", "optimizer", "scaler", "ema", "teacher", "train_loader", "val_loader"):
            if hasattr(self, name):
                delattr(self, name)


def _save(state: dict, checkpoint_dir: Path, spec: ArchSpec) -> None:
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    tmp = checkpoint_dir / (CHECKPOINT_FILE + ".part")
    torch.save(state, tmp)
    os.replace(tmp, checkpoint_dir / CHECKPOINT_FILE)
    (checkpoint_dir / "arch.json").write_text(json.dumps(spec.to_gpunet_json(), indent=1) + "\n")


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
    info = check_dataset(data_dir, verify=False)  # the layout; the files this run reads are inspected in _Run
    spec = as_spec(spec)
    if spec.num_classes is None:
        raise InvalidArchitecture("the architecture has no tail (classifier) layer")
    spec = spec.with_num_classes(info.num_classes)
    if recipe.resolution is not None and recipe.resolution != spec.resolution:
        spec = spec.with_resolution(recipe.resolution)
    check_size(spec, batch=recipe.batch_size, training=True, limits=limits,
               flags=("limits.max_params (trial config 'limits', or GPUNET_RAY_MAX_PARAMS)",
                      "limits.max_activation_gb (trial config 'limits', or GPUNET_RAY_MAX_ACTIVATION_GB)"))
    dev = resolve_device(device)
    if num_threads:
        torch.set_num_threads(int(num_threads))
    if teacher is not None:
        teacher = teacher.to(dev).eval()
    ckpt_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if resume_from is None and ckpt_dir is not None and (ckpt_dir / CHECKPOINT_FILE).is_file():
        resume_from = ckpt_dir
    state = None
    if resume_from is not None:
        state = resume_from if isinstance(resume_from, Mapping) else load_checkpoint(resume_from)

    run: _Run | None = None
    try:
        run = _Run(spec, info, recipe, dev, loader, loader_threads, teacher, skip_bad=skip_bad)
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


def _fit(run: _Run, ckpt_dir: Path | None, report: ReportFn | None) -> TrainResult:
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
        ev = run.evaluate()
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
        }
        run.history.append(metrics)
        if ckpt_dir is not None:
            _save(run.state_dict(epoch + 1), ckpt_dir, run.spec)
        if report is not None:
            report(dict(metrics), ckpt_dir)
    model = run.ema.module if run.ema is not None else run.model
    return TrainResult(metrics=dict(metrics), history=[dict(m) for m in run.history], model=model)


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
    loader_threads: int = 2,
    report: ReportFn | None = None,
    skip_bad: bool = False,
) -> dict:
    """Final training of one architecture with the long recipe (``hub train``); resumable.

    recipe: defaults to :meth:`Recipe.long`; ``epochs`` overrides its epoch count.
    teacher: optional distillation teacher in any form :func:`resolve_teacher` accepts.
    Writes into ``out_dir``: ``checkpoint/state.pt`` every epoch (a re-run resumes from it),
    ``arch.json`` (the trained network, dataset classes), ``weights.pt`` (plain ``state_dict`` of
    the reported model, EMA when on; loadable with ``torch.load(weights_only=True)``) and
    ``metrics.json`` (the per-epoch history). Returns the last epoch's metrics plus those paths.
    Prints one line per epoch unless ``report`` is given. ``skip_bad``: see :func:`train`.
    """
    r = Recipe.from_dict(recipe) if recipe is not None else Recipe.long()
    if epochs is not None:
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
            raise ConfigError(f"--epochs must be a positive integer, got {epochs!r}")
        r = r.replace(epochs=epochs)
    info = check_dataset(data_dir, verify=False)  # train() inspects the files it reads
    teacher_model = None
    if teacher is not None:
        arch, weights = resolve_teacher(teacher)
        teacher_model = load_teacher(arch, weights, num_classes=info.num_classes)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    def _print(metrics: dict, _ckpt) -> None:
        print(f"epoch {metrics['epoch']}/{r.epochs}: top1 {metrics['top1']:.2f} % top5 {metrics['top5']:.2f} % "
              f"loss {metrics['loss']:.4f} {metrics['images_per_s']:.0f} img/s", flush=True)

    res = train(spec, info.root, r, report=report or _print, checkpoint_dir=out / "checkpoint", loader=loader,
                device=device, num_threads=num_threads, loader_threads=loader_threads, teacher=teacher_model,
                skip_bad=skip_bad)
    model = res.model
    trained = model.spec if hasattr(model, "spec") else as_spec(spec)
    (out / "arch.json").write_text(json.dumps(trained.to_gpunet_json(), indent=1) + "\n")
    tmp = out / (WEIGHTS_FILE + ".part")
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, tmp)
    os.replace(tmp, out / WEIGHTS_FILE)
    (out / "metrics.json").write_text(json.dumps(res.history, indent=1, default=str) + "\n")
    return {**res.metrics, "arch": trained.arch_string, "out_dir": str(out), "weights": str(out / WEIGHTS_FILE),
            "arch_json": str(out / "arch.json"), "checkpoint": str(out / "checkpoint" / CHECKPOINT_FILE)}
