"""Pure-Python shape propagation: parameter count, MACs and activation traffic of an ArchSpec.

No torch needed, so the searcher, the latency predictor and the CLI can use it cheaply. The
builder's module-level counts are checked against these in the test suite.
"""

from __future__ import annotations

from dataclasses import dataclass

from .arch import ArchSpec, Layer, make_divisible

__all__ = ["ArchStats", "LayerStats", "arch_stats", "mid_channels", "se_channels", "padding_of"]

_D_TAIL_HIDDEN = 1152  # fixed width of the distilled models' classifier head (EpilogueD)


@dataclass(frozen=True)
class LayerStats:
    params: int
    macs: int
    out_hw: int
    activations: int  # output elements (batch 1): a proxy for memory traffic


@dataclass(frozen=True)
class ArchStats:
    params: int
    macs: int
    activations: int
    layers: tuple[LayerStats, ...]

    @property
    def final_hw(self) -> int:
        return self.layers[-2].out_hw if len(self.layers) > 1 else self.layers[-1].out_hw


def mid_channels(layer: Layer, distill: bool) -> int:
    """Expanded width of an IRB / Fused-IRB."""
    if distill:
        return int(layer.in_chs * layer.expansion)
    return make_divisible(layer.in_chs * layer.expansion)


def se_channels(layer: Layer, mid: int) -> int:
    """Squeeze-excite reduced width: round(mid * 0.25 / expansion) (about in_chs / 4)."""
    return round(mid * (0.25 / layer.expansion))


def padding_of(layer: Layer, distill: bool) -> int:
    """Spatial padding of the block's strided (KxK) convolution, as NVIDIA's builder sets it."""
    k, s = layer.kernel, layer.stride
    if distill:
        return k // 2
    if layer.type == "fused_irb":
        # timm "same" padding: static k//2 at stride 1; the dynamic path at stride 2 is not
        # implemented in NVIDIA's builder, so no padding at all.
        return k // 2 if s == 1 else 0
    return ((s - 1) + (k - 1)) // 2


def _out(hw: int, k: int, s: int, p: int) -> int:
    return (hw + 2 * p - k) // s + 1


def arch_stats(spec: ArchSpec) -> ArchStats:
    hw = spec.resolution
    per: list[LayerStats] = []
    d = spec.distill
    for layer in spec.layers:
        params = macs = 0

        def conv(cin, cout, k, hw_out, groups=1, bias=False, bn=True):
            nonlocal params, macs
            w = cout * (cin // groups) * k * k
            params += w + (cout if bias else 0) + (2 * cout if bn else 0)
            macs += w * hw_out * hw_out

        t = layer.type
        if t in ("head", "head_large"):
            hw = _out(hw, 3, 2, 1)
            conv(layer.in_chs, layer.out_chs, 3, hw)
            if t == "head_large":
                conv(layer.out_chs, layer.out_chs, 3, hw)
                conv(layer.out_chs, layer.out_chs, 3, hw)
            acts = layer.out_chs * hw * hw
        elif t == "conv":
            hw = _out(hw, layer.kernel, layer.stride, padding_of(layer, d))
            conv(layer.in_chs, layer.out_chs, layer.kernel, hw)
            acts = layer.out_chs * hw * hw
        elif t == "irb":
            mid = mid_channels(layer, d)
            g = layer.groups if d else 1
            conv(layer.in_chs, mid, 1, hw, groups=g)
            acts = mid * hw * hw
            hw = _out(hw, layer.kernel, layer.stride, padding_of(layer, d))
            conv(mid, mid, layer.kernel, hw, groups=mid)
            acts += mid * hw * hw
            if layer.use_se and not d:
                rd = se_channels(layer, mid)
                conv(mid, rd, 1, 1, bias=True, bn=False)
                conv(rd, mid, 1, 1, bias=True, bn=False)
            conv(mid, layer.out_chs, 1, hw, groups=g)
            acts += layer.out_chs * hw * hw
        elif t == "fused_irb":
            mid = mid_channels(layer, d)
            hw = _out(hw, layer.kernel, layer.stride, padding_of(layer, d))
            conv(layer.in_chs, mid, layer.kernel, hw)
            if layer.use_se and not d:
                rd = se_channels(layer, mid)
                conv(mid, rd, 1, 1, bias=True, bn=False)
                conv(rd, mid, 1, 1, bias=True, bn=False)
            conv(mid, layer.out_chs, 1, hw)
            acts = (mid + layer.out_chs) * hw * hw
        elif t == "tail":
            if d:
                conv(layer.in_chs, _D_TAIL_HIDDEN, 1, hw)
                conv(_D_TAIL_HIDDEN, layer.out_chs, 1, 1, bn=False)
                acts = _D_TAIL_HIDDEN * hw * hw
            else:
                conv(layer.in_chs, layer.out_chs, 1, hw)
                acts = layer.out_chs * hw * hw
            params += layer.out_chs * layer.num_classes + layer.num_classes
            macs += layer.out_chs * layer.num_classes
            acts += layer.num_classes
        else:  # pragma: no cover - ArchSpec validation rejects other types
            raise ValueError(t)
        if hw <= 0:
            from gpunet_ray.errors import InvalidArchitecture

            raise InvalidArchitecture(
                f"the feature map vanishes at layer {len(per)} ({t}); raise the resolution or remove a stride-2 stage"
            )
        per.append(LayerStats(params=params, macs=macs, out_hw=hw, activations=acts))
    return ArchStats(
        params=sum(p.params for p in per),
        macs=sum(p.macs for p in per),
        activations=sum(p.activations for p in per),
        layers=tuple(per),
    )
