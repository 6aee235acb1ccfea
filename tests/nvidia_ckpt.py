"""Checkpoints in NVIDIA's GPUNet key layout, generated for the tests (no download): small networks of every
layer type, NVIDIA's module names written down from DeepLearningExamples' ``gpunet_builder.py`` /
``gpunet_modules.py`` independently of :mod:`gpunet_ray.nvidia` (so that a slip there shows up), random
state_dicts, timm's training-checkpoint wrapper."""

import argparse

import torch

from gpunet_ray.search_space import ArchSpec
from gpunet_ray.search_space.builder import build_model

# A small plain network with every layer type (SE in both expanding blocks, strided and residual ones).
SMALL = [
    {"layer_type": "data", "img_resolution": 64, "distill": False},
    {"layer_type": "head", "num_in_channels": 3, "num_out_channels": 16},
    {"layer_type": "conv", "num_in_channels": 16, "num_out_channels": 16, "stride": 1, "kernel_size": 3,
     "act": "relu", "stage": 1},
    {"layer_type": "fused_irb", "num_in_channels": 16, "num_out_channels": 24, "stride": 2, "kernel_size": 3,
     "expansion": 4, "use_se": True, "act": "swish", "stage": 2},
    {"layer_type": "fused_irb", "num_in_channels": 24, "num_out_channels": 24, "stride": 1, "kernel_size": 3,
     "expansion": 2, "use_se": False, "act": "relu", "stage": 2},
    {"layer_type": "irb", "num_in_channels": 24, "num_out_channels": 32, "stride": 2, "kernel_size": 5,
     "expansion": 3, "use_se": True, "act": "swish", "stage": 3},
    {"layer_type": "irb", "num_in_channels": 32, "num_out_channels": 32, "stride": 1, "kernel_size": 3,
     "expansion": 4, "use_se": False, "act": "relu", "stage": 3},
    {"layer_type": "tail", "num_in_channels": 32, "num_out_channels": 64, "num_classes": 10},
]
# A small distilled (D1/D2-style) network: head_large, grouped IRBs, a fused IRB, the D tail.
SMALL_D = [
    {"layer_type": "data", "img_resolution": 64, "distill": True},
    {"layer_type": "head_large", "num_in_channels": 3, "num_out_channels": 16, "stage": 0},
    {"layer_type": "irb", "num_in_channels": 16, "num_out_channels": 16, "stride": 1, "kernel_size": 3,
     "expansion": 2, "groups": 2, "stage": 0},
    {"layer_type": "fused_irb", "num_in_channels": 16, "num_out_channels": 24, "stride": 2, "kernel_size": 3,
     "expansion": 3, "groups": 1, "stage": 1},
    {"layer_type": "irb", "num_in_channels": 24, "num_out_channels": 24, "stride": 1, "kernel_size": 5,
     "expansion": 2, "groups": 1, "stage": 1},
    {"layer_type": "tail", "num_in_channels": 24, "num_out_channels": 32, "num_classes": 10},
]


def nvidia_layout(spec: ArchSpec, sd: dict, prefix: str = "") -> dict:
    """``sd`` (a state_dict of ``build_model(spec)``) under NVIDIA's names: ``network.<module>.<tensor>``."""
    out = {}
    for key, v in sd.items():
        idx, rest = key.split(".", 1)
        i = int(idx)
        layer, n = spec.layers[i], i + 2  # the builder's counter: data is entry 1
        first, tail = rest.split(".", 1)
        if spec.distill:
            if layer.type in ("head", "head_large"):
                mod, rest = "head:", f"net.{rest}"
            elif layer.type == "tail":
                mod, rest = "tail:", f"net.{rest}"
            else:
                mod = f"stage: {layer.stage} {layer.type}{n}"
        elif layer.type == "head":  # Prologue.net = conv, bn, act
            mod, rest = f"head: {n}", {"conv": "net.0", "bn": "net.1"}[first] + "." + tail
        elif layer.type == "tail":  # Epilogue.net = conv, bn, act, pool, flatten, dropout, linear
            mod, rest = f" layer{n}", {"conv": "net.0", "bn": "net.1", "fc": "net.6"}[first] + "." + tail
        else:
            mod = f"stage: {layer.stage} layer{n}"
            if layer.type == "conv":  # ConvBnAct: conv, bn1, act1
                rest = {"conv": "conv", "bn": "bn1"}[first] + "." + tail
        out[f"{prefix}network.{mod}.{rest}"] = v
    return out


def random_state(spec: ArchSpec, seed: int) -> dict:
    """A state_dict of ``build_model(spec)`` with random values everywhere (BN statistics too)."""
    g = torch.Generator().manual_seed(seed)
    sd = build_model(spec).state_dict()
    out = {}
    for k, v in sd.items():
        if not v.is_floating_point():
            out[k] = torch.tensor(seed + 7, dtype=v.dtype) if v.dim() == 0 else v.clone()
        elif k.endswith("running_var"):
            out[k] = torch.rand(v.shape, generator=g) + 0.5
        else:
            out[k] = torch.randn(v.shape, generator=g) * 0.2
    return out


def timm_checkpoint(spec, raw: dict, ema: dict | None) -> dict:
    ck = {"epoch": 449, "arch": "gpunet", "state_dict": nvidia_layout(spec, raw, "module."),
          "args": argparse.Namespace(model="gpunet", lr=0.08, model_ema=True, img_size=spec.resolution),
          "version": 2, "metric": 78.9}
    if ema is not None:
        ck["state_dict_ema"] = nvidia_layout(spec, ema, "module.")
    return ck
