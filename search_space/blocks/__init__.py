"""Block types: each ``layer_type`` of the GPUNet format declared once, in one module.

A :class:`BlockType` holds everything about one type: its arch-string token code, its NVIDIA JSON
keys, its checks, its analytic statistics, its torch module, its search-space choices, its
latency-predictor features and how the hand-designed baselines set it. ``ArchSpec``, search
spaces, the builder, the statistics and size limits, the latency predictor and the baselines all
read the registry; none of them names a block type.

Adding a block type (see ``tests/test_block_registry.py`` for a complete example)::

    from gpunet_ray.search_space.blocks import BlockType, Counter, check_stride_kernel, out_size, register_block

    @register_block
    class ResConv(BlockType):
        name, code, title = "res_conv", "R", "residual conv"   # JSON layer_type, token code
        fields = ("stride", "kernel", "act", "stage")           # Layer attributes its JSON carries
        required = ("num_in_channels", "num_out_channels", "stride", "kernel_size")
        stage_dims = ("kernel", "act")                          # its choices in a search space
        feature_kind = "conv"                                   # its latency-predictor group

        def check(self, layer, where, index, n_layers, distill): check_stride_kernel(layer, where)
        def stats(self, layer, hw, distill): ...                # (params, macs, out_hw, activations)
        def build(self, layer, distill, drop_path): ...         # the torch module (import torch here)

Built-in types, in registration order: ``head``, ``head_large``, ``conv``, ``fused_irb``, ``irb``,
``tail``.
"""

from __future__ import annotations

from .base import (
    ACTIVATIONS,
    FEATURE_KINDS,
    ROLES,
    STAGE_CHOICES,
    BlockType,
    Counter,
    ExpandingBlock,
    StageChoice,
    check_act,
    check_se_flag,
    check_stride_kernel,
    make_divisible,
    mid_channels,
    out_size,
    se_channels,
)
from .conv import ConvType
from .fused_irb import FusedIRBType
from .irb import IRBType
from .registry import block_for_code, blocks_with_role, get_block, list_blocks, register_block, unregister_block
from .stem import HeadLargeType, HeadType
from .tail import TailType

__all__ = [
    "BlockType", "ExpandingBlock", "Counter", "StageChoice", "STAGE_CHOICES", "FEATURE_KINDS", "ROLES",
    "ACTIVATIONS", "register_block", "unregister_block", "get_block", "block_for_code", "list_blocks",
    "blocks_with_role", "check_stride_kernel", "check_act", "check_se_flag", "make_divisible", "mid_channels",
    "se_channels", "out_size", "HeadType", "HeadLargeType", "ConvType", "FusedIRBType", "IRBType", "TailType",
]

for _block in (HeadType, HeadLargeType, ConvType, FusedIRBType, IRBType, TailType):
    register_block(_block, replace=True)
