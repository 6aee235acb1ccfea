"""gpunet_ray: hardware-aware neural architecture search (GPUNet) on Ray.

``import gpunet_ray`` is cheap and works on a CPU-only machine without tensorrt, DALI or a GPU:
heavy pieces (torch, Ray, BoTorch) are imported on first use.
"""

from __future__ import annotations

from importlib import import_module

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


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gpunet_ray' has no attribute {name!r}")
