"""The torch modules of the built-in block types, reproducing NVIDIA's GPUNet blocks exactly.

They follow NVIDIA's GPUNet reference (itself derived from timm's EfficientNet blocks); which
module a layer becomes is its block type's ``build`` (:mod:`gpunet_ray.search_space.blocks`):

* :class:`ConvBnAct` -- KxK conv, BN (eps 1e-3), activation (the stem is a 3x3 stride-2 one);
* :class:`FusedIRB` -- Fused-MBConv / EdgeResidual (EfficientNet-EdgeTPU, EfficientNetV2);
* :class:`IRB` -- MBConv / inverted residual with optional squeeze-excite (MobileNetV2, EfficientNet);
* :class:`Head` -- 1x1 conv to the classifier width, BN, ReLU, pooling, dropout, linear;
* the distilled-model blocks (``distill: true``): :class:`DStem`, :class:`DFusedIRB`,
  :class:`DIRB` (grouped 1x1 convs), :class:`DHead`.
"""

from __future__ import annotations

import torch
from torch import nn

from .spec import Layer
from .blocks import get_block, mid_channels, se_channels
from .blocks.tail import D_TAIL_HIDDEN

__all__ = ["ConvBnAct", "SqueezeExcite", "FusedIRB", "IRB", "Head", "DStem", "DFusedIRB", "DIRB", "DHead",
           "Residual"]

_BN_EPS = 1e-3


def _act(name: str | None) -> nn.Module:
    return nn.SiLU(inplace=True) if name == "swish" else nn.ReLU(inplace=True)


def _bn(c: int, eps: float = _BN_EPS) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, eps=eps)


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation (Hu et al., 2018) with the block's activation and a sigmoid gate."""

    def __init__(self, chs: int, rd_chs: int, act: str) -> None:
        super().__init__()
        self.conv_reduce = nn.Conv2d(chs, rd_chs, 1, bias=True)
        self.act = _act(act)
        self.conv_expand = nn.Conv2d(rd_chs, chs, 1, bias=True)
        self.gate = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)
        return x * self.gate(self.conv_expand(self.act(self.conv_reduce(s))))


class ConvBnAct(nn.Module):
    """KxK convolution + BN + activation; no residual (as in GPUNet)."""

    def __init__(self, in_chs: int, out_chs: int, kernel: int, stride: int, act: str | None, padding: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_chs, out_chs, kernel, stride=stride, padding=padding, bias=False)
        self.bn = _bn(out_chs)
        self.act = _act(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class Residual(nn.Module):
    """Base of the residual blocks: the shortcut (when the layer keeps its shape) with drop-path."""

    has_residual: bool = False
    drop_path: float = 0.0

    def __init__(self, layer: Layer, drop_path: float = 0.0) -> None:
        super().__init__()
        self.has_residual = layer.stride == 1 and layer.in_chs == layer.out_chs
        self.drop_path = drop_path

    def _add(self, x: torch.Tensor, shortcut: torch.Tensor) -> torch.Tensor:
        if not self.has_residual:
            return x
        if self.drop_path > 0.0 and self.training:
            keep = 1.0 - self.drop_path
            mask = torch.empty((x.shape[0], 1, 1, 1), dtype=x.dtype, device=x.device).bernoulli_(keep)
            x = x * mask / keep
        return x + shortcut


def _se(layer: Layer, mid: int) -> nn.Module:
    return SqueezeExcite(mid, se_channels(layer, mid), layer.act) if layer.use_se else nn.Identity()


def _mid_pad(layer: Layer) -> tuple[int, int]:
    """Expanded width and the strided conv's padding, as the layer's block type computes them."""
    return mid_channels(layer, False), get_block(layer.type).padding(layer, False)


class FusedIRB(Residual):
    """Fused inverted residual: KxK expansion conv (strided), BN, act, [SE], 1x1 projection, BN."""

    def __init__(self, layer: Layer, drop_path: float = 0.0) -> None:
        super().__init__(layer, drop_path)
        mid, pad = _mid_pad(layer)
        self.conv_exp = nn.Conv2d(layer.in_chs, mid, layer.kernel, layer.stride, pad, bias=False)
        self.bn1 = _bn(mid)
        self.act1 = _act(layer.act)
        self.se = _se(layer, mid)
        self.conv_pwl = nn.Conv2d(mid, layer.out_chs, 1, bias=False)
        self.bn2 = _bn(layer.out_chs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.se(self.act1(self.bn1(self.conv_exp(x))))
        return self._add(self.bn2(self.conv_pwl(y)), x)


class IRB(Residual):
    """Inverted residual: 1x1 expansion, BN, act, KxK depthwise (strided), BN, act, [SE], 1x1, BN."""

    def __init__(self, layer: Layer, drop_path: float = 0.0) -> None:
        super().__init__(layer, drop_path)
        mid, pad = _mid_pad(layer)
        self.conv_pw = nn.Conv2d(layer.in_chs, mid, 1, bias=False)
        self.bn1 = _bn(mid)
        self.act1 = _act(layer.act)
        self.conv_dw = nn.Conv2d(mid, mid, layer.kernel, layer.stride, pad, groups=mid, bias=False)
        self.bn2 = _bn(mid)
        self.act2 = _act(layer.act)
        self.se = _se(layer, mid)
        self.conv_pwl = nn.Conv2d(mid, layer.out_chs, 1, bias=False)
        self.bn3 = _bn(layer.out_chs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act1(self.bn1(self.conv_pw(x)))
        y = self.se(self.act2(self.bn2(self.conv_dw(y))))
        return self._add(self.bn3(self.conv_pwl(y)), x)


class Head(nn.Module):
    """Classifier: 1x1 conv, BN, ReLU, global average pool, dropout, linear."""

    def __init__(self, in_chs: int, chs: int, num_classes: int, dropout: float = 0.2) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_chs, chs, 1, bias=False)
        self.bn = _bn(chs)
        self.act = nn.ReLU(inplace=True)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(chs, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.act(self.bn(self.conv(x)))).flatten(1)
        return self.fc(self.dropout(x))


# -- distilled ("D") models: plain torch blocks, BN with PyTorch's default eps ------------------
class DStem(nn.Sequential):
    """3x3 stride-2 conv, BN, ReLU; ``large`` adds two 3x3 stride-1 conv-BN-ReLU (head_large)."""

    def __init__(self, in_chs: int, out_chs: int, large: bool = False) -> None:
        mods: list[nn.Module] = [nn.Conv2d(in_chs, out_chs, 3, 2, 1, bias=False), nn.BatchNorm2d(out_chs), nn.ReLU()]
        if large:
            for _ in range(2):
                mods += [nn.Conv2d(out_chs, out_chs, 3, 1, 1, bias=False), nn.BatchNorm2d(out_chs), nn.ReLU()]
        super().__init__(*mods)


class DFusedIRB(Residual):
    def __init__(self, layer: Layer) -> None:
        super().__init__(layer)
        mid = mid_channels(layer, True)
        self.body = nn.Sequential(
            nn.Conv2d(layer.in_chs, mid, layer.kernel, layer.stride, layer.kernel // 2, bias=False),
            _bn(mid),
            nn.ReLU(),
            nn.Conv2d(mid, layer.out_chs, 1, bias=False),
            _bn(layer.out_chs),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._add(self.body(x), x)


class DIRB(Residual):
    def __init__(self, layer: Layer) -> None:
        super().__init__(layer)
        mid, g = mid_channels(layer, True), layer.groups
        self.body = nn.Sequential(
            nn.Conv2d(layer.in_chs, mid, 1, groups=g, bias=False),
            nn.BatchNorm2d(mid),
            nn.ReLU(),
            nn.Conv2d(mid, mid, layer.kernel, layer.stride, layer.kernel // 2, groups=mid, bias=False),
            nn.BatchNorm2d(mid),
            nn.ReLU(),
            nn.Conv2d(mid, layer.out_chs, 1, groups=g, bias=False),
            nn.BatchNorm2d(layer.out_chs),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._add(self.body(x), x)


class DHead(nn.Sequential):
    """Distilled classifier: 1x1 conv to 1152, BN, ReLU, pool, 1x1 conv, ReLU, dropout, linear."""

    def __init__(self, in_chs: int, chs: int, num_classes: int) -> None:
        super().__init__(
            nn.Conv2d(in_chs, D_TAIL_HIDDEN, 1, bias=False),
            nn.BatchNorm2d(D_TAIL_HIDDEN),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(D_TAIL_HIDDEN, chs, 1, bias=False),
            nn.ReLU(),
            nn.Flatten(),
            nn.Dropout(0.2),
            nn.Linear(chs, num_classes),
        )
