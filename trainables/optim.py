"""Optimisers, the learning-rate schedule and EMA weights used by the training loop."""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

from .recipe import Recipe

__all__ = ["RMSpropTF", "make_optimizer", "lr_at", "ModelEma", "ema_decay_at"]


class RMSpropTF(torch.optim.Optimizer):
    """RMSprop as TensorFlow implements it (used for EfficientNet/GPUNet training).

    Differences from ``torch.optim.RMSprop``: the squared-gradient average starts at one, ``eps``
    is added *inside* the square root, and the learning rate is applied inside the momentum
    buffer, so changing the learning rate does not rescale the accumulated momentum.
    L2 weight decay is added to the gradient.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.9, eps: float = 1e-3, momentum: float = 0.9,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, momentum=momentum, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, alpha, eps, mom, wd = (group[k] for k in ("lr", "alpha", "eps", "momentum", "weight_decay"))
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if wd:
                    grad = grad.add(p, alpha=wd)
                state = self.state[p]
                if not state:
                    state["square_avg"] = torch.ones_like(p)
                    if mom > 0:
                        state["momentum_buffer"] = torch.zeros_like(p)
                sq = state["square_avg"]
                sq.mul_(alpha).addcmul_(grad, grad, value=1.0 - alpha)
                denom = sq.add(eps).sqrt_()
                if mom > 0:
                    buf = state["momentum_buffer"]
                    buf.mul_(mom).addcdiv_(grad, denom, value=lr)
                    p.sub_(buf)
                else:
                    p.addcdiv_(grad, denom, value=-lr)
        return loss


def _param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """No weight decay on biases and normalisation parameters (1-D tensors)."""
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (no_decay if p.ndim <= 1 else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def make_optimizer(model: nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    """SGD (Nesterov momentum) or RMSprop-TF, per ``recipe.optimizer``."""
    groups = _param_groups(model, recipe.weight_decay)
    if recipe.optimizer == "rmsproptf":
        return RMSpropTF(groups, lr=recipe.peak_lr, alpha=recipe.rmsprop_alpha, eps=recipe.opt_eps,
                         momentum=recipe.momentum)
    return torch.optim.SGD(groups, lr=recipe.peak_lr, momentum=recipe.momentum,
                           nesterov=recipe.nesterov and recipe.momentum > 0)


def lr_at(step: int, steps_per_epoch: int, recipe: Recipe) -> float:
    """Learning rate at optimiser step ``step`` (0-based): linear warm-up, then cosine to ``min_lr``."""
    total = max(1, recipe.epochs * steps_per_epoch)
    warm = min(total - 1, int(round(recipe.warmup_epochs * steps_per_epoch)))
    if step < warm:
        return recipe.warmup_lr + (recipe.peak_lr - recipe.warmup_lr) * step / warm
    t = (step - warm) / max(1, total - warm)
    return recipe.min_lr + 0.5 * (recipe.peak_lr - recipe.min_lr) * (1.0 + math.cos(math.pi * min(1.0, t)))


def ema_decay_at(decay: float, updates: int, warmup: bool = True) -> float:
    """The EMA decay used for update number ``updates`` (0-based): ``min(decay, (1 + n) / (10 + n))``.

    The warm-up of TensorFlow's ``ExponentialMovingAverage(num_updates=...)`` (and of timm's
    ``ModelEmaV3(use_warmup=True)``, in another form): the average starts short and lengthens with
    the step count, so that after ``n`` steps it covers roughly the last ``n / 9`` of them. A fixed
    0.9999 would, after a few hundred steps, still be ~97 % the initial (random) weights.
    """
    if not warmup:
        return float(decay)
    return min(float(decay), (1.0 + updates) / (10.0 + updates))


class ModelEma(nn.Module):
    """Exponential moving average of a model's weights (BN statistics copied, not averaged).

    ``decay`` per optimiser step, reached through :func:`ema_decay_at`'s warm-up (``warmup=False``:
    ``decay`` from the first step); ``updates`` counts the steps averaged so far (saved in
    checkpoints). The average is kept on the model's device, in float32.
    """

    def __init__(self, model: nn.Module, decay: float, warmup: bool = True) -> None:
        super().__init__()
        self.module = copy.deepcopy(model).eval()
        for p in self.module.parameters():
            p.requires_grad_(False)
        self.decay = float(decay)
        self.warmup = bool(warmup)
        self.updates = 0

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        weight = 1.0 - ema_decay_at(self.decay, self.updates, self.warmup)
        self.updates += 1
        ema_params = [p for _, p in self.module.named_parameters()]
        params = [p.detach() for _, p in model.named_parameters()]
        torch._foreach_lerp_(ema_params, params, weight)
        ema_bufs = dict(self.module.named_buffers())
        for name, b in model.named_buffers():
            ema_bufs[name].copy_(b)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x)
