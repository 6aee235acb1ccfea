"""Rank each LA-MCTS variant among the recorded peers (the variant in lamcts's place), per set and budget."""
import glob, json, math, os, sys
import numpy as np
# run from the repository root: python docs/bench/ablation/session7/compare.py
M = "docs/bench/"
ABL = os.environ.get("ABL_RUNS", M + "ablation/session7/runs_*/*.json")
PEERS = ["random", "optuna-tpe", "optuna-gp", "hebo", "pypop7-lamcts"]
SETS = {"tuned": "hartmann6 ackley10 levy10 rosenbrock10 mixed8 tiny-gpunet".split(),
        "old-ho": "ackley10-shifted levy10-shifted styblinski10 mixed12".split(),
        "h2": ("h2-ellipsoid20 h2-ellipsoid60 h2-rastrigin20 h2-rastrigin40 h2-schwefel20 h2-bueche40 "
               "h2-lunacek20 h2-mixed20 h2-mixed30 h2-gpunet h2-mobile").split()}
FILES = {50: [M + "searchers_data/runs_50_2026-11-25.json", M + "searchers_data/runs_50_heldout_peers.json",
              M + "ablation/ablation_50_15seeds.json"] + glob.glob(M + "heldout2/runs_50/*.json"),
         200: [M + "searchers_data/runs_200_2026-11-25.json", M + "searchers_data/runs_200_gp_hebo.json",
               M + "searchers_data/runs_200_heldout_peers.json", M + "ablation/ablation_200.json"]
         + glob.glob(M + "heldout2/runs_200/*.json")}
def best(vals, feas):
    b = [v for v, f in zip(vals, feas) if f and v is not None and math.isfinite(v)]
    return min(b) if b else math.inf
cells = {}  # (E, problem, searcher) -> {seed: best}
def load(f, E, override=False):
    for r in json.load(open(f)).get("runs", []):
        if "values" not in r or r.get("seed", 99) > 4 or len(r["values"]) < E:
            continue
        s = r["searcher"]
        if s == "lamcts" and "2026-11-25" in f:
            continue  # the old environment's lamcts: use the current one
        key = (E, r["problem"], s)
        d = cells.setdefault(key, {})
        if override or r["seed"] not in d:
            d[r["seed"]] = best(r["values"][:E], r["feasible"][:E])
for E, fs in FILES.items():
    for f in fs:
        load(f, E)
for f in glob.glob(ABL):
    E = json.load(open(f))["meta"]["evals"]
    load(f, E, override=True)
def med(E, p, s):
    d = cells.get((E, p, s))
    return float(np.median(list(d.values()))) if d and len(d) == 5 else None
variants = sorted({s for (_, _, s) in cells if s.startswith("lamcts") and s != "lamcts+constraint"})
allrank = {}
for E in (50, 200):
    for name, probs in SETS.items():
        rows = []
        for v in variants:
            ranks, detail = [], []
            for p in probs:
                mv = med(E, p, v)
                if mv is None:
                    break
                others = [m for m in (med(E, p, s) for s in PEERS) if m is not None]
                ranks.append(1 + sum(o < mv for o in others) + 0.5 * sum(o == mv for o in others))
                detail.append(f"{p.replace('h2-','')}={mv:.4g}")
            else:
                allrank.setdefault((E, v), []).extend(ranks)
                rows.append(f"  {v:45s} rank {np.mean(ranks):.2f}  " + " ".join(detail))
        if rows:
            print(f"== {E} evals, {name}"); print("\n".join(rows))
n_all = sum(len(p) for p in SETS.values())
print(f"== mean rank over all {n_all} tuning problems (variants run on all of them)")
for (E, v), r in sorted(allrank.items()):
    if len(r) == n_all:
        print(f"  {E:4d} evals  {v:60s} {np.mean(r):.2f}")
