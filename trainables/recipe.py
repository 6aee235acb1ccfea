"""The training recipe: one frozen dataclass for the proxy (search) and the final schedule."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Mapping

from gpunet_ray.errors import ConfigError

__all__ = ["Recipe", "OPTIMIZERS", "WARMUP_FRACTION", "DATA_FIELDS", "scaled_warmup", "search_recipe"]

OPTIMIZERS = ("sgd", "rmsproptf")
WARMUP_FRACTION = 0.1  # final training: the learning-rate warm-up never takes more of the schedule
# What final training inherits from the search that ranked the network (its hub's config.yaml):
# the input pipeline and the batch size the candidate was trained (and found to fit) with.
DATA_FIELDS = ("resolution", "crop_scale", "crop_ratio", "hflip", "crop_pct", "batch_size")


def scaled_warmup(warmup_epochs: float, epochs: int) -> float:
    """``warmup_epochs``, capped at :data:`WARMUP_FRACTION` of an ``epochs``-long schedule."""
    return min(float(warmup_epochs), WARMUP_FRACTION * epochs)


def search_recipe(config: Mapping[str, Any] | None) -> dict:
    """The :data:`DATA_FIELDS` a search trained its candidates with, from its resolved config.

    config: the mapping saved as ``OUT/config.yaml`` (``train.batch_size`` and the ``train.recipe``
    overrides; fields the search left at the proxy defaults are not returned). Final training
    (``hub train``) starts from these, so a network is not retrained with, e.g., horizontal flips
    on digits when the search ranked it without. ``None`` or a config without a ``train`` section: ``{}``.
    """
    train = (config or {}).get("train") or {}
    if not isinstance(train, Mapping):
        raise ConfigError("the search config's 'train' section must be a mapping")
    recipe = train.get("recipe") or {}
    if not isinstance(recipe, Mapping):
        raise ConfigError("the search config's 'train.recipe' must be a mapping of recipe fields")
    out = {k: recipe[k] for k in DATA_FIELDS if k in recipe}
    if "batch_size" not in out and train.get("batch_size") is not None:
        out["batch_size"] = train["batch_size"]
    for name in ("crop_scale", "crop_ratio"):
        if name in out:
            out[name] = tuple(out[name])
    return out


@dataclass(frozen=True)
class Recipe:
    """Hyper-parameters of one training run.

    The defaults are the *proxy* recipe used to rank candidates during a search: a few epochs of
    SGD with warm-up and cosine decay. :meth:`long` is the final-training preset (in the spirit of
    NVIDIA's GPUNet recipe: RMSprop-TF, EMA weights, drop-path, label smoothing, many epochs).

    Units: ``lr`` is the peak learning rate for this ``batch_size``; ``None`` (the default) picks
    the optimiser's usual rate scaled linearly with the batch: SGD 0.1 per 64 images, RMSprop-TF
    0.016 per 256 images (timm's EfficientNet recipe); see :attr:`peak_lr`.
    ``warmup_epochs`` may be fractional; ``resolution`` in pixels (``None``: the spec's own);
    ``crop_scale`` is the random-resized-crop area range (fractions of the image).
    ``limit_train_batches``/``limit_val_batches`` cap batches per epoch (``None``: all).
    ``amp`` and ``channels_last`` only take effect on a CUDA device.
    ``ema_decay``: EMA of the weights per step (``None``: no EMA), reached through a warm-up that
    lengthens the average with the step count (``ema_warmup``; see
    :func:`~gpunet_ray.trainables.optim.ema_decay_at`); runs with EMA evaluate both the raw and
    the EMA weights and report the better.
    """

    epochs: int = 2
    batch_size: int = 64
    resolution: int | None = None
    optimizer: str = "sgd"
    lr: float | None = None
    momentum: float = 0.9
    nesterov: bool = True
    opt_eps: float = 1e-3
    rmsprop_alpha: float = 0.9
    weight_decay: float = 5e-5
    warmup_epochs: float = 0.3
    warmup_lr: float = 1e-4
    min_lr: float = 1e-5
    label_smoothing: float = 0.1
    ema_decay: float | None = None
    ema_warmup: bool = True
    drop_path_rate: float = 0.0
    grad_clip: float | None = None
    amp: bool = True
    channels_last: bool = True
    crop_scale: tuple[float, float] = (0.08, 1.0)
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)
    hflip: bool = True
    crop_pct: float = 0.875
    kd_alpha: float = 0.5
    kd_temperature: float = 1.0
    limit_train_batches: int | None = None
    limit_val_batches: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("crop_scale", "crop_ratio"):
            v = getattr(self, name)
            if isinstance(v, list):
                object.__setattr__(self, name, tuple(v))
        self._check()

    def _check(self) -> None:
        def bad(msg: str) -> None:
            raise ConfigError(f"recipe: {msg}")

        def pos_int(name: str, allow_none: bool = False) -> None:
            v = getattr(self, name)
            if v is None and allow_none:
                return
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                bad(f"{name} must be a positive integer, got {v!r}")

        def num(name: str, lo: float, hi: float, lo_open: bool = False, allow_none: bool = False) -> None:
            v = getattr(self, name)
            if v is None and allow_none:
                return
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                bad(f"{name} must be a finite number, got {v!r}")
            if v < lo or v > hi or (lo_open and v == lo):
                bad(f"{name} must be in {'(' if lo_open else '['}{lo}, {hi}], got {v!r}")

        pos_int("epochs")
        pos_int("batch_size")
        pos_int("resolution", allow_none=True)
        pos_int("limit_train_batches", allow_none=True)
        pos_int("limit_val_batches", allow_none=True)
        if self.optimizer not in OPTIMIZERS:
            bad(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        num("lr", 0.0, math.inf, lo_open=True, allow_none=True)
        num("momentum", 0.0, 1.0)
        num("opt_eps", 0.0, 1.0, lo_open=True)
        num("rmsprop_alpha", 0.0, 1.0, lo_open=True)
        num("weight_decay", 0.0, 1.0)
        num("warmup_epochs", 0.0, math.inf)
        num("warmup_lr", 0.0, math.inf)
        num("min_lr", 0.0, math.inf)
        num("label_smoothing", 0.0, 0.999)
        num("ema_decay", 0.0, 0.999999, lo_open=True, allow_none=True)
        num("drop_path_rate", 0.0, 0.9)
        num("grad_clip", 0.0, math.inf, lo_open=True, allow_none=True)
        num("crop_pct", 0.1, 1.0, lo_open=False)
        num("kd_alpha", 0.0, 1.0)
        num("kd_temperature", 0.0, 100.0, lo_open=True)
        for name, hi in (("crop_scale", 1.0), ("crop_ratio", 100.0)):
            v = getattr(self, name)
            if (not isinstance(v, tuple) or len(v) != 2 or not all(isinstance(x, (int, float)) for x in v)
                    or not (0 < v[0] <= v[1] <= hi)):
                bad(f"{name} must be a pair 0 < lo <= hi <= {hi}, got {v!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            bad(f"seed must be an integer, got {self.seed!r}")
        for name in ("nesterov", "amp", "channels_last", "hflip", "ema_warmup"):
            if not isinstance(getattr(self, name), bool):
                bad(f"{name} must be true or false, got {getattr(self, name)!r}")

    @property
    def peak_lr(self) -> float:
        """The learning rate after warm-up: ``lr``, or the optimiser's default for ``batch_size``."""
        if self.lr is not None:
            return float(self.lr)
        if self.optimizer == "rmsproptf":
            return 0.016 * self.batch_size / 256
        return 0.1 * self.batch_size / 64

    # -- presets --------------------------------------------------------------------------------
    @classmethod
    def proxy(cls, **overrides: Any) -> "Recipe":
        """The short search-time schedule (the defaults), with ``overrides``."""
        return cls(**overrides)

    @classmethod
    def long(cls, **overrides: Any) -> "Recipe":
        """The final-training schedule: 450 epochs, RMSprop-TF (lr 0.016 per 256 images), EMA 0.9999
        (with warm-up), drop-path 0.2, weight decay 1e-5, label smoothing 0.1, 5 warm-up epochs,
        cosine decay.

        Meant for a GPU (batch 192, AMP); pass ``overrides`` (e.g. ``epochs=...``) to adapt. The
        learning-rate warm-up scales with the schedule unless ``warmup_epochs`` is given: 5 epochs,
        but never more than :data:`WARMUP_FRACTION` of ``epochs`` (0.5 of a 5-epoch run).
        """
        base = dict(
            epochs=450, batch_size=192, optimizer="rmsproptf", lr=None, momentum=0.9, opt_eps=1e-3,
            weight_decay=1e-5, warmup_epochs=5.0, warmup_lr=1e-6, min_lr=1e-6, label_smoothing=0.1,
            ema_decay=0.9999, drop_path_rate=0.2, crop_scale=(0.08, 1.0),
        )
        base.update(overrides)
        if "warmup_epochs" not in overrides:
            base["warmup_epochs"] = scaled_warmup(base["warmup_epochs"], base["epochs"])
        return cls(**base)

    # -- dict views -----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = asdict(self)
        d["crop_scale"] = list(self.crop_scale)
        d["crop_ratio"] = list(self.crop_ratio)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | "Recipe" | None) -> "Recipe":
        """A recipe from a (partial) mapping; unknown keys raise :class:`ConfigError`."""
        if d is None:
            return cls()
        if isinstance(d, Recipe):
            return d
        if not isinstance(d, Mapping):
            raise ConfigError(f"recipe must be a mapping of fields, got {type(d).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"recipe: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**dict(d))

    def replace(self, **changes: Any) -> "Recipe":
        return replace(self, **changes)
