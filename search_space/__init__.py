"""GPUNet architectures as data: ``ArchSpec``, block types, search spaces, statistics (torch-free)."""

from .spec import ACTIVATIONS, ArchSpec, Layer, as_spec, load_arch_file, make_divisible
from .blocks import BlockType, get_block, list_blocks, register_block, unregister_block
from .stats import ArchStats, arch_stats

__all__ = [
    "ACTIVATIONS",
    "LAYER_TYPES",
    "ArchSpec",
    "Layer",
    "as_spec",
    "load_arch_file",
    "make_divisible",
    "BlockType",
    "get_block",
    "list_blocks",
    "register_block",
    "unregister_block",
    "ArchStats",
    "arch_stats",
]

from .space import Dim, SearchSpace, StageSpec  # noqa: E402
from .spaces import get_space, list_spaces, load_space, register_space  # noqa: E402

__all__ += ["Dim", "SearchSpace", "StageSpec", "get_space", "list_spaces", "load_space", "register_space"]

_LAZY = {"build_model", "count_params", "count_macs", "export_onnx"}


def __getattr__(name):  # torch only when a builder function is used
    if name == "LAYER_TYPES":  # the registered block types, read when asked (types can be added)
        return list_blocks()
    if name in _LAZY:
        from . import builder

        return getattr(builder, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
