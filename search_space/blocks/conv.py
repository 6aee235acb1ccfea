"""``conv``: KxK convolution, BN, activation; no residual (GPUNet's early stages)."""

from __future__ import annotations

from gpunet_ray.errors import InvalidArchitecture

from .base import BlockType, Counter, check_act, check_se_flag, check_stride_kernel, out_size

__all__ = ["ConvType"]


class ConvType(BlockType):
    name = "conv"
    code = "C"
    title = "conv"
    role = "block"
    fields = ("stride", "kernel", "expansion", "act", "use_se", "stage", "groups")
    required = ("num_in_channels", "num_out_channels", "stride", "kernel_size")
    stage_dims = ("kernel", "act")
    feature_kind = "conv"

    def check(self, layer, where, index, n_layers, distill):
        check_stride_kernel(layer, where)
        if distill:
            raise InvalidArchitecture(f"{where}: conv layers are not part of the distilled (D) format")
        check_act(layer, where)
        check_se_flag(layer, where)

    def stats(self, layer, hw, distill):
        c = Counter()
        hw = out_size(hw, layer.kernel, layer.stride, self.padding(layer, distill))
        c.conv(layer.in_chs, layer.out_chs, layer.kernel, hw)
        return c.params, c.macs, hw, layer.out_chs * hw * hw

    def build(self, layer, distill, drop_path):
        from ..modules import ConvBnAct

        return ConvBnAct(layer.in_chs, layer.out_chs, layer.kernel, layer.stride, layer.act,
                         self.padding(layer, False))

    def predictor_kind(self, index):
        return "stem" if index == 0 else self.feature_kind  # a conv first layer is the network's stem
