"""Mean normalised gain of each session-13 variant over the defaults at 50 evaluations: per problem (defaults
median - variant median) / (random median - best median of any searcher), on the nine problems with infeasible
points (elsewhere the variants are the default run). Run from the repository root."""
import contextlib, io, runpy, sys
import numpy as np
VS = ["lamcts[infeasible=pof]", "lamcts[infeasible=exclude]"]
sys.argv = ["x"] + VS
with contextlib.redirect_stdout(io.StringIO()):
    g = runpy.run_path("docs/bench/ablation/session13/compare.py")
med, PEERS, NAS = g["med"], g["PEERS"], g["NAS"]
for v in VS:
    gains = []
    for p in NAS:
        d, x, r = med(50, p, "default"), med(50, p, v), med(50, p, "random")
        lo = min([med(50, p, s) for s in PEERS if med(50, p, s) is not None] + [d, x])
        gains.append((d - x) / (r - lo) if r > lo else 0.0)
    g_ = np.array(gains)
    print(50, v, " ".join(f"{p} {x:+.2f}" for p, x in zip(NAS, g_)))
    print(50, v, f"mean normalised gain {g_.mean():+.4f}  wins {np.sum(g_ > 0)} losses {np.sum(g_ < 0)} (n={len(g_)})")
