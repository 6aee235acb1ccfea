"""``irb``: MBConv / inverted residual with optional squeeze-excite (MobileNetV2, EfficientNet).

1x1 expansion, BN, act, KxK depthwise (strided), BN, act, [SE], 1x1 projection, BN; residual when
the shape is kept. Distilled models group the two 1x1 convolutions (``groups``).
"""

from __future__ import annotations

from gpunet_ray.errors import InvalidArchitecture

from .base import Counter, ExpandingBlock, mid_channels, out_size

__all__ = ["IRBType"]


class IRBType(ExpandingBlock):
    name = "irb"
    code = "I"
    title = "IRB"
    feature_kind = "irb"

    def check_groups(self, layer, where, mid):
        g = layer.groups
        if layer.in_chs % g or mid % g or layer.out_chs % g:
            raise InvalidArchitecture(
                f"{where}: groups {g} must divide the in ({layer.in_chs}), expanded ({mid}) "
                f"and out ({layer.out_chs}) channel counts"
            )

    def stats(self, layer, hw, distill):
        c = Counter()
        mid = mid_channels(layer, distill)
        g = layer.groups if distill else 1
        c.conv(layer.in_chs, mid, 1, hw, groups=g)
        acts = mid * hw * hw
        hw = out_size(hw, layer.kernel, layer.stride, self.padding(layer, distill))
        c.conv(mid, mid, layer.kernel, hw, groups=mid)
        acts += mid * hw * hw
        self.add_se(c, layer, mid, distill)
        c.conv(mid, layer.out_chs, 1, hw, groups=g)
        acts += layer.out_chs * hw * hw
        return c.params, c.macs, hw, acts

    def build(self, layer, distill, drop_path):
        from ..modules import DIRB, IRB

        return DIRB(layer) if distill else IRB(layer, drop_path)

    def dw_macs(self, layer, out_hw, distill):
        return mid_channels(layer, distill) * layer.kernel * layer.kernel * out_hw * out_hw

    def baseline_wishes(self, family, stage, earlier):
        if family != "gpunet-like":
            return {}
        strided = stage.stride == 2
        first = not any(e.block == self.name and e.stride == 2 for e in earlier)
        # GPUNet-1: swish in the first strided IRB stage, relu later; SE in the strided IRB stages
        return {"act": "swish" if strided and first else None, "se": strided}
