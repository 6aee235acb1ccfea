"""``make demo``: explore the tiny GPUNet space on this machine (no GPU needed).

Samples a few architectures, builds each one, exports it to ONNX, times it with onnxruntime
(1 thread) and prints a table.
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from ._cli import OneLineParser, run_cli
from .search_space import arch_stats, get_space

PROG = "python -m gpunet_ray.demo"


def explore(space_name: str = "tiny", n: int = 6, seed: int = 0, out: Path | None = None) -> list[dict]:
    import onnxruntime as ort

    from .search_space.builder import build_model, count_params, export_onnx

    space = get_space(space_name).with_num_classes(10)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(out or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for spec in space.sample(np.random.default_rng(seed), n):
            model = build_model(spec).eval()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                path = export_onnx(model, folder / f"{spec.hash}.onnx")
            so = ort.SessionOptions()
            so.intra_op_num_threads = so.inter_op_num_threads = 1
            sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
            x = {"input": np.random.default_rng(0).random((1, 3, spec.resolution, spec.resolution), dtype=np.float32)}
            for _ in range(10):
                sess.run(None, x)
            ts = []
            for _ in range(50):
                t0 = time.perf_counter()
                sess.run(None, x)
                ts.append((time.perf_counter() - t0) * 1e3)
            st = arch_stats(spec)
            rows.append({"hash": spec.hash, "res": spec.resolution, "depth": len(spec.layers) - 1,
                         "params": count_params(model), "macs": st.macs, "ms": float(np.median(ts)),
                         "arch": spec.arch_string})
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    p = OneLineParser(prog=PROG, description=__doc__)
    p.add_argument("--n", type=int, default=6)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    print(f"Sampling {args.n} architectures from the 'tiny' space (seed {args.seed}); "
          "latency: onnxruntime CPU, 1 thread, batch 1, median of 50 runs")
    rows = explore(n=args.n, seed=args.seed)
    print(f"{'hash':<16} {'res':>4} {'layers':>6} {'params':>9} {'MMACs':>7} {'ms':>6}")
    for r in rows:
        print(f"{r['hash']:<16} {r['res']:>4} {r['depth']:>6} {r['params']:>9,} {r['macs'] / 1e6:>7.1f} {r['ms']:>6.3f}")
    print("\narch strings:")
    for r in rows:
        print(f"  {r['hash']}  {r['arch']}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main, prog=PROG))
