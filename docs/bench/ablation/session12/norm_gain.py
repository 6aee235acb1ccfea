"""Mean normalised gain of each session-12 variant over the defaults: per problem (defaults median - variant
median) / (random median - best median of any searcher), over the 51 tuning problems. Run from the repository root."""
import runpy, sys, io, contextlib, numpy as np
sys.argv=["x"]
with contextlib.redirect_stdout(io.StringIO()):
    g = runpy.run_path("docs/bench/ablation/session12/compare.py")
med, SETS, PEERS = g["med"], g["SETS"], g["PEERS"]
VS = ["lamcts[gp_kernel=matern32]", "lamcts[acquisition=mace]"]
for E, vs in ((50, VS + ["lamcts[init_share=0.2]"]), (200, VS)):
    for v in vs:
        gains = []
        for probs in SETS.values():
            for p in probs:
                d, x, r = med(E, p, "default"), med(E, p, v), med(E, p, "random")
                peers = [med(E, p, s) for s in PEERS if med(E, p, s) is not None]
                if None in (d, x, r): continue
                lo = min(peers + [d, x]); span = r - lo
                gains.append((d - x) / span if span > 0 else 0.0)
        g_ = np.array(gains)
        print(E, v, f"mean normalised gain {g_.mean():+.4f}  median {np.median(g_):+.4f}  wins {np.sum(g_>0)} losses {np.sum(g_<0)} ties {np.sum(g_==0)}  (n={len(g_)})")
