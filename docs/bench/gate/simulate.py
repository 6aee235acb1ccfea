"""The gate's latency pre-screen as the searcher's known constraint, or not: a Ray-free simulation.

The real candidate pipeline (gpunet_ray.pipeline.CandidatePipeline), the real LA-MCTS core and the real
learned latency predictor on the tiny space; only the measurement and the training are simulated:
latency is the ``synthetic`` backend's deterministic formula, and a trained network scores
``top1 = 100 (1 - exp(-MACs / 20 M))`` (larger is better, so the best networks sit at the budget's edge).
The budget is a low percentile of 400 random tiny-space networks' latencies (10 %, 2 %, 0.5 %: tight
tiers, like the 0.5 ms tier of the e2e benchmark on a CPU). Each run trains up to 30 candidates, with the
driver's cap of 25 x 30 proposals, asking 2 per round (the pipeline's default).

    python docs/bench/gate/simulate.py --seeds 5 --out docs/bench/gate/simulate.json
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class _Rec:
    median_ms: float
    p90_ms: float = 0.0
    cv: float = 0.01
    n: int = 5
    backend: str = "synthetic"
    device: str = "cpu"


def run(seed: int, screen: bool, trials: int = 30, quantile: float = 0.10) -> dict:
    from gpunet_ray.ledger import Ledger
    from gpunet_ray.latency.backends.synthetic import Synthetic
    from gpunet_ray.pipeline import CandidatePipeline
    from gpunet_ray.search_space import ArchSpec, arch_stats, get_space
    from gpunet_ray.searchers import get_optimizer

    space = get_space("tiny").with_num_classes(10)
    backend = Synthetic()
    lat = backend.expected_ms
    budget = float(np.quantile([lat(s) for s in space.sample(np.random.default_rng(12345), 400)], quantile))
    core = get_optimizer("lamcts", space, seed=seed, maximize=True, budget=trials)
    with tempfile.TemporaryDirectory() as tmp:
        p = CandidatePipeline(space, (budget,), core, Ledger(Path(tmp) / "log.jsonl"),
                              lambda specs: [_Rec(lat(s)) for s in specs], max_candidates=25 * trials,
                              max_trials=trials, epochs=1, snapshot_path=Path(tmp) / "searcher.json")
        if not screen:
            p._screen_core = lambda: None
        t0 = time.perf_counter()
        while True:
            c = p.next()
            if c is None:
                break
            p.start(c.id, f"t{c.id}")
            macs = arch_stats(ArchSpec.from_arch_string(c.arch)).macs
            p.finish(c.id, {"epoch": 1, "top1": 100.0 * (1.0 - math.exp(-macs / 2e7)), "done": True})
        wall = time.perf_counter() - t0
        rows = [c for c in p.ledger if c.role == "search"]
        reasons = [c.reason for c in rows if c.status == "rejected"]
        trained = [c for c in rows if c.status == "trained"]
        return {"seed": seed, "screen": screen, "budget_ms": budget, "proposed": len(rows),
                "predicted_over_budget": reasons.count("predicted_over_budget"),
                "over_latency_budget": reasons.count("over_latency_budget"),
                "measured": sum(1 for c in rows if c.latency_ms is not None),
                "trained": len(trained), "best_top1": max((c.top1 for c in trained), default=None),
                "wall_s": round(wall, 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--quantiles", default="0.10,0.02,0.005", help="budgets as quantiles of random networks' latency")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args(argv)
    res = []
    for q in (float(x) for x in a.quantiles.split(",")):
        for seed in range(a.seeds):
            for screen in (False, True):
                r = {"quantile": q, **run(seed, screen, a.trials, q)}
                print(json.dumps(r), flush=True)
                res.append(r)
    a.out.write_text(json.dumps({"machine": platform.processor() or platform.machine(), "date":
                                 time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()), "runs": res}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
