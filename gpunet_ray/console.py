"""The ``gpunet-ray`` console script: one command whose subcommands are the ``python -m gpunet_ray.<x>`` tools.

    gpunet-ray search --budget-ms 0.85 --space tiny --data DIR --out results/run1
    gpunet-ray hub list --hub results/run1
    gpunet-ray arch info --preset gpunet-0
    gpunet-ray latency measure FILE.json --backend onnxruntime-cpu
    gpunet-ray data make-demo DIR
    gpunet-ray bench searchers --help

Each subcommand runs that module's ``main(argv)`` with the rest of the command line, so the two forms
take the same arguments and exit with the same codes (``python -m gpunet_ray`` is this command too).
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Sequence

from .cli import UsageError, run_cli

__all__ = ["SUBCOMMANDS", "main"]

PROG = "gpunet-ray"

#: subcommand -> (module whose ``main(argv)`` it runs, one-line description).
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "search": ("gpunet_ray.search", "hardware-aware architecture search with a latency-tiered model hub"),
    "hub": ("gpunet_ray.hub", "list, query, export, train, merge hubs; import NVIDIA's checkpoints"),
    "arch": ("gpunet_ray.arch", "inspect, sample and export GPUNet architectures"),
    "latency": ("gpunet_ray.latency.__main__", "measure, tabulate and predict architecture latency"),
    "data": ("gpunet_ray.data", "build the demo digits, check an ImageNet-layout folder"),
    "bench": ("gpunet_ray.bench.__main__", "benchmarks (searchers, latency, training)"),
}


def _help() -> str:
    lines = [f"usage: {PROG} {{{','.join(SUBCOMMANDS)}}} [args] (add --help after a subcommand)", "",
             "Hardware-aware neural architecture search (GPUNet) on Ray.", "", "subcommands:"]
    lines += [f"  {name:9s} {desc} (python -m {mod.removesuffix('.__main__')})"
              for name, (mod, desc) in SUBCOMMANDS.items()]
    return "\n".join(lines)


def _dispatch(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        raise UsageError(f"a subcommand is required: {', '.join(SUBCOMMANDS)} (see '{PROG} --help')")
    name, rest = argv[0], argv[1:]
    if name in ("-h", "--help"):
        print(_help())
        return 0
    if name == "--version":
        from . import __version__

        print(f"{PROG} {__version__}")
        return 0
    if name not in SUBCOMMANDS:
        raise UsageError(f"unknown subcommand {name!r}; use one of {', '.join(SUBCOMMANDS)} (see '{PROG} --help')")
    return int(import_module(SUBCOMMANDS[name][0]).main(rest) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``gpunet-ray``: bad input -> exit 2 and one line on stderr."""
    return run_cli(_dispatch, argv, prog=PROG)


if __name__ == "__main__":
    sys.exit(main())
