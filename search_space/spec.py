"""``ArchSpec``: one frozen, hashable description of a GPUNet-format network.

An ``ArchSpec`` can hold any architecture expressible in NVIDIA's GPUNet JSON format (including the
distilled "D" models with ``head_large`` and grouped convolutions, and the "P" models with
fractional expansions). Well-formedness is checked on construction; membership of a search space
is a separate check (:meth:`gpunet_ray.search_space.SearchSpace.validate`). What each
``layer_type`` means (its token code, JSON keys and rules) is its block type's declaration
(:mod:`gpunet_ray.search_space.blocks`); this module names no block type.

Views (all lossless):

* :meth:`ArchSpec.from_gpunet_json` / :meth:`ArchSpec.to_gpunet_json` -- NVIDIA's format;
* :attr:`ArchSpec.arch_string` / :meth:`ArchSpec.from_arch_string` -- compact, stable hash key;
* unit-cube vectors live on the search space (``space.encode`` / ``space.decode``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gpunet_ray.errors import InvalidArchitecture

from .blocks import ACTIVATIONS, block_for_code, get_block, list_blocks, make_divisible
from .blocks.base import is_int as _is_int

__all__ = ["Layer", "ArchSpec", "LAYER_TYPES", "ACTIVATIONS", "make_divisible", "load_arch_file", "as_spec"]


def __getattr__(name: str) -> Any:
    if name == "LAYER_TYPES":  # the registered block types, read when asked (types can be added)
        return list_blocks()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
        parts = [get_block(self.type).code]
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
            if layer.type not in list_blocks():
                raise InvalidArchitecture(
                    f"{where}: unknown layer_type {layer.type!r}; expected one of {', '.join(list_blocks())}"
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
            block = get_block(layer.type)
            if block.role == "stem" and i != 0:
                raise InvalidArchitecture(f"{where}: a {layer.type} layer must come first")
            if block.role == "tail" and i != n - 1:
                raise InvalidArchitecture(f"{where}: the tail must be the last layer")
            block.check(layer, where, i, n, self.distill)
            if layer.act is not None and layer.act not in ACTIVATIONS:
                raise InvalidArchitecture(f"{where}: act must be one of {ACTIVATIONS}, got {layer.act!r}")
            if layer.stage is not None and not _is_int(layer.stage):
                raise InvalidArchitecture(f"{where}: stage must be an integer label, got {layer.stage!r}")

    # -- derived -----------------------------------------------------------------------------------
    @property
    def in_chs(self) -> int:
        return self.layers[0].in_chs

    @property
    def num_classes(self) -> int | None:
        last = self.layers[-1]
        return last.num_classes if get_block(last.type).role == "tail" else None

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
            role = get_block(layer.type).role
            label = 0 if role == "stem" else layer.stage
            if label is not None and role != "tail":
                out.setdefault(label, []).append(layer)
        return {k: tuple(v) for k, v in out.items()}

    def with_num_classes(self, num_classes: int) -> "ArchSpec":
        """The same network with a different classifier size."""
        last = self.layers[-1]
        if get_block(last.type).role != "tail":
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
            block = block_for_code(parts[0])
            if block is None:
                raise InvalidArchitecture(f"unknown layer code {parts[0]!r} in {item!r}")
            kw: dict[str, Any] = {"type": block.name}
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


def _layer_from_json(i: int, entry: dict) -> Layer:
    kind = entry["layer_type"]
    stage = entry.get("stage")
    where = f"layer {i} ({kind}{'' if stage is None else f', stage {stage}'})"
    if kind not in list_blocks():
        raise InvalidArchitecture(f"{where}: unknown layer_type {kind!r}; expected one of {', '.join(list_blocks())}")
    block = get_block(kind)
    for key in block.required:
        if key not in entry:
            raise InvalidArchitecture(f"{where}: required key {key!r} is missing")
    # keys the type does not carry are dropped (e.g. the stem and the classifier have a fixed shape)
    kw = {attr: entry.get(key) if attr in block.fields or attr in ("in_chs", "out_chs") else None
          for attr, key in Layer._JSON_KEYS}
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


def as_spec(arch: Any) -> ArchSpec:
    """An :class:`ArchSpec` from an ArchSpec, an arch string, a GPUNet JSON list (or its text), or
    the path of a GPUNet JSON file (a :class:`~pathlib.Path`, a ``*.json`` name or an existing file).

    Raises :class:`InvalidArchitecture` for anything else or a malformed architecture.
    """
    if isinstance(arch, ArchSpec):
        return arch
    if isinstance(arch, (list, tuple)):
        return ArchSpec.from_gpunet_json(list(arch))
    if isinstance(arch, Path):
        return load_arch_file(arch)
    if isinstance(arch, str):
        s = arch.strip()
        if s.startswith("["):
            return ArchSpec.from_gpunet_json(s)
        if s.lower().endswith(".json") or os.path.isfile(s):
            return load_arch_file(s)
        return ArchSpec.from_arch_string(s)
    raise InvalidArchitecture(
        f"cannot read an architecture from a {type(arch).__name__}; pass an arch string, GPUNet JSON or ArchSpec"
    )

