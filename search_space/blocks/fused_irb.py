"""``fused_irb``: Fused-MBConv / EdgeResidual (EfficientNet-EdgeTPU, EfficientNetV2).

KxK expansion conv (strided), BN, act, [SE], 1x1 projection, BN; residual when the shape is kept.
"""

from __future__ import annotations

from .base import Counter, ExpandingBlock, mid_channels, out_size

__all__ = ["FusedIRBType"]


class FusedIRBType(ExpandingBlock):
    name = "fused_irb"
    code = "F"
    title = "Fused-IRB"
    feature_kind = "fused_irb"

    def padding(self, layer, distill):
        if distill:
            return layer.kernel // 2
        # timm "same" padding: static k//2 at stride 1; the dynamic path at stride 2 is not
        # implemented in NVIDIA's builder, so no padding at all.
        return layer.kernel // 2 if layer.stride == 1 else 0

    def stats(self, layer, hw, distill):
        c = Counter()
        mid = mid_channels(layer, distill)
        hw = out_size(hw, layer.kernel, layer.stride, self.padding(layer, distill))
        c.conv(layer.in_chs, mid, layer.kernel, hw)
        self.add_se(c, layer, mid, distill)
        c.conv(mid, layer.out_chs, 1, hw)
        return c.params, c.macs, hw, (mid + layer.out_chs) * hw * hw

    def build(self, layer, distill, drop_path):
        from ..modules import DFusedIRB, FusedIRB

        return DFusedIRB(layer) if distill else FusedIRB(layer, drop_path)

    def baseline_wishes(self, family, stage, earlier):
        return {"act": "swish"} if family == "gpunet-like" else {}
