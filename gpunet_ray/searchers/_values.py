"""JSON forms of config values: lossless where JSON can hold them, named placeholders otherwise.

:func:`encode_value` / :func:`decode_value` are how a :class:`~gpunet_ray.searchers.Domain` and the
Tune adapter's state write constants, choices and subclass attributes; :func:`opaque_values` lists
what could not be saved. Pure Python (numpy scalars are read as the builtins).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gpunet_ray.errors import ConfigError

__all__ = ["TAG", "jsonable", "encode_value", "decode_value", "opaque_values", "values_equal", "finite"]


def finite(v: Any) -> bool:
    """True for a value that reads as a finite float (a result an optimiser can be told as feasible)."""
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def jsonable(v: Any) -> Any:
    """``v`` with numpy scalars read as the builtin int, float or bool."""
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


#: tag of the JSON objects :func:`encode_value` writes for what plain JSON cannot hold.
TAG = "__gpunet_ray__"


def encode_value(v: Any) -> Any:
    """The JSON form of a config value, lossless where possible.

    JSON types stay as they are; tuples, dicts with non-string keys and non-finite floats become
    tagged objects (:func:`decode_value` restores them exactly; Tune's own placeholders for
    non-primitive values are such tuples). Anything else (functions, paths, arrays, subclasses of
    the builtins) becomes an *opaque* placeholder naming it, without memory addresses, so that
    equal spaces give equal descriptions.
    """
    v = jsonable(v)
    t = type(v)
    if v is None or t in (bool, int, str):
        return v
    if t is float:
        return v if math.isfinite(v) else {TAG: "float", "v": repr(v)}
    if t is list:
        return [encode_value(x) for x in v]
    if t is tuple:
        return {TAG: "tuple", "items": [encode_value(x) for x in v]}
    if t is dict:
        if all(type(k) is str for k in v) and TAG not in v:
            return {k: encode_value(x) for k, x in v.items()}
        return {TAG: "dict", "items": [[encode_value(k), encode_value(x)] for k, x in v.items()]}
    r = repr(v)
    if " at 0x" in r or len(r) > 200:
        r = f"<{t.__module__}.{t.__qualname__}>"
    return {TAG: "opaque", "repr": r}


def decode_value(j: Any) -> Any:
    """Inverse of :func:`encode_value`; ConfigError for an opaque placeholder."""
    if isinstance(j, list):
        return [decode_value(x) for x in j]
    if isinstance(j, dict):
        kind = j.get(TAG)
        if kind is None:
            return {k: decode_value(x) for k, x in j.items()}
        if kind == "tuple":
            return tuple(decode_value(x) for x in j["items"])
        if kind == "dict":
            return {decode_value(k): decode_value(x) for k, x in j["items"]}
        if kind == "float":
            return float(j["v"])
        raise ConfigError(f"{j.get('repr', j)} was not saved (not JSON)")
    return j


def opaque_values(obj: Any) -> list[str]:
    """The opaque placeholders inside encoded JSON (what could not be saved), by name."""
    if isinstance(obj, dict):
        if obj.get(TAG) == "opaque":
            return [str(obj.get("repr"))]
        return [x for v in obj.values() for x in opaque_values(v)]
    if isinstance(obj, list):
        return [x for v in obj for x in opaque_values(v)]
    return []


def values_equal(a: Any, b: Any) -> bool:
    """Config value equality that treats lists and tuples alike and never raises."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    try:
        return a is b or bool(a == b)
    except Exception:  # e.g. arrays: ambiguous truth value
        return False
