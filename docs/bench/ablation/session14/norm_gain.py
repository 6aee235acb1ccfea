"""Mean normalised gain of a session-14 variant over the defaults: per problem (defaults median - variant median) /
(random median - best median of any searcher), on every tuning problem where both ran (61). Run from the
repository root: python docs/bench/ablation/session14/norm_gain.py EVALS [VARIANT]"""
import contextlib, io, runpy, sys
import numpy as np
E = int(sys.argv[1])
V = sys.argv[2] if len(sys.argv) > 2 else "lamcts[gp_prior=optuna]"
sys.argv = ["x", V]
with contextlib.redirect_stdout(io.StringIO()):
    g = runpy.run_path("docs/bench/ablation/session14/compare.py")
med, PEERS, SETS = g["med"], g["PEERS"], g["SETS"]
gains = {}
for name, probs in SETS.items():
    for p in probs:
        d, x, r = med(E, p, "default"), med(E, p, V), med(E, p, "random")
        if d is None or x is None or r is None:
            continue
        lo = min([med(E, p, s) for s in PEERS if med(E, p, s) is not None] + [d, x])
        gains[p] = (d - x) / (r - lo) if r > lo else 0.0
g_ = np.array(list(gains.values()))
print(E, V, " ".join(f"{p} {x:+.2f}" for p, x in gains.items()))
print(E, V, f"mean normalised gain {g_.mean():+.4f}  wins {np.sum(g_ > 0)} losses {np.sum(g_ < 0)} (n={len(g_)})")
