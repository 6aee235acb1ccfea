"""ArchSpec -> ``torch.nn.Module``, reproducing NVIDIA's GPUNet blocks exactly.

Blocks follow NVIDIA's GPUNet reference (itself derived from timm's EfficientNet blocks):

* :class:`ConvBnAct` -- KxK conv, BN (eps 1e-3), activation (the stem is a 3x3 stride-2 one);
* :class:`FusedIRB` -- Fused-MBConv / EdgeResidual (EfficientNet-EdgeTPU, EfficientNetV2);
* :class:`IRB` -- MBConv / inverted residual with optional squeeze-excite (MobileNetV2, EfficientNet);
* :class:`Head` -- 1x1 conv to the classifier width, BN, ReLU, pooling, dropout, linear;
* the distilled-model blocks (``distill: true``): :class:`DStem`, :class:`DFusedIRB`,
  :class:`DIRB` (grouped 1x1 convs), :class:`DHead`.

Parameter counts match NVIDIA's released models exactly (see tests). torch is imported here
only; the rest of ``search_space`` is torch-free.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .arch import ArchSpec, Layer
from .stats import _D_TAIL_HIDDEN, mid_channels, padding_of, se_channels

__all__ = [
    "build_model",
    "count_params",
    "count_macs",
    "export_onnx",
    "ONNX_OPSET",
    "GPUNet",
    "ConvBnAct",
    "FusedIRB",
    "IRB",
    "SqueezeExcite",
    "Head",
]

ONNX_OPSET = 17
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


class _Residual(nn.Module):
    has_residual: bool = False
    drop_path: float = 0.0

    def _add(self, x: torch.Tensor, shortcut: torch.Tensor) -> torch.Tensor:
        if not self.has_residual:
            return x
        if self.drop_path > 0.0 and self.training:
            keep = 1.0 - self.drop_path
            mask = torch.empty((x.shape[0], 1, 1, 1), dtype=x.dtype, device=x.device).bernoulli_(keep)
            x = x * mask / keep
        return x + shortcut


class FusedIRB(_Residual):
    """Fused inverted residual: KxK expansion conv (strided), BN, act, [SE], 1x1 projection, BN."""

    def __init__(self, layer: Layer, drop_path: float = 0.0) -> None:
        super().__init__()
        mid = mid_channels(layer, False)
        self.has_residual = layer.stride == 1 and layer.in_chs == layer.out_chs
        self.drop_path = drop_path
        self.conv_exp = nn.Conv2d(layer.in_chs, mid, layer.kernel, layer.stride, padding_of(layer, False), bias=False)
        self.bn1 = _bn(mid)
        self.act1 = _act(layer.act)
        self.se = SqueezeExcite(mid, se_channels(layer, mid), layer.act) if layer.use_se else nn.Identity()
        self.conv_pwl = nn.Conv2d(mid, layer.out_chs, 1, bias=False)
        self.bn2 = _bn(layer.out_chs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.se(self.act1(self.bn1(self.conv_exp(x))))
        return self._add(self.bn2(self.conv_pwl(y)), x)


class IRB(_Residual):
    """Inverted residual: 1x1 expansion, BN, act, KxK depthwise (strided), BN, act, [SE], 1x1, BN."""

    def __init__(self, layer: Layer, drop_path: float = 0.0) -> None:
        super().__init__()
        mid = mid_channels(layer, False)
        self.has_residual = layer.stride == 1 and layer.in_chs == layer.out_chs
        self.drop_path = drop_path
        self.conv_pw = nn.Conv2d(layer.in_chs, mid, 1, bias=False)
        self.bn1 = _bn(mid)
        self.act1 = _act(layer.act)
        pad = padding_of(layer, False)
        self.conv_dw = nn.Conv2d(mid, mid, layer.kernel, layer.stride, pad, groups=mid, bias=False)
        self.bn2 = _bn(mid)
        self.act2 = _act(layer.act)
        self.se = SqueezeExcite(mid, se_channels(layer, mid), layer.act) if layer.use_se else nn.Identity()
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


class DFusedIRB(_Residual):
    def __init__(self, layer: Layer) -> None:
        super().__init__()
        mid = mid_channels(layer, True)
        self.has_residual = layer.stride == 1 and layer.in_chs == layer.out_chs
        self.body = nn.Sequential(
            nn.Conv2d(layer.in_chs, mid, layer.kernel, layer.stride, layer.kernel // 2, bias=False),
            _bn(mid),
            nn.ReLU(),
            nn.Conv2d(mid, layer.out_chs, 1, bias=False),
            _bn(layer.out_chs),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._add(self.body(x), x)


class DIRB(_Residual):
    def __init__(self, layer: Layer) -> None:
        super().__init__()
        mid, g = mid_channels(layer, True), layer.groups
        self.has_residual = layer.stride == 1 and layer.in_chs == layer.out_chs
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
            nn.Conv2d(in_chs, _D_TAIL_HIDDEN, 1, bias=False),
            nn.BatchNorm2d(_D_TAIL_HIDDEN),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(_D_TAIL_HIDDEN, chs, 1, bias=False),
            nn.ReLU(),
            nn.Flatten(),
            nn.Dropout(0.2),
            nn.Linear(chs, num_classes),
        )


class GPUNet(nn.Sequential):
    """The network; ``spec`` and ``resolution`` are kept for export and reporting."""

    def __init__(self, spec: ArchSpec, modules: list[nn.Module]) -> None:
        super().__init__(*modules)
        self.spec = spec
        self.resolution = spec.resolution


def _block(layer: Layer, distill: bool, drop_path: float) -> nn.Module:
    t = layer.type
    if t == "head":
        if distill:
            return DStem(layer.in_chs, layer.out_chs)
        return ConvBnAct(layer.in_chs, layer.out_chs, 3, 2, layer.act or "swish", padding=1)
    if t == "head_large":
        return DStem(layer.in_chs, layer.out_chs, large=True)
    if t == "conv":
        return ConvBnAct(layer.in_chs, layer.out_chs, layer.kernel, layer.stride, layer.act, padding_of(layer, False))
    if t == "fused_irb":
        return DFusedIRB(layer) if distill else FusedIRB(layer, drop_path)
    if t == "irb":
        return DIRB(layer) if distill else IRB(layer, drop_path)
    if t == "tail":
        return (DHead if distill else Head)(layer.in_chs, layer.out_chs, layer.num_classes)
    raise ValueError(f"unknown layer type {t!r}")  # unreachable: ArchSpec validates types


def build_model(spec: ArchSpec, num_classes: int | None = None, drop_path_rate: float = 0.0) -> GPUNet:
    """Build ``spec`` (optionally with another classifier size). Eval mode is the caller's choice.

    ``drop_path_rate`` is the stochastic-depth rate of the last block; earlier blocks get a
    linearly smaller rate, as in NVIDIA's training recipe (0.2 there). It never changes the
    parameter count or the exported graph.
    """
    if num_classes is not None and num_classes != spec.num_classes:
        spec = spec.with_num_classes(num_classes)
    n = max(1, len(spec.layers))
    mods = [_block(layer, spec.distill, drop_path_rate * i / n) for i, layer in enumerate(spec.layers, start=1)]
    return GPUNet(spec, mods)


def count_params(model: nn.Module) -> int:
    """Learnable parameters (BN running statistics excluded)."""
    return sum(p.numel() for p in model.parameters())


def count_macs(model: GPUNet, resolution: int | None = None) -> int:
    """Multiply-accumulates of one forward pass at batch 1 (convolutions and linear layers)."""
    res = resolution or model.resolution
    total = 0

    def hook(mod, inp, out):
        nonlocal total
        if isinstance(mod, nn.Conv2d):
            k = mod.kernel_size[0] * mod.kernel_size[1]
            total += out.numel() * (mod.in_channels // mod.groups) * k
        elif isinstance(mod, nn.Linear):
            total += mod.in_features * mod.out_features

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(1, model.spec.in_chs, res, res))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return int(total)


def export_onnx(
    spec: ArchSpec | GPUNet,
    path: str | Path,
    opset: int = ONNX_OPSET,
    fp16: bool = False,
    batch_size: int = 1,
) -> Path:
    """Export an inference graph: static ``batch x C x R x R`` input named ``input``, eval mode.

    The file is written to a temporary name and renamed, so a failed export leaves nothing.
    """
    model = spec if isinstance(spec, GPUNet) else build_model(spec)
    model = model.eval()
    x = torch.randn(batch_size, model.spec.in_chs, model.resolution, model.resolution)
    if fp16:  # convert a copy: the caller's model keeps its precision
        import copy

        model, x = copy.deepcopy(model).half(), x.half()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    try:
        with torch.no_grad():
            torch.onnx.export(
                model, (x,), str(tmp), opset_version=opset, input_names=["input"], output_names=["logits"],
                dynamo=False,
            )
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
