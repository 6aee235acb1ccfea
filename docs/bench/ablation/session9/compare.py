"""Rank LA-MCTS's defaults and the session-9 variant among the recorded peers (the variant in lamcts's
place), per set and budget, on the 31 tuning problems (5 seeds, medians). Run from the repository root:
python docs/bench/ablation/session9/compare.py"""
import glob, json, math
import numpy as np
M = "docs/bench/"
PEERS = ["random", "optuna-tpe", "optuna-gp", "hebo", "pypop7-lamcts"]
DEFAULT = "lamcts[acq_radius=1.0,acq_starts=10,acq_discrete=true,exploit_every=4]"  # today's defaults, spelled out
SETS = {"tuned": "hartmann6 ackley10 levy10 rosenbrock10 mixed8 tiny-gpunet".split(),
        "old-ho": "ackley10-shifted levy10-shifted styblinski10 mixed12".split(),
        "h2": ("h2-ellipsoid20 h2-ellipsoid60 h2-rastrigin20 h2-rastrigin40 h2-schwefel20 h2-bueche40 "
               "h2-lunacek20 h2-mixed20 h2-mixed30 h2-gpunet h2-mobile").split(),
        "h3": ("h3-discus30 h3-bentcigar50 h3-sharpridge20 h3-weierstrass20 h3-schaffers40 "
               "h3-griewank-rosenbrock40 h3-mixed16 h3-mixed40 h3-gpuwide h3-gpunet-cpu").split()}
FILES = {50: [M + "searchers_data/runs_50_2026-11-25.json", M + "searchers_data/runs_50_heldout_peers.json"]
         + glob.glob(M + "heldout2/runs_50/*.json") + glob.glob(M + "heldout3/runs_50/*.json")
         + glob.glob(M + "ablation/session7/runs_50/*.json") + glob.glob(M + "ablation/session9/runs_50/*.json"),
         200: [M + "searchers_data/runs_200_2026-11-25.json", M + "searchers_data/runs_200_gp_hebo.json",
               M + "searchers_data/runs_200_heldout_peers.json"] + glob.glob(M + "heldout2/runs_200/*.json")
         + glob.glob(M + "heldout3/runs_200/*.json") + glob.glob(M + "ablation/session7/runs_200/*.json")
         + glob.glob(M + "ablation/session9/runs_200/*.json")}
cells = {}
for E, fs in FILES.items():
    for f in fs:
        for r in json.load(open(f)).get("runs", []):
            if "values" not in r or r.get("seed", 99) > 4 or len(r["values"]) < E:
                continue
            s = r["searcher"]
            if s == "lamcts":
                if "heldout3" not in f:
                    continue  # older defaults; session 7's runs of today's options stand for them
                s = "default"
            s = "default" if s == DEFAULT else s
            b = [v for v, ok in zip(r["values"][:E], r["feasible"][:E]) if ok and v is not None and math.isfinite(v)]
            cells.setdefault((E, r["problem"], s), {})[r["seed"]] = min(b) if b else math.inf
med = lambda E, p, s: float(np.median(list(cells[(E, p, s)].values()))) if len(cells.get((E, p, s), {})) == 5 else None
VARIANTS = ["default", "lamcts[gp_kernel=matern]"]
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
            best_peer = min((s for s in PEERS if med(E, p, s) is not None), key=lambda s: med(E, p, s))
            print(f"  {p:26s} " + "  ".join(f"{v[:24]:>24s} {vals[v]:10.4g} (r{rk[v]:.1f})" for v in VARIANTS)
                  + f"   best peer {best_peer} {med(E, p, best_peer):.4g}")
    for v in VARIANTS:
        per = {n: out.get((E, n, v), []) for n in SETS}
        allr = sum(per.values(), [])
        print(f"  mean rank {v:26s} " + "  ".join(f"{n} {np.mean(r):.2f} ({len(r)})" for n, r in per.items() if r)
              + f"   all {np.mean(allr):.2f} ({len(allr)})")
