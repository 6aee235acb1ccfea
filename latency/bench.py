"""Latency benchmarks (results in docs/BENCHMARKS.md).

``python -m gpunet_ray.latency.bench {stability,passes,predictor,pool} [options]``; each prints a
human summary and, last, one JSON line.

* ``stability``: one architecture measured in R separate processes (the CLI); CV of the medians.
* ``passes``: two independent passes over N sampled architectures; Kendall tau between them.
* ``predictor``: hold-out Kendall tau / MAPE of :class:`LatencyPredictor` on a measured table.
* ``pool``: :class:`LatencyService` throughput with 1 vs 2 actors on the same architectures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

import numpy as np

__all__ = ["stability", "passes", "predictor", "pool", "main"]


def _specs(n: int, seed: int, space: str = "tiny"):
    from gpunet_ray.search_space import get_space

    from .table import sample_unique

    return sample_unique(get_space(space), n, seed=seed)


def stability(arch: str | None = None, repeats: int = 5, threads: int = 1, clock: str = "auto",
              backend: str = "onnxruntime-cpu", seed: int = 0) -> dict:
    """Median of one architecture in ``repeats`` fresh processes; CV of those medians."""
    from .measure import as_spec

    spec = as_spec(arch) if arch else _specs(1, seed)[0]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "arch.json"
        path.write_text(spec.dumps())
        medians = []
        for _ in range(repeats):
            cmd = [sys.executable, "-m", "gpunet_ray.latency", "measure", str(path), "--json", "--backend", backend,
                   "--threads", str(threads), "--clock", clock]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr.strip())
            medians.append(json.loads(proc.stdout)["median_ms"])
    m = np.asarray(medians)
    return {"bench": "stability", "arch": spec.arch_string, "backend": backend, "threads": threads, "clock": clock,
            "medians_ms": [round(float(v), 4) for v in m], "cv_of_medians": float(m.std(ddof=1) / m.mean()),
            "spread": float((m.max() - m.min()) / m.mean())}


def passes(n: int = 50, seed: int = 1, threads: int = 1, clock: str = "auto",
           backend: str = "onnxruntime-cpu") -> dict:
    """Two passes (no cache) over ``n`` architectures; Kendall tau and relative differences."""
    from ._stats import kendall_tau
    from .backends import get_backend

    specs = _specs(n, seed)
    b = get_backend(backend, threads=threads, clock=clock)
    t0 = time.time()
    a = np.array([b.measure(s).median_ms for s in specs])
    bb = np.array([b.measure(s).median_ms for s in specs])
    rel = np.abs(a - bb) / np.minimum(a, bb)
    return {"bench": "passes", "n": n, "backend": backend, "threads": threads, "clock": clock,
            "kendall_tau": kendall_tau(a, bb), "median_rel_diff": float(np.median(rel)),
            "max_rel_diff": float(rel.max()), "range_ms": [float(a.min()), float(a.max())],
            "wall_s": time.time() - t0}


def predictor(table: str, seeds: int = 5, test_frac: float = 0.25, model: str = "ensemble",
              target: str = "median_ms") -> dict:
    """Hold-out tau / MAPE over ``seeds`` random splits of a measured table (column ``target``)."""
    from gpunet_ray.search_space import ArchSpec

    from .predictor import LatencyPredictor
    from .table import read_table

    df = read_table(table)
    specs = [ArchSpec.from_arch_string(a) for a in df["arch"]]
    y = df[target].to_numpy()
    res = [LatencyPredictor.holdout_eval(specs, y, test_frac=test_frac, seed=s, model=model) for s in range(seeds)]
    taus = [r["kendall_tau"] for r in res]
    mapes = [r["mape"] for r in res]
    return {"bench": "predictor", "table": str(table), "n": len(y), "model": model, "target": target,
            "n_test": res[0]["n_test"],
            "kendall_tau_mean": float(np.mean(taus)), "kendall_tau_min": float(np.min(taus)),
            "mape_mean": float(np.mean(mapes)), "mape_max": float(np.max(mapes)), "seeds": seeds}


def pool(n: int = 20, seed: int = 2, backend: str = "onnxruntime-cpu", actors: Sequence[int] = (1, 2),
         delay_s: float = 0.0) -> dict:
    """Measurements per second with 1 vs 2 actors (no cache), and tau between the runs' medians.

    ``backend="synthetic"`` with ``delay_s`` isolates the pool's own scaling from CPU contention
    (each fake measurement sleeps, like a measurement on a separate device).
    """
    import ray

    from ._stats import kendall_tau
    from .service import LatencyService

    specs = _specs(n, seed)
    out: dict = {"bench": "pool", "n": n, "backend": backend, "runs": []}
    medians = []
    if not ray.is_initialized():
        ray.init(include_dashboard=False, log_to_driver=False)
    for k in actors:
        opts = {"delay_s": delay_s} if backend == "synthetic" else {}
        with LatencyService(backend=backend, num_actors=k, backend_options=opts) as svc:
            t = time.time()
            recs = [f.result() for f in svc.submit(specs)]
            wall = time.time() - t
            st = svc.stats()
        medians.append(np.array([r.median_ms for r in recs]))
        out["runs"].append({"actors": k, "wall_s": wall, "per_s": n / wall, "mean_measure_s": st["mean_measure_s"]})
    out["speedup"] = out["runs"][-1]["per_s"] / out["runs"][0]["per_s"]
    out["kendall_tau_between_runs"] = kendall_tau(medians[0], medians[-1])
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gpunet_ray.latency.bench")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("stability")
    s.add_argument("--arch", default=None)
    s.add_argument("--repeats", type=int, default=5)
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--clock", default="auto")
    s.add_argument("--seed", type=int, default=0)
    q = sub.add_parser("passes")
    q.add_argument("--n", type=int, default=50)
    q.add_argument("--seed", type=int, default=1)
    q.add_argument("--threads", type=int, default=1)
    q.add_argument("--clock", default="auto")
    r = sub.add_parser("predictor")
    r.add_argument("--table", required=True)
    r.add_argument("--seeds", type=int, default=5)
    r.add_argument("--model", default="ensemble")
    r.add_argument("--target", default="median_ms", help="table column to predict (median_ms, min_ms, p90_ms)")
    o = sub.add_parser("pool")
    o.add_argument("--n", type=int, default=20)
    o.add_argument("--seed", type=int, default=2)
    o.add_argument("--backend", default="onnxruntime-cpu")
    o.add_argument("--delay", type=float, default=0.0, help="synthetic backend: seconds per measurement")
    a = p.parse_args(argv)
    if a.cmd == "stability":
        res = stability(a.arch, a.repeats, a.threads, a.clock, seed=a.seed)
    elif a.cmd == "passes":
        res = passes(a.n, a.seed, a.threads, a.clock)
    elif a.cmd == "predictor":
        res = predictor(a.table, a.seeds, model=a.model, target=a.target)
    else:
        res = pool(a.n, a.seed, backend=a.backend, delay_s=a.delay)
    print(json.dumps(res, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
