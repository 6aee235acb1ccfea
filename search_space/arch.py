"""``ArchSpec``: one frozen, hashable description of a GPUNet-format network.

An ``ArchSpec`` can hold any architecture expressible in NVIDIA's GPUNet JSON format (including the
distilled "D" models with ``head_large`` and grouped convolutions, and the "P" models with
fractional expansions). Well-formedness is checked on construction; membership of a search space
is a separate check (:meth:`gpunet_ray.search_space.SearchSpace.validate`).

Views (all lossless):

* :meth:`ArchSpec.from_gpunet_json` / :meth:`ArchSpec.to_gpunet_json` -- NVIDIA's format;
* :attr:`ArchSpec.arch_string` / :meth:`ArchSpec.from_arch_string` -- compact, stable hash key;
* unit-cube vectors live on the search space (``space.encode`` / ``space.decode``).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable

from gpunet_ray.errors import InvalidArchitecture

__all__ = ["Layer", "ArchSpec", "LAYER_TYPES", "ACTIVATIONS", "make_divisible", "load_arch_file"]

LAYER_TYPES = ("head", "head_large", "conv", "fused_irb", "irb", "tail")
ACTIVATIONS = ("relu", "swish")
_BLOCKS = ("conv", "fused_irb", "irb")
_EXPANDING = ("fused_irb", "irb")
_STRIDES = (1, 2)
_MAX_KERNEL = 11


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None, round_limit: float = 0.9) -> int:
    """Round ``v`` to the nearest multiple of ``divisor`` (never more than 10 % below ``v``)."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < round_limit * v:
        new_v += divisor
    return new_v


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_num(x: Any) -> bool:
    return (isinstance(x, (int, float)) and not isinstance(x, bool)) and math.isfinite(x)


def _num(x: float) -> float | int:
    """Integral floats become ints so that ``5`` and ``5.0`` print and hash alike."""
    return int(x) if float(x).is_integer() else float(x)


@dataclass(frozen=True)
class Layer:
    """One entry of the GPUNet layer list (the ``data`` entry lives on :class:`ArchSpec`).

    Optional fields are ``None`` when the JSON entry does not carry the key, so the JSON view is
    lossless. ``stride``/``kernel`` are ``None`` for ``head``, ``head_large`` and ``tail``.
    """

    type: str
    in_chs: int
    out_chs: int
    stride: int | None = None
    kernel: int | None = None
    expansion: float | None = None
    act: str | None = None
    use_se: bool | None = None
    stage: int | None = None
    groups: int | None = None
    num_classes: int | None = None

    # -- JSON -----------------------------------------------------------------------------------
    _JSON_KEYS = (
        ("in_chs", "num_in_channels"),
        ("out_chs", "num_out_channels"),
        ("stride", "stride"),
        ("expansion", "expansion"),
        ("kernel", "kernel_size"),
        ("groups", "groups"),
        ("act", "act"),
        ("use_se", "use_se"),
        ("stage", "stage"),
        ("num_classes", "num_classes"),
    )

    def to_json(self) -> dict:
        out: dict[str, Any] = {"layer_type": self.type}
        for attr, key in self._JSON_KEYS:
            val = getattr(self, attr)
            if val is not None:
                out[key] = _num(val) if attr == "expansion" else val
        return out

    # -- compact token --------------------------------------------------------------------------
    def token(self) -> str:
        parts = [_TYPE_CODES[self.type]]
        for key, attr in _TOKEN_FIELDS:
            val = getattr(self, attr)
            if val is None:
                continue
            if attr == "act":
                val = _ACT_CODES[val]
            elif attr == "use_se":
                val = int(val)
            elif attr == "expansion":
                val = _num(val)
            parts.append(f"{key}{val}")
        return "_".join(parts)


_TYPE_CODES = {"head": "H", "head_large": "HL", "conv": "C", "fused_irb": "F", "irb": "I", "tail": "T"}
_CODE_TYPES = {v: k for k, v in _TYPE_CODES.items()}
_ACT_CODES = {"relu": "r", "swish": "s"}
_CODE_ACTS = {v: k for k, v in _ACT_CODES.items()}
# (token key, attribute); "se" must be matched before "s".
_TOKEN_FIELDS = (
    ("k", "kernel"),
    ("s", "stride"),
    ("e", "expansion"),
    ("o", "out_chs"),
    ("g", "groups"),
    ("a", "act"),
    ("se", "use_se"),
    ("t", "stage"),
    ("n", "num_classes"),
)
_TOKEN_RE = re.compile(r"^(se|[ksegoatn])(.+)$")
_HEADER_RE = re.compile(r"^r(\d+)i(\d+)(d?)$")


@dataclass(frozen=True)
class ArchSpec:
    """A complete network: input resolution, distilled flag and the layer list.

    Construction validates well-formedness and raises :class:`InvalidArchitecture` naming the
    layer index, its stage and the offending field.
    """

    resolution: int
    layers: tuple[Layer, ...]
    distill: bool = False
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.layers, tuple):
            object.__setattr__(self, "layers", tuple(self.layers))
        self._check()

    # -- well-formedness -------------------------------------------------------------------------
    def _check(self) -> None:
        if not _is_int(self.resolution) or self.resolution <= 0:
            raise InvalidArchitecture(
                f"data: img_resolution must be a positive integer, got {self.resolution!r}; fix the 'data' entry"
            )
        if not self.layers:
            raise InvalidArchitecture("the architecture has no layers; add at least a head and a tail")
        n = len(self.layers)
        for i, layer in enumerate(self.layers):
            where = _where(i, layer)
            if not isinstance(layer, Layer):
                raise InvalidArchitecture(f"layer {i + 1}: expected a Layer, got {type(layer).__name__}")
            if layer.type not in LAYER_TYPES:
                raise InvalidArchitecture(
                    f"{where}: unknown layer_type {layer.type!r}; expected one of {', '.join(LAYER_TYPES)}"
                )
            for attr, key in (("in_chs", "num_in_channels"), ("out_chs", "num_out_channels")):
                val = getattr(layer, attr)
                if not _is_int(val) or val <= 0:
                    raise InvalidArchitecture(f"{where}: {key} must be a positive integer, got {val!r}")
            if i > 0 and layer.in_chs != self.layers[i - 1].out_chs:
                raise InvalidArchitecture(
                    f"{where}: num_in_channels {layer.in_chs} does not match the previous layer's "
                    f"num_out_channels {self.layers[i - 1].out_chs}; channels must chain"
                )
            if layer.type in ("head", "head_large") and i != 0:
                raise InvalidArchitecture(f"{where}: a {layer.type} layer must come first")
            if layer.type == "head_large" and not self.distill:
                raise InvalidArchitecture(f"{where}: head_large is only valid in distilled models (data.distill=true)")
            if layer.type == "tail":
                if i != n - 1:
                    raise InvalidArchitecture(f"{where}: the tail must be the last layer")
                if not _is_int(layer.num_classes) or layer.num_classes <= 0:
                    raise InvalidArchitecture(
                        f"{where}: num_classes must be a positive integer, got {layer.num_classes!r}"
                    )
            if layer.type in _BLOCKS:
                self._check_block(where, layer)
            if layer.act is not None and layer.act not in ACTIVATIONS:
                raise InvalidArchitecture(f"{where}: act must be one of {ACTIVATIONS}, got {layer.act!r}")
            if layer.stage is not None and not _is_int(layer.stage):
                raise InvalidArchitecture(f"{where}: stage must be an integer label, got {layer.stage!r}")

    def _check_block(self, where: str, layer: Layer) -> None:
        if layer.stride not in _STRIDES or not _is_int(layer.stride):
            raise InvalidArchitecture(f"{where}: stride must be 1 or 2, got {layer.stride!r}")
        k = layer.kernel
        if not _is_int(k) or k <= 0 or k % 2 == 0 or k > _MAX_KERNEL:
            raise InvalidArchitecture(f"{where}: kernel_size must be an odd integer in 1..{_MAX_KERNEL}, got {k!r}")
        if self.distill:
            if layer.type == "conv":
                raise InvalidArchitecture(f"{where}: conv layers are not part of the distilled (D) format")
            g = layer.groups
            if not _is_int(g) or g <= 0:
                raise InvalidArchitecture(f"{where}: distilled blocks need groups (a positive integer), got {g!r}")
        elif layer.type != "conv" and layer.use_se is None:
            raise InvalidArchitecture(f"{where}: use_se (true/false) is required")
        if layer.type in ("conv",) or not self.distill:
            if layer.act is None:
                raise InvalidArchitecture(f"{where}: act is required (one of {ACTIVATIONS})")
        if layer.use_se is not None and not isinstance(layer.use_se, bool):
            raise InvalidArchitecture(f"{where}: use_se must be true or false, got {layer.use_se!r}")
        if layer.type in _EXPANDING:
            e = layer.expansion
            if not _is_num(e) or e <= 0:
                raise InvalidArchitecture(f"{where}: expansion must be a positive number, got {e!r}")
            if self.distill:
                mid = layer.in_chs * e
                if not float(mid).is_integer():
                    raise InvalidArchitecture(
                        f"{where}: num_in_channels x expansion = {mid} must be an integer in distilled blocks"
                    )
                mid = int(mid)
                g = layer.groups
                if layer.type == "irb" and (layer.in_chs % g or mid % g or layer.out_chs % g):
                    raise InvalidArchitecture(
                        f"{where}: groups {g} must divide the in ({layer.in_chs}), expanded ({mid}) "
                        f"and out ({layer.out_chs}) channel counts"
                    )

    # -- derived -----------------------------------------------------------------------------------
    @property
    def in_chs(self) -> int:
        return self.layers[0].in_chs

    @property
    def num_classes(self) -> int | None:
        last = self.layers[-1]
        return last.num_classes if last.type == "tail" else None

    @property
    def arch_string(self) -> str:
        """Compact, lossless text form, e.g. ``r320i3:H_o32|C_k3_s1_o32_ar_t1*2|...|T_o1280_n1000``."""
        s = self._cache.get("arch_string")
        if s is None:
            tokens: list[str] = []
            counts: list[int] = []
            for layer in self.layers:
                tok = layer.token()
                if tokens and tokens[-1] == tok:
                    counts[-1] += 1
                else:
                    tokens.append(tok)
                    counts.append(1)
            body = "|".join(t if c == 1 else f"{t}*{c}" for t, c in zip(tokens, counts))
            s = f"r{self.resolution}i{self.in_chs}{'d' if self.distill else ''}:{body}"
            self._cache["arch_string"] = s
        return s

    @property
    def hash(self) -> str:
        """Stable 16-hex-digit key (SHA-1 of the arch string)."""
        return hashlib.sha1(self.arch_string.encode()).hexdigest()[:16]

    def stages(self) -> dict[int, tuple[Layer, ...]]:
        """Layers grouped by their ``stage`` label (head: 0; tail and unlabelled layers excluded)."""
        out: dict[int, list[Layer]] = {}
        for layer in self.layers:
            label = 0 if layer.type in ("head", "head_large") else layer.stage
            if label is not None and layer.type != "tail":
                out.setdefault(label, []).append(layer)
        return {k: tuple(v) for k, v in out.items()}

    def with_num_classes(self, num_classes: int) -> "ArchSpec":
        """The same network with a different classifier size."""
        last = self.layers[-1]
        if last.type != "tail":
            raise InvalidArchitecture("the architecture has no tail layer to resize")
        return replace(self, layers=self.layers[:-1] + (replace(last, num_classes=num_classes),))

    def with_resolution(self, resolution: int) -> "ArchSpec":
        return replace(self, resolution=resolution)

    # -- NVIDIA JSON -------------------------------------------------------------------------------
    def to_gpunet_json(self) -> list[dict]:
        data = {"layer_type": "data", "img_resolution": self.resolution, "distill": self.distill}
        return [data] + [layer.to_json() for layer in self.layers]

    def dumps(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_gpunet_json(), indent=indent)

    @classmethod
    def from_gpunet_json(cls, obj: Any) -> "ArchSpec":
        """Parse NVIDIA's GPUNet JSON (a list of layer objects, ``data`` first)."""
        if isinstance(obj, (str, bytes)):
            try:
                obj = json.loads(obj)
            except json.JSONDecodeError as exc:
                raise InvalidArchitecture(f"malformed JSON: {exc}; the file must be a GPUNet JSON layer list") from None
        if not isinstance(obj, list) or not obj:
            raise InvalidArchitecture("a GPUNet architecture is a non-empty JSON list of layer objects")
        for i, entry in enumerate(obj):
            if not isinstance(entry, dict) or "layer_type" not in entry:
                raise InvalidArchitecture(f"layer {i}: every entry must be an object with a 'layer_type' key")
        data = obj[0]
        if data["layer_type"] != "data":
            raise InvalidArchitecture("layer 0: the first entry must be the 'data' layer (img_resolution, distill)")
        if "img_resolution" not in data:
            raise InvalidArchitecture("data: img_resolution is missing")
        distill = data.get("distill", False)
        if not isinstance(distill, bool):
            raise InvalidArchitecture(f"data: distill must be true or false, got {distill!r}")
        layers = [_layer_from_json(i, entry) for i, entry in enumerate(obj[1:], start=1)]
        return cls(resolution=data["img_resolution"], layers=tuple(layers), distill=distill)

    # -- arch string -------------------------------------------------------------------------------
    @classmethod
    def from_arch_string(cls, s: str) -> "ArchSpec":
        if not isinstance(s, str) or ":" not in s:
            raise InvalidArchitecture(f"malformed arch string {s!r}: expected 'r<res>i<in>[d]:<layers>'")
        header, body = s.split(":", 1)
        m = _HEADER_RE.match(header)
        if not m:
            raise InvalidArchitecture(f"malformed arch string header {header!r}: expected 'r<res>i<in>[d]'")
        resolution, in_chs, distill = int(m.group(1)), int(m.group(2)), bool(m.group(3))
        layers: list[Layer] = []
        prev_out = in_chs
        for item in body.split("|"):
            tok, _, rep = item.partition("*")
            try:
                count = int(rep) if rep else 1
            except ValueError:
                raise InvalidArchitecture(f"malformed repeat count in {item!r}") from None
            parts = tok.split("_")
            if parts[0] not in _CODE_TYPES:
                raise InvalidArchitecture(f"unknown layer code {parts[0]!r} in {item!r}")
            kw: dict[str, Any] = {"type": _CODE_TYPES[parts[0]]}
            for part in parts[1:]:
                pm = _TOKEN_RE.match(part)
                if not pm:
                    raise InvalidArchitecture(f"malformed field {part!r} in {item!r}")
                key, val = pm.groups()
                attr = dict(_TOKEN_FIELDS)[key]
                try:
                    if attr == "act":
                        kw[attr] = _CODE_ACTS[val]
                    elif attr == "use_se":
                        kw[attr] = bool(int(val))
                    elif attr == "expansion":
                        kw[attr] = _num(float(val))
                    else:
                        kw[attr] = int(val)
                except (KeyError, ValueError):
                    raise InvalidArchitecture(f"malformed value in field {part!r} of {item!r}") from None
            if "out_chs" not in kw:
                raise InvalidArchitecture(f"layer token {tok!r} has no output channels (o<N>)")
            for _ in range(count):
                layers.append(Layer(in_chs=prev_out, **kw))
                prev_out = kw["out_chs"]
        return cls(resolution=resolution, layers=tuple(layers), distill=distill)

    def __str__(self) -> str:
        return self.arch_string


def _where(i: int, layer: Any) -> str:
    """Layers are numbered as entries of the JSON list (the ``data`` entry is 0)."""
    kind = getattr(layer, "type", "?")
    stage = getattr(layer, "stage", None)
    return f"layer {i + 1} ({kind}{'' if stage is None else f', stage {stage}'})"


_REQUIRED = {
    "head": ("num_in_channels", "num_out_channels"),
    "head_large": ("num_in_channels", "num_out_channels"),
    "tail": ("num_in_channels", "num_out_channels", "num_classes"),
    "conv": ("num_in_channels", "num_out_channels", "stride", "kernel_size"),
    "fused_irb": ("num_in_channels", "num_out_channels", "stride", "kernel_size", "expansion"),
    "irb": ("num_in_channels", "num_out_channels", "stride", "kernel_size", "expansion"),
}


def _layer_from_json(i: int, entry: dict) -> Layer:
    kind = entry["layer_type"]
    stage = entry.get("stage")
    where = f"layer {i} ({kind}{'' if stage is None else f', stage {stage}'})"
    if kind not in _REQUIRED:
        raise InvalidArchitecture(f"{where}: unknown layer_type {kind!r}; expected one of {', '.join(LAYER_TYPES)}")
    for key in _REQUIRED[kind]:
        if key not in entry:
            raise InvalidArchitecture(f"{where}: required key {key!r} is missing")
    kw = {attr: entry.get(key) for attr, key in Layer._JSON_KEYS}
    if kind in ("head", "head_large", "tail"):
        # The stem and the classifier have a fixed shape in NVIDIA's builder.
        kw["stride"] = kw["kernel"] = kw["expansion"] = kw["use_se"] = kw["groups"] = None
    if kind != "tail":
        kw["num_classes"] = None
    return Layer(type=kind, **kw)


def load_arch_file(path: str | Path) -> ArchSpec:
    """Read a GPUNet JSON file (never pickle). Raises :class:`InvalidArchitecture` on any problem."""
    p = Path(path)
    if not p.is_file():
        raise InvalidArchitecture(f"architecture file {str(p)!r} does not exist; pass a GPUNet JSON file")
    try:
        text = p.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidArchitecture(f"cannot read {str(p)!r}: {exc}") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidArchitecture(f"{str(p)!r} is not valid JSON ({exc}); pass a GPUNet JSON file") from None
    try:
        return ArchSpec.from_gpunet_json(obj)
    except InvalidArchitecture as exc:
        raise InvalidArchitecture(f"{str(p)!r}: {exc}") from None


def iter_blocks(spec: ArchSpec) -> Iterable[Layer]:
    return (layer for layer in spec.layers if layer.type in _BLOCKS)
