"""The block registry: layer type name -> :class:`BlockType`, in registration order."""

from __future__ import annotations

import re
from typing import TypeVar

from gpunet_ray.errors import ConfigError, InvalidArchitecture

from .base import FEATURE_KINDS, ROLES, STAGE_CHOICES, BlockType

__all__ = ["register_block", "unregister_block", "get_block", "block_for_code", "list_blocks", "blocks_with_role"]

_BLOCKS: dict[str, BlockType] = {}
_CODES: dict[str, BlockType] = {}
_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]*$")
_LAYER_FIELDS = ("stride", "kernel", "expansion", "act", "use_se", "stage", "groups", "num_classes")

B = TypeVar("B", BlockType, type)


def _validate(block: BlockType) -> None:
    name, code = block.name, block.code
    if not isinstance(name, str) or not name or name == "data":
        raise ConfigError(f"a block type needs a name (its NVIDIA layer_type other than 'data'), got {name!r}")
    if not isinstance(code, str) or not _CODE_RE.match(code):
        raise ConfigError(f"block type {name!r}: code must be capital letters/digits starting with a letter, "
                          f"got {code!r}")
    if block.role not in ROLES:
        raise ConfigError(f"block type {name!r}: role must be one of {ROLES}, got {block.role!r}")
    unknown = sorted(set(block.fields) - set(_LAYER_FIELDS))
    if unknown:
        raise ConfigError(f"block type {name!r}: unknown Layer field(s) {unknown}; known: {_LAYER_FIELDS}")
    dims = tuple(c.dim for c in STAGE_CHOICES)
    if any(d not in dims for d in block.stage_dims):
        raise ConfigError(f"block type {name!r}: stage_dims must be from {dims}, got {block.stage_dims!r}")
    if block.feature_kind not in FEATURE_KINDS:
        raise ConfigError(f"block type {name!r}: feature_kind must be one of {FEATURE_KINDS}, "
                          f"got {block.feature_kind!r}")


def register_block(block: B, *, replace: bool = False) -> B:
    """Make ``block`` (a :class:`BlockType` instance, or a subclass: it is instantiated) known to
    the whole project: JSON, arch strings, checks, spaces, the builder, statistics, the latency
    predictor and the baselines. Returns its argument, so it also works as a class decorator.

    Raises :class:`ConfigError` for a malformed declaration, or a name or code already taken
    (unless ``replace``, which swaps the type of that name).
    """
    inst = block() if isinstance(block, type) else block
    if not isinstance(inst, BlockType):
        raise ConfigError(f"register_block takes a BlockType (or subclass), got {block!r}")
    _validate(inst)
    old = _BLOCKS.get(inst.name)
    if old is not None and not replace:
        raise ConfigError(f"block type {inst.name!r} is already registered; pass replace=True to swap it")
    taken = _CODES.get(inst.code)
    if taken is not None and taken.name != inst.name:
        raise ConfigError(f"block type {inst.name!r}: code {inst.code!r} is taken by {taken.name!r}")
    if old is not None:
        _CODES.pop(old.code, None)
    _BLOCKS[inst.name] = inst
    _CODES[inst.code] = inst
    return block


def unregister_block(name: str) -> None:
    """Forget the block type ``name`` (a no-op when it is not registered)."""
    block = _BLOCKS.pop(name, None)
    if block is not None:
        _CODES.pop(block.code, None)


def get_block(name: str) -> BlockType:
    """The registered type ``name``; :class:`InvalidArchitecture` (naming the known ones) otherwise."""
    try:
        return _BLOCKS[name]
    except (KeyError, TypeError):
        raise InvalidArchitecture(f"unknown layer_type {name!r}; expected one of {', '.join(_BLOCKS)}") from None


def block_for_code(code: str) -> BlockType | None:
    """The type whose arch-string token code is ``code``, or ``None``."""
    return _CODES.get(code)


def list_blocks() -> tuple[str, ...]:
    """Registered type names, in registration order."""
    return tuple(_BLOCKS)


def blocks_with_role(role: str) -> tuple[str, ...]:
    """Registered type names with ``role`` (``"block"``: the types a search-space stage can use)."""
    return tuple(n for n, b in _BLOCKS.items() if b.role == role)

