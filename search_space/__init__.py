"""GPUNet architectures as data: ``ArchSpec``, search spaces, statistics (torch-free)."""

from .arch import ACTIVATIONS, LAYER_TYPES, ArchSpec, Layer, load_arch_file, make_divisible
from .stats import ArchStats, arch_stats

__all__ = [
    "ACTIVATIONS",
    "LAYER_TYPES",
    "ArchSpec",
    "Layer",
    "load_arch_file",
    "make_divisible",
    "ArchStats",
    "arch_stats",
]

from .space import Dim, SearchSpace, StageSpec, get_space, list_spaces, load_space, register_space  # noqa: E402

__all__ += ["Dim", "SearchSpace", "StageSpec", "get_space", "list_spaces", "load_space", "register_space"]

_LAZY = {"build_model", "count_params", "count_macs", "export_onnx"}


def __getattr__(name):  # torch only when a builder function is used
    if name in _LAZY:
        from . import builder

        return getattr(builder, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
