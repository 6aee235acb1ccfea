"""What a block type declares, and the small pure helpers that block types share (torch-free).

A :class:`BlockType` is everything the project knows about one ``layer_type`` of NVIDIA's GPUNet
JSON, in one place: its token code in the arch string, the JSON keys it carries, its
well-formedness rules, its analytic statistics (parameters, MACs, feature-map size, activation
elements), its torch module, how a search space and the latency predictor see it, and how the
hand-designed baselines set it. The rest of :mod:`gpunet_ray.search_space` (and the latency
predictor, the baselines) reads these declarations through :mod:`.registry`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from gpunet_ray.errors import InvalidArchitecture, TooLarge

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

    from ..spec import Layer

__all__ = [
    "BlockType", "StageChoice", "STAGE_CHOICES", "FEATURE_KINDS", "ROLES", "ACTIVATIONS", "Counter",
    "make_divisible", "fmt_count", "is_int", "is_num", "out_size", "mid_channels", "se_channels",
    "check_stride_kernel", "check_act",
]

ACTIVATIONS = ("relu", "swish")
#: ``stem``: the first layer (stage label 0); ``block``: a layer of a stage (a search space's stage
#: block); ``tail``: the last layer, the classifier.
ROLES = ("stem", "block", "tail")
#: Feature groups of the latency predictor (its feature layout; see ``latency.predictor``).
FEATURE_KINDS = ("stem", "conv", "fused_irb", "irb", "tail")
_STRIDES = (1, 2)
MAX_KERNEL = 11


@dataclass(frozen=True)
class StageChoice:
    """One per-stage choice of a search space: the dimension ``s<i>_<dim>``, the :class:`StageSpec`
    field holding its choices, the :class:`Layer` attribute it sets and its optimiser kind."""

    dim: str
    field: str
    attr: str
    kind: str


#: The per-stage choices a block type can take part in, in dimension order (depth and filters,
#: which every stage has, come first).
STAGE_CHOICES = (
    StageChoice("kernel", "kernels", "kernel", "ordinal"),
    StageChoice("expansion", "expansions", "expansion", "ordinal"),
    StageChoice("se", "se", "use_se", "categorical"),
    StageChoice("act", "acts", "act", "categorical"),
)


class BlockType:
    """One layer type. Subclass it, set the class attributes, override what differs, and register
    an instance with :func:`gpunet_ray.search_space.blocks.register_block`.

    Class attributes:

    * ``name`` -- the ``layer_type`` of NVIDIA's JSON (and :attr:`Layer.type`);
    * ``code`` -- the token code in the arch string (capital letters/digits, e.g. ``I`` for ``irb``);
    * ``title`` -- how messages name it (``"IRB"``);
    * ``role`` -- ``"stem"``, ``"block"`` or ``"tail"`` (see :data:`ROLES`); ``block`` types can be a
      search-space stage's block;
    * ``fields`` -- the optional :class:`Layer` attributes the JSON entry may carry (the others are
      dropped on reading); ``in_chs`` and ``out_chs`` are always carried;
    * ``required`` -- the NVIDIA JSON keys an entry must have;
    * ``stage_dims`` -- the per-stage search choices of a stage of this block, from
      :data:`STAGE_CHOICES` (``("kernel", "act")`` for a plain conv);
    * ``feature_kind`` -- the latency predictor's feature group (from :data:`FEATURE_KINDS`).
    """

    name: str = ""
    code: str = ""
    title: str = ""
    role: str = "block"
    fields: tuple[str, ...] = ()
    required: tuple[str, ...] = ("num_in_channels", "num_out_channels")
    stage_dims: tuple[str, ...] = ()
    feature_kind: str = "conv"

    # -- well-formedness ------------------------------------------------------------------------
    def check(self, layer: "Layer", where: str, index: int, n_layers: int, distill: bool) -> None:
        """Raise :class:`InvalidArchitecture` naming ``where`` (the layer) and the field.

        Channel counts, their chaining, ``act`` and ``stage`` are checked for every type already.
        """

    # -- statistics (batch 1, Python integers) ----------------------------------------------------
    def stats(self, layer: "Layer", hw: int, distill: bool) -> tuple[int, int, int, int]:
        """``(params, macs, out_hw, activations)`` of the layer on an ``hw x hw`` input:
        learnable parameters (BN affine included), multiply-accumulates, the output's side and
        the elements of the feature maps it produces (see :class:`Counter`)."""
        raise NotImplementedError(f"block type {self.name!r} does not define stats()")

    def padding(self, layer: "Layer", distill: bool) -> int:
        """Spatial padding of the block's strided KxK convolution (timm's static "same" padding)."""
        k, s = layer.kernel, layer.stride
        if distill:
            return k // 2
        return ((s - 1) + (k - 1)) // 2

    # -- torch ------------------------------------------------------------------------------------
    def build(self, layer: "Layer", distill: bool, drop_path: float) -> "nn.Module":
        """The torch module (import torch inside: the registry is torch-free). ``drop_path``: the
        stochastic-depth rate of this layer (residual blocks only)."""
        raise NotImplementedError(f"block type {self.name!r} does not define build()")

    # -- search spaces ------------------------------------------------------------------------------
    def space_layer(self, layer: "Layer") -> "Layer":
        """The layer as a search-space stage sees it (a stem may stand for a conv stage layer);
        raise :class:`InvalidArchitecture` when no space can hold it."""
        return layer

    # -- latency predictor --------------------------------------------------------------------------
    def predictor_kind(self, index: int) -> str:
        """The feature group of this layer at position ``index`` of the network."""
        return self.feature_kind

    def dw_macs(self, layer: "Layer", out_hw: int, distill: bool) -> int:
        """MACs of its depthwise convolutions (a feature of their own: they are memory-bound)."""
        return 0

    # -- baselines ------------------------------------------------------------------------------------
    def baseline_wishes(self, family: str, stage: Any, earlier: Sequence[Any]) -> dict:
        """Choices this block prefers in the hand-designed baseline ``family`` (``gpunet-like``,
        ``mbv2-like``): any of ``act`` / ``se``; a wish the stage does not offer falls back to its
        first choice. ``stage``: the :class:`StageSpec`; ``earlier``: the space's stages before it.
        Default: the family's defaults (see :mod:`gpunet_ray.baselines`)."""
        return {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} ({self.code})>"


# -- counting ---------------------------------------------------------------------------------------
class Counter:
    """Adds up parameters and MACs of convolutions and linear layers, as NVIDIA's modules hold them."""

    def __init__(self) -> None:
        self.params = 0
        self.macs = 0

    def conv(self, cin: int, cout: int, k: int, hw_out: int, groups: int = 1, bias: bool = False,
             bn: bool = True) -> None:
        """A ``k x k`` convolution producing ``cout x hw_out x hw_out`` (+ BN's two affine vectors)."""
        w = cout * (cin // groups) * k * k
        self.params += w + (cout if bias else 0) + (2 * cout if bn else 0)
        self.macs += w * hw_out * hw_out

    def linear(self, cin: int, cout: int) -> None:
        self.params += cin * cout + cout
        self.macs += cin * cout

    def se(self, chs: int, rd: int) -> None:
        """Squeeze-excite: two biased 1x1 convolutions on the pooled ``1 x 1`` map."""
        self.conv(chs, rd, 1, 1, bias=True, bn=False)
        self.conv(rd, chs, 1, 1, bias=True, bn=False)


# -- shapes -------------------------------------------------------------------------------------------
def make_divisible(v: float, divisor: int = 8, min_value: int | None = None, round_limit: float = 0.9) -> int:
    """Round ``v`` to the nearest multiple of ``divisor`` (never more than 10 % below ``v``)."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < round_limit * v:
        new_v += divisor
    return new_v


def fmt_count(n: int) -> str:
    """``12,345`` / ``1.23e+18`` / ``10^4000`` (never ``str()`` of a huge int: Python caps it)."""
    if n < 10**15:
        return f"{n:,}"
    if n < 10**300:
        return f"{float(n):.3g}"
    return f"10^{int(n.bit_length() * math.log10(2))}"


def out_size(hw: int, k: int, s: int, p: int) -> int:
    """Side of a convolution's output."""
    return (hw + 2 * p - k) // s + 1


def _width(v: Any, layer: "Layer") -> float:
    """``v`` as a finite float, or :class:`TooLarge` (an absurd width would overflow a float)."""
    try:
        f = float(v)
    except OverflowError:
        f = math.inf
    if not math.isfinite(f):
        from .registry import get_block

        raise TooLarge(
            f"the expanded width of an {get_block(layer.type).title} "
            f"({fmt_count(layer.in_chs)} channels x expansion {layer.expansion:g}) is too large to compute; "
            "lower its channels or expansion"
        )
    return f


def mid_channels(layer: "Layer", distill: bool) -> int:
    """Expanded width of an expanding block (IRB, Fused-IRB)."""
    try:
        mid = _width(layer.in_chs * layer.expansion, layer)
    except OverflowError:  # a huge int times a float
        mid = _width(math.inf, layer)
    if distill:
        return int(mid)
    return make_divisible(mid)


def se_channels(layer: "Layer", mid: int) -> int:
    """Squeeze-excite reduced width: round(mid * 0.25 / expansion) (about in_chs / 4)."""
    try:
        return round(_width(mid, layer) * (0.25 / layer.expansion))
    except OverflowError:
        return round(_width(math.inf, layer))


# -- checks -------------------------------------------------------------------------------------------
def is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def is_num(x: Any) -> bool:
    return (isinstance(x, (int, float)) and not isinstance(x, bool)) and math.isfinite(x)


def check_stride_kernel(layer: "Layer", where: str) -> None:
    """``stride`` 1 or 2 and an odd ``kernel_size`` up to :data:`MAX_KERNEL`."""
    if layer.stride not in _STRIDES or not is_int(layer.stride):
        raise InvalidArchitecture(f"{where}: stride must be 1 or 2, got {layer.stride!r}")
    k = layer.kernel
    if not is_int(k) or k <= 0 or k % 2 == 0 or k > MAX_KERNEL:
        raise InvalidArchitecture(f"{where}: kernel_size must be an odd integer in 1..{MAX_KERNEL}, got {k!r}")


def check_act(layer: "Layer", where: str) -> None:
    """``act`` is present (its value is checked for every layer type)."""
    if layer.act is None:
        raise InvalidArchitecture(f"{where}: act is required (one of {ACTIVATIONS})")


def check_se_flag(layer: "Layer", where: str) -> None:
    if layer.use_se is not None and not isinstance(layer.use_se, bool):
        raise InvalidArchitecture(f"{where}: use_se must be true or false, got {layer.use_se!r}")


# -- the shared base of the expanding blocks ----------------------------------------------------------
class ExpandingBlock(BlockType):
    """A stage block that expands its input ``expansion`` times (IRB, Fused-IRB): the rules they share.

    In distilled (D) models the expanded width is ``in_chs x expansion`` exactly (an integer) and
    ``groups`` is required; elsewhere it is rounded to a multiple of 8, and ``use_se`` and ``act``
    are required.
    """

    role = "block"
    fields = ("stride", "kernel", "expansion", "act", "use_se", "stage", "groups")
    required = ("num_in_channels", "num_out_channels", "stride", "kernel_size", "expansion")
    stage_dims = ("kernel", "expansion", "se", "act")

    def check(self, layer: "Layer", where: str, index: int, n_layers: int, distill: bool) -> None:
        check_stride_kernel(layer, where)
        if distill:
            g = layer.groups
            if not is_int(g) or g <= 0:
                raise InvalidArchitecture(f"{where}: distilled blocks need groups (a positive integer), got {g!r}")
        else:
            if layer.use_se is None:
                raise InvalidArchitecture(f"{where}: use_se (true/false) is required")
            check_act(layer, where)
        check_se_flag(layer, where)
        e = layer.expansion
        if not is_num(e) or e <= 0:
            raise InvalidArchitecture(f"{where}: expansion must be a positive number, got {e!r}")
        if distill:
            mid = layer.in_chs * e
            if not float(mid).is_integer():
                raise InvalidArchitecture(
                    f"{where}: num_in_channels x expansion = {mid} must be an integer in distilled blocks"
                )
            self.check_groups(layer, where, int(mid))

    def check_groups(self, layer: "Layer", where: str, mid: int) -> None:
        """Distilled models: whether ``groups`` fits the block's grouped convolutions."""

    @staticmethod
    def add_se(c: Counter, layer: "Layer", mid: int, distill: bool) -> None:
        """The squeeze-excite's parameters (never in distilled models)."""
        if layer.use_se and not distill:
            c.se(mid, se_channels(layer, mid))
