"""One training run's state: the files it reads, the model, optimiser, EMA and loaders, one epoch.

:class:`TrainingRun` is what :func:`gpunet_ray.trainables.loop.train` drives epoch by epoch; it
holds everything a run allocates so that :meth:`TrainingRun.close` can release it all (memory
release on out-of-memory). :func:`run_files` picks and inspects the train / val files a run
reads (see the bad-file policy in :mod:`gpunet_ray.trainables.dataset`).
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from dataclasses import replace
from typing import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from gpunet_ray.cluster import GPU_LOCK_ENV, gpu_turn
from gpunet_ray.errors import ConfigError, DatasetError, TrainingDiverged

from .checkpoint import CHECKPOINT_FORMAT
from .dataset import SplitFiles, bad_files_message, scan_split, verify_split
from .loaders import Augment, make_loader
from .optim import ModelEma, lr_at, make_optimizer
from .recipe import Recipe

__all__ = ["TrainingRun", "run_files"]


def _subset(files: SplitFiles, n: int | None, seed: int, random: bool) -> SplitFiles:
    """At most ``n`` files: a seeded random subset (train) or an evenly strided one (val)."""
    if n is None or n >= len(files):
        return files
    if random:
        g = torch.Generator().manual_seed(seed)
        idx = sorted(torch.randperm(len(files), generator=g)[:n].tolist())
    else:
        idx = [int(i * len(files) / n) for i in range(n)]
    return files.take(idx)


def run_files(info, recipe: Recipe, skip_bad: bool) -> tuple[SplitFiles, SplitFiles, tuple, tuple]:
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


class TrainingRun:
    """Everything one training run holds; :meth:`close` drops it all (memory release on OOM)."""

    def __init__(self, spec, info, recipe, device, loader, loader_threads, teacher,
                 skip_bad: bool = False) -> None:
        from gpunet_ray.search_space.builder import build_model, count_params

        # the data first: a bad file is found before anything is built
        train_files, val_files, self.bad_train, self.bad_val = run_files(info, recipe, skip_bad)
        self.recipe, self.device = recipe, device
        self.spec = spec
        torch.manual_seed(recipe.seed)
        cuda = device.type == "cuda"
        self.amp = cuda and recipe.amp
        self.memory_format = torch.channels_last if (cuda and recipe.channels_last) else torch.contiguous_format
        self.shared_gpu = cuda and bool(os.environ.get(GPU_LOCK_ENV))  # one GPU, also timing: take turns
        self.model = build_model(spec, drop_path_rate=recipe.drop_path_rate)
        self.model = self.model.to(device, memory_format=self.memory_format)
        self.params = count_params(self.model)
        self.optimizer = make_optimizer(self.model, recipe)
        self.scaler = torch.amp.GradScaler("cuda") if self.amp else None
        self.ema = ModelEma(self.model, recipe.ema_decay, warmup=recipe.ema_warmup) if recipe.ema_decay else None
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
            "format": CHECKPOINT_FORMAT,
            "arch": self.spec.arch_string,
            "arch_hash": self.spec.hash,
            "epoch": epoch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "ema": self.ema.module.state_dict() if self.ema else None,
            "ema_updates": self.ema.updates if self.ema else None,
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
            updates = state.get("ema_updates")  # absent in older checkpoints: one update per step
            self.ema.updates = int(updates) if updates is not None else int(state["epoch"]) * self.steps_per_epoch
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
            with self._gpu_turn():
                loss = self._step(x, y)
            loss_sum += loss
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

    def _step(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """One optimiser step (and EMA update); returns the detached float loss."""
        r, dev = self.recipe, self.device
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
        return loss.detach().float()

    @contextlib.contextmanager
    def _gpu_turn(self) -> Iterator[None]:
        """Hold the GPU for one step when it is shared with latency timing (one-GPU box:
        :func:`gpunet_ray.cluster.gpu_turn`); the step's GPU work ends before the turn does."""
        if not self.shared_gpu:
            yield
            return
        with gpu_turn("trial"):
            yield
            torch.cuda.synchronize(self.device)

    def _check_finite(self, loss_sum: torch.Tensor, epoch: int, step: int, lr: float) -> None:
        v = float(loss_sum)
        if not math.isfinite(v):
            raise TrainingDiverged(
                f"training loss became {v} in epoch {epoch + 1} by step {step + 1} (lr {lr:.3g}); "
                "lower the learning rate or add warm-up / gradient clipping"
            )

    @torch.no_grad()
    def evaluate(self, model: nn.Module | None = None) -> dict:
        """Validation metrics of ``model`` (default: the trained weights, not the EMA copy)."""
        model = self.model if model is None else model
        model.eval()
        k = min(5, self.spec.num_classes)
        correct1 = correct5 = 0
        loss_sum, n = 0.0, 0
        for x, y in self.val_loader:
            x = x.contiguous(memory_format=self.memory_format)
            with self._gpu_turn(), torch.autocast(device_type=self.device.type, dtype=torch.float16,
                                                  enabled=self.amp):
                logits = model(x).float()
            loss_sum += float(F.cross_entropy(logits, y, reduction="sum"))
            topk = logits.topk(k, dim=1).indices
            hit = topk.eq(y[:, None])
            correct1 += int(hit[:, 0].sum())
            correct5 += int(hit.any(dim=1).sum())
            n += y.shape[0]
        n = max(n, 1)
        return {"top1": 100.0 * correct1 / n, "top5": 100.0 * correct5 / n, "val_loss": loss_sum / n,
                "val_images": n}

    def evaluate_best(self) -> tuple[dict, str, dict]:
        """Evaluate the raw weights and, with EMA on, the EMA weights: ``(best, which, per_weights)``.

        ``which`` is ``"ema"`` or ``"raw"`` (EMA wins ties); ``per_weights`` maps each to its metrics.
        """
        scores = {"raw": self.evaluate(self.model)}
        if self.ema is not None:
            scores["ema"] = self.evaluate(self.ema.module)
        which = "ema" if "ema" in scores and scores["ema"]["top1"] >= scores["raw"]["top1"] else "raw"
        return scores[which], which, scores

    def weights(self, which: str) -> nn.Module:
        """The model holding the ``"raw"`` or ``"ema"`` weights."""
        return self.ema.module if which == "ema" and self.ema is not None else self.model

    def close(self) -> None:
        for name in ("train_loader", "val_loader"):
            ld = getattr(self, name, None)
            if ld is not None:
                ld.close()
        for name in ("model", "optimizer", "scaler", "ema", "teacher", "train_loader", "val_loader"):
            if hasattr(self, name):
                delattr(self, name)
