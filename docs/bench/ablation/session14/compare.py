"""Session 14: rank session 13's infeasible variants among the recorded peers on the 61 tuning problems (the 51 of
session 13 plus held-out set 6, spent in session 13). Builds on session 13's compare.py (run here, not copied):
its cells, plus set 6's records (its LA-MCTS run is the default) and session 14's variant runs on set 6's two
NAS-like problems. On problems without infeasible points every infeasible mode is the default run ask for ask, so
the default's cells stand in there; every other variant (gp_prior="optuna") ran on all 61. Run from the repository root:
python docs/bench/ablation/session14/compare.py [VARIANT ...]"""
import contextlib, glob, io, json, math, runpy, sys
import numpy as np
M = "docs/bench/"
VS = sys.argv[1:] or ["lamcts[infeasible=exclude]", "lamcts[infeasible=pof]"]
STAND_IN = [v for v in VS if v.startswith("lamcts[infeasible=")]  # the default's run where nothing is infeasible
sys.argv = ["x"] + STAND_IN
with contextlib.redirect_stdout(io.StringIO()):
    g = runpy.run_path(M + "ablation/session13/compare.py")
cells, SETS, PEERS, NAS = g["cells"], dict(g["SETS"]), g["PEERS"], list(g["NAS"])
H6 = ("h6-sep-ellipsoid50 h6-powell40 h6-schaffer-f6-30 h6-salomon20 h6-alpine24 h6-qing30 h6-mixed28 h6-mixed60 "
      "h6-npu h6-wideshallow").split()
SETS["h6"] = H6
NAS += ["h6-npu", "h6-wideshallow"]
for E in (50, 200):
    for f in glob.glob(M + f"heldout6/runs_{E}/*.json") + glob.glob(M + f"heldout6/runs_{E}/seeds/*.json") + \
            glob.glob(M + f"ablation/session14/runs_{E}/*.json"):
        for r in json.load(open(f)).get("runs", []):
            if "values" not in r or r.get("seed", 99) > 4 or len(r["values"]) < E:
                continue
            s = "default" if r["searcher"] == "lamcts" else r["searcher"]
            b = [v for v, ok in zip(r["values"][:E], r["feasible"][:E]) if ok and v is not None and math.isfinite(v)]
            cells.setdefault((E, r["problem"], s), {})[r["seed"]] = min(b) if b else math.inf
    for v in STAND_IN:
        for p in set(H6) - set(NAS):
            cells[(E, p, v)] = cells[(E, p, "default")]
med = lambda E, p, s: float(np.median(list(cells[(E, p, s)].values()))) if len(cells.get((E, p, s), {})) == 5 else None
VARIANTS = ["default"] + VS
out = {}
for E in (50, 200):
    print(f"== {E} evaluations")
    for name, probs in SETS.items():
        for p in probs:
            vals = {v: med(E, p, v) for v in VARIANTS}
            if any(x is None for x in vals.values()):
                continue
            others = [m for m in (med(E, p, s) for s in PEERS) if m is not None]
            rk = {v: 1 + sum(o < x for o in others) + 0.5 * sum(o == x for o in others) for v, x in vals.items()}
            for v in VARIANTS:
                out.setdefault((E, name, v), []).append(rk[v])
                out.setdefault((E, name, v, "raw"), []).append(vals[v])
            if p in NAS:
                best_peer = min((s for s in PEERS if med(E, p, s) is not None), key=lambda s: med(E, p, s))
                print(f"  {p:16s} " + "  ".join(f"{v[:26]:>26s} {vals[v]:8.4g} (r{rk[v]:.1f})" for v in VARIANTS)
                      + f"   best peer {best_peer} {med(E, p, best_peer):.4g}")
    for v in VARIANTS:
        per = {n: out.get((E, n, v), []) for n in SETS}
        allr = sum(per.values(), [])
        if not allr:
            continue
        better = ""
        if v != "default":
            a = [x for n in SETS for x in out.get((E, n, v, "raw"), [])]
            b = [x for n in SETS for x in out.get((E, n, "default", "raw"), [])]
            better = f"   median better than the defaults on {sum(x < y for x, y in zip(a, b))}/{len(a)}"
        print(f"  mean rank {v:28s} " + "  ".join(f"{n} {np.mean(r):.2f}" for n, r in per.items() if r)
              + f"   all {np.mean(allr):.2f} ({len(allr)})" + better)
