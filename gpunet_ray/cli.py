"""Shared CLI plumbing for every ``python -m gpunet_ray...`` command: one-line errors with exit
code 2, never a traceback for bad input (:func:`run_cli`, :class:`OneLineParser`, :func:`key_values`)."""

from __future__ import annotations

import argparse
import sys
from typing import Callable, NoReturn, Sequence

from .errors import GpunetRayError, UsageError

__all__ = ["OneLineParser", "run_cli", "key_values", "positive_number", "UsageError"]


def key_values(items: Sequence[str], what: str, example: str) -> dict:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}``: values read as YAML scalars (one that is not
    valid YAML stays a string); a malformed item is a :class:`UsageError` naming ``what``."""
    import yaml

    out = {}
    for item in items:
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{what}: {item!r} is not KEY=VALUE (e.g. {example})")
        try:
            out[key.strip()] = yaml.safe_load(val)
        except yaml.YAMLError:
            out[key.strip()] = val
    return out


def positive_number(integer: bool = False):
    """An argparse ``type``: a finite positive number (``1e9`` accepted for integers)."""

    def parse(text: str):
        import math

        try:
            v = float(text)
        except ValueError:
            v = math.nan
        if not (math.isfinite(v) and v > 0):
            raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
        return int(v) if integer else v

    return parse


class OneLineParser(argparse.ArgumentParser):
    """``argparse`` whose errors are a single line (``prog: error: ...``) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def run_cli(main: Callable[[Sequence[str] | None], int | None], argv: Sequence[str] | None = None,
            prog: str = "gpunet_ray") -> int:
    """Run ``main(argv)``; project errors become exit 2 + one stderr line."""
    try:
        rc = main(argv)
    except GpunetRayError as exc:
        msg = " ".join(str(exc).split())
        print(f"{prog}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    return int(rc or 0)
