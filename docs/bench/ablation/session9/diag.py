"""Quick diagnostic: best-so-far medians of variants on one problem (not a record)."""
import sys, math, numpy as np, json
sys.path.insert(0, ".")
from gpunet_ray.bench.searchers import run_one
prob, evals, seeds = sys.argv[1], int(sys.argv[2]), [int(s) for s in sys.argv[3].split(",")]
for v in sys.argv[4:]:
    curves = []
    for s in seeds:
        r = run_one(prob, v, s, evals, 8)
        x = [a if (ok and a is not None) else math.inf for a, ok in zip(r["values"], r["feasible"])]
        curves.append(np.minimum.accumulate(x))
    c = np.median(curves, axis=0)
    idx = [i for i in (49, 99, 149, 199) if i < evals]
    print(f"{prob} {v:50s}", " ".join(f"{c[i]:9.4g}" for i in idx), " seeds:", " ".join(f"{cc[-1]:.4g}" for cc in curves), flush=True)
