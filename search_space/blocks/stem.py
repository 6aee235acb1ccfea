"""``head`` and ``head_large``: the network's stem (NVIDIA calls it the head).

``head``: 3x3 stride-2 conv, BN, activation (swish unless ``act`` says otherwise; ReLU in distilled
models). ``head_large`` (distilled models only): the same plus two 3x3 stride-1 conv-BN-ReLU.
"""

from __future__ import annotations

from gpunet_ray.errors import InvalidArchitecture

from .base import BlockType, Counter, out_size

__all__ = ["HeadType", "HeadLargeType"]


class HeadType(BlockType):
    name = "head"
    code = "H"
    title = "head"
    role = "stem"
    fields = ("act", "stage")  # the stem has a fixed shape in NVIDIA's builder
    feature_kind = "stem"
    extra_convs = 0  # 3x3 stride-1 convolutions after the strided one

    def stats(self, layer, hw, distill):
        c = Counter()
        hw = out_size(hw, 3, 2, 1)
        c.conv(layer.in_chs, layer.out_chs, 3, hw)
        for _ in range(self.extra_convs):
            c.conv(layer.out_chs, layer.out_chs, 3, hw)
        return c.params, c.macs, hw, layer.out_chs * hw * hw

    def build(self, layer, distill, drop_path):
        from ..modules import ConvBnAct, DStem

        if distill:
            return DStem(layer.in_chs, layer.out_chs)
        return ConvBnAct(layer.in_chs, layer.out_chs, 3, 2, layer.act or "swish", padding=1)

    def space_layer(self, layer):
        """A search space sees the head as a 3x3 stride-2 conv (its stage 0)."""
        return type(layer)(type="conv", in_chs=layer.in_chs, out_chs=layer.out_chs, stride=2, kernel=3,
                           act=layer.act or "swish", stage=0)


class HeadLargeType(HeadType):
    name = "head_large"
    code = "HL"
    title = "head_large"
    extra_convs = 2

    def check(self, layer, where, index, n_layers, distill):
        if not distill:
            raise InvalidArchitecture(f"{where}: head_large is only valid in distilled models (data.distill=true)")

    def build(self, layer, distill, drop_path):
        from ..modules import DStem

        return DStem(layer.in_chs, layer.out_chs, large=True)

    def space_layer(self, layer):
        raise InvalidArchitecture("layer 0 (head_large): distilled stems are not in this space")
