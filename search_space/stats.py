"""Pure-Python shape propagation: parameter count, MACs and activation traffic of an ArchSpec.

No torch needed, so the searcher, the latency predictor and the CLI can use it cheaply. The
builder's module-level counts are checked against these in the test suite.

Size limits (:func:`check_size`): before anything builds a network (ONNX export, a latency
measurement, a training trial), its size is computed here with Python integers, so an absurd
architecture (``expansion: 100000``, ``img_resolution: 100000``) is refused with
:class:`~gpunet_ray.errors.TooLarge` instead of a failed 100 GB allocation or an OOM kill:

* ``params`` -- the parameter count (:attr:`ArchStats.params`);
* activation memory at the job's batch, in GB (10^9 bytes), fp32 (4 bytes per element; mixed
  precision needs less, so this is conservative): for *inference* (export, latency) the
  largest working set of one layer (:attr:`ArchStats.peak_activations`: its input plus every
  feature map it produces) x batch; for *training* every layer's feature maps, which autograd
  keeps for the backward pass (:attr:`ArchStats.activations`) x batch. Both are lower bounds
  of what the frameworks really use (normalisation and activation outputs are not counted).

Default limits (:data:`DEFAULT_LIMITS`): 1e9 parameters; 32 GB of activations for inference
and 256 GB for training. The released GPUNets pass with a wide margin: the largest has 40 M
parameters (GPUNet-P1), every preset needs under 0.1 GB to run at batch 1, and the largest
training estimate at the project's biggest batch (256, ``experiments/gpunet_a100.yaml``) is
GPUNet-D2's (528 px) 102 GB (GPUNet-2: 25 GB); the ``gpunet`` space's largest samples reach
about 135 GB there. ``img_resolution: 100000`` needs about 800 GB at batch 1 and ``expansion:
100000`` in a late IRB over 10^10 parameters, so both are refused. The environment variables
``GPUNET_RAY_MAX_PARAMS`` and ``GPUNET_RAY_MAX_ACTIVATION_GB`` (the latter for both kinds of job)
change the defaults in every process that reads them (CLIs, trials, latency actors); the CLIs'
``--max-params`` / ``--max-activation-gb`` and a trial's ``config["limits"]`` override them.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Mapping

from gpunet_ray.errors import ConfigError, InvalidArchitecture, TooLarge

from .spec import ArchSpec, Layer
from .blocks import get_block, mid_channels, se_channels
from .blocks.base import fmt_count as _fmt_count

__all__ = ["ArchStats", "LayerStats", "arch_stats", "mid_channels", "se_channels", "padding_of",
           "Limits", "DEFAULT_LIMITS", "default_limits", "activation_bytes", "check_size"]


@dataclass(frozen=True)
class LayerStats:
    params: int
    macs: int
    out_hw: int
    activations: int  # output elements (batch 1): a proxy for memory traffic
    peak: int = 0  # input + output elements (batch 1): the layer's working set at inference


@dataclass(frozen=True)
class ArchStats:
    params: int
    macs: int
    activations: int
    layers: tuple[LayerStats, ...]
    peak_activations: int = 0  # max over layers of LayerStats.peak (batch 1)

    @property
    def final_hw(self) -> int:
        return self.layers[-2].out_hw if len(self.layers) > 1 else self.layers[-1].out_hw


def padding_of(layer: Layer, distill: bool) -> int:
    """Spatial padding of the block's strided (KxK) convolution, as NVIDIA's builder sets it."""
    return get_block(layer.type).padding(layer, distill)


def arch_stats(spec: ArchSpec) -> ArchStats:
    """Parameters, MACs and feature-map sizes of ``spec`` (batch 1), with Python integers.

    Each layer's figures come from its block type's ``stats`` (:mod:`gpunet_ray.search_space.blocks`).
    """
    hw = spec.resolution
    per: list[LayerStats] = []
    for layer in spec.layers:
        in_acts = layer.in_chs * hw * hw
        params, macs, hw, acts = get_block(layer.type).stats(layer, hw, spec.distill)
        if hw <= 0:
            raise InvalidArchitecture(
                f"the feature map vanishes at layer {len(per)} ({layer.type}); "
                "raise the resolution or remove a stride-2 stage"
            )
        per.append(LayerStats(params=params, macs=macs, out_hw=hw, activations=acts, peak=in_acts + acts))
    return ArchStats(
        params=sum(p.params for p in per),
        macs=sum(p.macs for p in per),
        activations=sum(p.activations for p in per),
        layers=tuple(per),
        peak_activations=max(p.peak for p in per),
    )


# -- size limits ----------------------------------------------------------------------------------
_GB = 10**9
_ENV_PARAMS = "GPUNET_RAY_MAX_PARAMS"
_ENV_ACT_GB = "GPUNET_RAY_MAX_ACTIVATION_GB"


@dataclass(frozen=True)
class Limits:
    """Largest network a job may build: ``max_params`` parameters and ``max_activation_gb`` GB of
    activation memory at the job's batch (see the module docstring for how both are estimated);
    ``max_activation_gb=None`` means 32 GB for inference and 256 GB for training."""

    max_params: int = 1_000_000_000
    max_activation_gb: float | None = None

    INFERENCE_GB = 32.0
    TRAINING_GB = 256.0

    def activation_gb(self, training: bool) -> float:
        """The activation limit in GB for an inference (export, latency) or a training job."""
        if self.max_activation_gb is not None:
            return float(self.max_activation_gb)
        return self.TRAINING_GB if training else self.INFERENCE_GB

    def __post_init__(self) -> None:
        p, g = self.max_params, self.max_activation_gb
        if isinstance(p, float) and math.isfinite(p) and p.is_integer():
            object.__setattr__(self, "max_params", int(p))
            p = int(p)
        if not isinstance(p, int) or isinstance(p, bool) or p < 1:
            raise ConfigError(f"max_params must be a positive integer, got {p!r}")
        if g is not None and (not isinstance(g, (int, float)) or isinstance(g, bool) or not (math.isfinite(g) and g > 0)):
            raise ConfigError(f"max_activation_gb must be a positive number, got {g!r}")

    @classmethod
    def from_any(cls, limits: "Limits | Mapping[str, Any] | None" = None, **overrides: Any) -> "Limits":
        """Limits from ``None`` (the defaults), a :class:`Limits` or a mapping with ``max_params``
        and/or ``max_activation_gb``; ``overrides`` that are not ``None`` win."""
        base = default_limits()
        if isinstance(limits, Limits):
            base = limits
        elif isinstance(limits, Mapping):
            unknown = sorted(set(limits) - {"max_params", "max_activation_gb"})
            if unknown:
                raise ConfigError(f"limits: unknown key(s) {', '.join(map(str, unknown))}; "
                                  "known: max_params, max_activation_gb")
            base = cls(**{**_fields(base), **{k: v for k, v in limits.items() if v is not None}})
        elif limits is not None:
            raise ConfigError(f"limits must be a mapping (max_params, max_activation_gb), got {type(limits).__name__}")
        kw = {k: v for k, v in overrides.items() if v is not None}
        return cls(**{**_fields(base), **kw}) if kw else base


def _fields(lim: Limits) -> dict:
    return {"max_params": lim.max_params, "max_activation_gb": lim.max_activation_gb}


#: The built-in defaults (before the environment variables; see the module docstring).
DEFAULT_LIMITS = Limits()


def default_limits() -> Limits:
    """:data:`DEFAULT_LIMITS`, with ``GPUNET_RAY_MAX_PARAMS`` / ``GPUNET_RAY_MAX_ACTIVATION_GB`` applied."""
    kw: dict[str, Any] = {}
    for env, key, conv in ((_ENV_PARAMS, "max_params", int), (_ENV_ACT_GB, "max_activation_gb", float)):
        raw = os.environ.get(env, "").strip()
        if raw:
            try:
                kw[key] = conv(float(raw)) if conv is int else conv(raw)
            except (ValueError, OverflowError):
                raise ConfigError(f"environment variable {env}={raw!r} is not a number") from None
    return Limits(**kw) if kw else DEFAULT_LIMITS


def activation_bytes(spec: ArchSpec | ArchStats, batch: int = 1, *, training: bool = False,
                     dtype_bytes: int = 4) -> int:
    """Estimated activation memory in bytes at ``batch``: every feature map when ``training``
    (kept for the backward pass), else the largest single layer's working set."""
    st = spec if isinstance(spec, ArchStats) else arch_stats(spec)
    elems = st.activations if training else st.peak_activations
    return int(elems) * int(batch) * int(dtype_bytes)


def _fmt_gb(b: int) -> str:
    return f"{b / _GB:.3g} GB" if b < 10**300 else f"{_fmt_count(b // _GB)} GB"


def check_size(spec: ArchSpec, batch: int = 1, *, training: bool = False,
               limits: Limits | Mapping[str, Any] | None = None, dtype_bytes: int = 4,
               flags: tuple[str, str] = ("the max_params limit (GPUNET_RAY_MAX_PARAMS)",
                                         "the max_activation_gb limit (GPUNET_RAY_MAX_ACTIVATION_GB)")) -> dict:
    """Refuse ``spec`` with :class:`TooLarge` when it is above ``limits`` at ``batch``.

    Pure Python, no allocation. ``flags`` name the settings that raise the limits in the error
    message (``("--max-params", "--max-activation-gb")`` for the CLIs). Returns the sizes:
    ``{"params", "activation_bytes", "batch", "training"}``.
    """
    lim = Limits.from_any(limits)
    st = arch_stats(spec)
    act = activation_bytes(st, batch, training=training, dtype_bytes=dtype_bytes)
    what = "training" if training else "inference"
    if st.params > lim.max_params:
        raise TooLarge(
            f"the network has {_fmt_count(st.params)} parameters, above the limit of {lim.max_params:,}; "
            f"shrink it (channels, expansion) or raise {flags[0]} if this size is intended"
        )
    gb = lim.activation_gb(training)
    if act > gb * _GB:
        raise TooLarge(
            f"the network needs an estimated {_fmt_gb(act)} of activation memory for {what} at batch {batch} "
            f"(resolution {_fmt_count(spec.resolution)}), above the limit of {gb:g} GB; "
            f"lower the resolution, widths or batch, or raise {flags[1]} if this size is intended"
        )
    return {"params": st.params, "activation_bytes": act, "batch": int(batch), "training": bool(training)}
