"""``python -m gpunet_ray.bench <subcommand> [args]``: dispatch to a benchmark module's ``main(argv)``.

Add a benchmark by adding ``name: "module.path"`` to :data:`SUBCOMMANDS`; the module must define
``main(argv: Sequence[str] | None) -> int`` and ``DESCRIPTION`` (one line, optional).
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Sequence

from gpunet_ray.cli import UsageError, run_cli

SUBCOMMANDS: dict[str, str] = {
    "searchers": "gpunet_ray.bench.searchers",
    "latency": "gpunet_ray.latency.bench",
    "training": "gpunet_ray.bench.training",
    "fidelity": "gpunet_ray.bench.fidelity",
    "e2e": "gpunet_ray.bench.e2e",
}


def _usage() -> str:
    return "usage: python -m gpunet_ray.bench {" + ",".join(SUBCOMMANDS) + "} [args] (add --help after a subcommand)"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        for name, mod in SUBCOMMANDS.items():
            print(f"  {name:12s} {mod}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in SUBCOMMANDS:
        raise UsageError(f"unknown benchmark {name!r}; use one of {', '.join(SUBCOMMANDS)}")
    return int(import_module(SUBCOMMANDS[name]).main(rest) or 0)


if __name__ == "__main__":
    sys.exit(run_cli(main, prog="python -m gpunet_ray.bench"))
