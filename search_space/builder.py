"""ArchSpec -> ``torch.nn.Module``, reproducing NVIDIA's GPUNet blocks exactly.

Each layer becomes the module its block type builds (:mod:`gpunet_ray.search_space.blocks`; the
built-in modules live in :mod:`gpunet_ray.search_space.modules`). Parameter counts match NVIDIA's
released models exactly (see tests). torch is imported here and in ``modules`` only; the rest of
``search_space`` is torch-free.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .spec import ArchSpec
from .blocks import get_block
from .modules import IRB, ConvBnAct, FusedIRB, Head, SqueezeExcite

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


class GPUNet(nn.Sequential):
    """The network; ``spec`` and ``resolution`` are kept for export and reporting."""

    def __init__(self, spec: ArchSpec, modules: list[nn.Module]) -> None:
        super().__init__(*modules)
        self.spec = spec
        self.resolution = spec.resolution


def build_model(spec: ArchSpec, num_classes: int | None = None, drop_path_rate: float = 0.0) -> GPUNet:
    """Build ``spec`` (optionally with another classifier size). Eval mode is the caller's choice.

    ``drop_path_rate`` is the stochastic-depth rate of the last block; earlier blocks get a
    linearly smaller rate, as in NVIDIA's training recipe (0.2 there). It never changes the
    parameter count or the exported graph.
    """
    if num_classes is not None and num_classes != spec.num_classes:
        spec = spec.with_num_classes(num_classes)
    n = max(1, len(spec.layers))
    mods = [get_block(layer.type).build(layer, spec.distill, drop_path_rate * i / n)
            for i, layer in enumerate(spec.layers, start=1)]
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
