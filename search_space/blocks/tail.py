"""``tail``: the classifier (NVIDIA's epilogue).

1x1 conv to ``num_out_channels``, BN, ReLU, global average pool, dropout, linear. Distilled models
use a larger one: 1x1 conv to 1152, BN, ReLU, pool, 1x1 conv to ``num_out_channels``, ReLU,
dropout, linear.
"""

from __future__ import annotations

from gpunet_ray.errors import InvalidArchitecture

from .base import BlockType, Counter, is_int

__all__ = ["TailType", "D_TAIL_HIDDEN"]

D_TAIL_HIDDEN = 1152  # fixed width of the distilled models' classifier head (EpilogueD)


class TailType(BlockType):
    name = "tail"
    code = "T"
    title = "tail"
    role = "tail"
    fields = ("act", "stage", "num_classes")
    required = ("num_in_channels", "num_out_channels", "num_classes")
    feature_kind = "tail"

    def check(self, layer, where, index, n_layers, distill):
        if not is_int(layer.num_classes) or layer.num_classes <= 0:
            raise InvalidArchitecture(f"{where}: num_classes must be a positive integer, got {layer.num_classes!r}")

    def stats(self, layer, hw, distill):
        c = Counter()
        if distill:
            c.conv(layer.in_chs, D_TAIL_HIDDEN, 1, hw)
            c.conv(D_TAIL_HIDDEN, layer.out_chs, 1, 1, bn=False)
            acts = D_TAIL_HIDDEN * hw * hw
        else:
            c.conv(layer.in_chs, layer.out_chs, 1, hw)
            acts = layer.out_chs * hw * hw
        c.linear(layer.out_chs, layer.num_classes)
        return c.params, c.macs, hw, acts + layer.num_classes

    def build(self, layer, distill, drop_path):
        from ..modules import DHead, Head

        return (DHead if distill else Head)(layer.in_chs, layer.out_chs, layer.num_classes)
