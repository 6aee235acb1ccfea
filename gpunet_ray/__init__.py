"""gpunet_ray: hardware-aware neural architecture search (GPUNet) on Ray.

``import gpunet_ray`` is cheap and works on a CPU-only machine without tensorrt, DALI or a GPU:
heavy pieces (torch, Ray, BoTorch) are imported on first use.

Models as a library: ``gpunet_ray.create_model("gpunet-0", weights=PATH)`` (timm-style; presets,
arch strings, GPUNet JSON), ``gpunet_ray.load_model(HUB_OR_DIR, tier=... | budget_ms=...)`` (a hub's
trained network, eval mode), ``gpunet_ray.list_models()``.
"""

from __future__ import annotations

from ._lazy import lazy_attributes
from .errors import (
    BackendUnavailable,
    ConfigError,
    DatasetError,
    GpunetRayError,
    InvalidArchitecture,
    OutOfMemory,
    OverLatencyBudget,
    TrainingDiverged,
)

__version__ = "0.1.0"

_LAZY = {
    "ArchSpec": "gpunet_ray.search_space",
    "SearchSpace": "gpunet_ray.search_space",
    "get_space": "gpunet_ray.search_space",
    "build_model": "gpunet_ray.search_space",
    "export_onnx": "gpunet_ray.search_space",
    "LAMCTSSearch": "gpunet_ray.searchers",
    "LAMCTS": "gpunet_ray.searchers",
    "create_model": "gpunet_ray.models",
    "load_model": "gpunet_ray.models",
    "list_models": "gpunet_ray.models",
}

__all__ = [
    "BackendUnavailable",
    "ConfigError",
    "DatasetError",
    "GpunetRayError",
    "InvalidArchitecture",
    "OutOfMemory",
    "OverLatencyBudget",
    "TrainingDiverged",
    *_LAZY,
]

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
