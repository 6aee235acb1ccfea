"""Shared CLI plumbing: one-line errors with exit code 2, never a traceback for bad input."""

from __future__ import annotations

import argparse
import sys
from typing import Callable, NoReturn, Sequence

from .errors import GpunetRayError

__all__ = ["OneLineParser", "run_cli", "UsageError"]


class UsageError(GpunetRayError):
    """Bad command-line usage."""

    reason = "usage_error"


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
