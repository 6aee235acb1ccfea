"""Latency benchmarks (results in docs/BENCHMARKS.md).

``python -m gpunet_ray.latency.bench {stability,passes,predictor,pool} [options]``; each prints a
human summary and, last, one JSON line.

* ``stability``: one architecture measured in R separate processes (the CLI); CV of the medians.
* ``passes``: two independent passes over N sampled architectures; Kendall tau between them.
* ``predictor``: hold-out Kendall tau / MAPE of :class:`LatencyPredictor` on a measured table.
* ``pool``: :class:`LatencyService` throughput with 1 vs 2 actors on the same architectures.
* ``presets``: NVIDIA's released GPUNets measured with one backend (e.g. ``torch-cuda`` FP16
  batch 1, eager and with CUDA graphs), next to NVIDIA's published TensorRT FP16 figures.
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

from .backends import CLOCKS, DEFAULT_BACKEND, backend_help

__all__ = ["stability", "passes", "predictor", "pool", "presets", "main"]


def _specs(n: int, seed: int, space: str = "tiny"):
    from gpunet_ray.search_space import get_space

    from .table import sample_unique

    return sample_unique(get_space(space), n, seed=seed)


def stability(arch: str | None = None, repeats: int = 5, threads: int = 1, clock: str = "auto",
              backend: str = DEFAULT_BACKEND, seed: int = 0) -> dict:
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
           backend: str = DEFAULT_BACKEND) -> dict:
    """Two passes (no cache) over ``n`` architectures; Kendall tau and relative differences."""
    from .timing import kendall_tau
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


def pool(n: int = 20, seed: int = 2, backend: str = DEFAULT_BACKEND, actors: Sequence[int] = (1, 2),
         delay_s: float = 0.0) -> dict:
    """Measurements per second with 1 vs 2 actors (no cache), and tau between the runs' medians.

    ``backend="synthetic"`` with ``delay_s`` isolates the pool's own scaling from CPU contention
    (each fake measurement sleeps, like a measurement on a separate device).
    """
    import ray

    from .timing import kendall_tau
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


def presets(names: Sequence[str] = ("gpunet-0", "gpunet-1", "gpunet-2"), backend: str = "torch-cuda",
            precision: str | None = None, batch: int = 1, cuda_graphs: Sequence[bool] = (False, True),
            repeats: int | None = None) -> dict:
    """Median/min/p90 latency of released GPUNets on ``backend``, beside NVIDIA's published numbers.

    ``cuda_graphs`` lists the variants to time (only ``torch-cuda`` has the option; other
    backends run once). The published figures are TensorRT FP16 batch-1 medians (A100, V100);
    eager PyTorch is expected to be slower than an optimised TensorRT engine.
    """
    from gpunet_ray.search_space.presets import PUBLISHED, get_preset

    from .measure import measure_latency

    variants = list(dict.fromkeys(cuda_graphs)) if backend == "torch-cuda" else [None]
    rows = []
    for name in names:
        spec = get_preset(name)
        for graphs in variants:
            opts = {} if graphs is None else {"cuda_graphs": graphs}
            rec = measure_latency(spec, backend=backend, precision=precision, batch=batch, repeats=repeats, **opts)
            pub = PUBLISHED.get(name, {})
            rows.append({"preset": name, "resolution": spec.resolution, "cuda_graphs": graphs,
                         "median_ms": rec.median_ms, "min_ms": rec.min_ms, "iqr_ms": rec.iqr_ms, "p90_ms": rec.p90_ms, "n": rec.n,
                         "precision": rec.precision, "batch": rec.batch, "device": rec.device,
                         "versions": dict(rec.versions),
                         "published_a100_trt_fp16_ms": pub.get("a100_trt_fp16_ms"),
                         "published_v100_trt_fp16_ms": pub.get("v100_trt_fp16_ms")})
            label = "" if graphs is None else (" + CUDA graphs" if graphs else " eager")
            ref = f"; NVIDIA A100 TensorRT FP16: {pub['a100_trt_fp16_ms']} ms" if "a100_trt_fp16_ms" in pub else ""
            print(f"{name} @{spec.resolution}px {backend}{label} {rec.precision} batch {rec.batch}: median "
                  f"{rec.median_ms:.3f} ms (min {rec.min_ms:.3f}, p90 {rec.p90_ms:.3f}, n {rec.n}) on {rec.device}{ref}",
                  file=sys.stderr, flush=True)
    return {"bench": "presets", "backend": backend, "rows": rows}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gpunet_ray.latency.bench")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("stability")
    s.add_argument("--arch", default=None)
    s.add_argument("--repeats", type=int, default=5)
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--clock", default="auto", choices=CLOCKS)
    s.add_argument("--seed", type=int, default=0)
    q = sub.add_parser("passes")
    q.add_argument("--n", type=int, default=50)
    q.add_argument("--seed", type=int, default=1)
    q.add_argument("--threads", type=int, default=1)
    q.add_argument("--clock", default="auto", choices=CLOCKS)
    r = sub.add_parser("predictor")
    r.add_argument("--table", required=True)
    r.add_argument("--seeds", type=int, default=5)
    r.add_argument("--model", default="ensemble")
    r.add_argument("--target", default="median_ms", help="table column to predict (median_ms, min_ms, p90_ms)")
    o = sub.add_parser("pool")
    o.add_argument("--n", type=int, default=20)
    o.add_argument("--seed", type=int, default=2)
    o.add_argument("--backend", default=DEFAULT_BACKEND, help=backend_help())
    o.add_argument("--delay", type=float, default=0.0, help="synthetic backend: seconds per measurement")
    g = sub.add_parser("presets")
    g.add_argument("--names", default="gpunet-0,gpunet-1,gpunet-2", help="comma list of built-in presets")
    g.add_argument("--backend", default="torch-cuda", help=backend_help("torch-cuda"))
    g.add_argument("--precision", default=None, choices=("fp16", "fp32"))
    g.add_argument("--batch", type=int, default=1)
    g.add_argument("--repeats", type=int, default=None, help="fixed number of timed runs (default: adaptive)")
    g.add_argument("--cuda-graphs", default="both", choices=("both", "on", "off"),
                   help="torch-cuda: time eager, CUDA-graph replay, or both (default)")
    a = p.parse_args(argv)
    if a.cmd == "stability":
        res = stability(a.arch, a.repeats, a.threads, a.clock, seed=a.seed)
    elif a.cmd == "passes":
        res = passes(a.n, a.seed, a.threads, a.clock)
    elif a.cmd == "predictor":
        res = predictor(a.table, a.seeds, model=a.model, target=a.target)
    elif a.cmd == "presets":
        graphs = {"both": (False, True), "on": (True,), "off": (False,)}[a.cuda_graphs]
        res = presets([n for n in a.names.split(",") if n], a.backend, a.precision, a.batch, graphs, a.repeats)
    else:
        res = pool(a.n, a.seed, backend=a.backend, delay_s=a.delay)
    print(json.dumps(res, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
