"""Session 13 (session 12's compare.py with session 13's runs): rank LA-MCTS's defaults and the infeasible
variants among the recorded peers on the 51 tuning problems. The variants ran on the nine problems with
infeasible points only; on the other 42 they are the default run ask for ask (tests/test_searcher_mends.py), so
the default's cells stand in for them there. Also checks that session 13's rerun of the default at 50 equals the
recorded default runs value for value. Run from the repository root:
python docs/bench/ablation/session13/compare.py [VARIANT ...]

The defaults' runs: at 50 evaluations, session 11's ``global_after=25`` runs (what ``budget=50`` resolves to);
at 200, session 10's ``global_after=100`` runs and set 5's run-once run (``budget=200`` resolves to 100)."""
import glob, json, math, sys
import numpy as np
M = "docs/bench/"
PEERS = ["random", "optuna-tpe", "optuna-gp", "hebo", "pypop7-lamcts"]
SETS = {"tuned": "hartmann6 ackley10 levy10 rosenbrock10 mixed8 tiny-gpunet".split(),
        "old-ho": "ackley10-shifted levy10-shifted styblinski10 mixed12".split(),
        "h2": ("h2-ellipsoid20 h2-ellipsoid60 h2-rastrigin20 h2-rastrigin40 h2-schwefel20 h2-bueche40 "
               "h2-lunacek20 h2-mixed20 h2-mixed30 h2-gpunet h2-mobile").split(),
        "h3": ("h3-discus30 h3-bentcigar50 h3-sharpridge20 h3-weierstrass20 h3-schaffers40 "
               "h3-griewank-rosenbrock40 h3-mixed16 h3-mixed40 h3-gpuwide h3-gpunet-cpu").split(),
        "h4": ("h4-attractive-sector30 h4-step-ellipsoid20 h4-rosenbrock40 h4-different-powers30 h4-gallagher20 "
               "h4-katsuura10 h4-mixed24 h4-mixed50 h4-deepnarrow h4-resmix").split(),
        "h5": ("h5-linear-slope50 h5-gallagher21-30 h5-happycat20 h5-hgbat30 h5-zakharov40 h5-dixon-price60 "
               "h5-mixed34 h5-mixed48 h5-fusedwide h5-edgecpu").split()}
FILES = {E: glob.glob(M + f"heldout2/runs_{E}/*.json") + glob.glob(M + f"heldout3/runs_{E}/*.json")
         + glob.glob(M + f"heldout4/runs_{E}/*.json") + glob.glob(M + f"ablation/session9/runs_{E}/*.json")
         + glob.glob(M + f"ablation/session10/runs_{E}/*.json") + glob.glob(M + f"heldout5/runs_{E}/*.json")
         + glob.glob(M + f"ablation/session11/runs_{E}/*.json") + glob.glob(M + f"ablation/session12/runs_{E}/*.json") + glob.glob(M + f"ablation/session13/runs_{E}/*.json")
         for E in (50, 200)}
FILES[50] += [M + "searchers_data/runs_50_2026-11-25.json", M + "searchers_data/runs_50_heldout_peers.json"]
FILES[200] += [M + "searchers_data/runs_200_2026-11-25.json", M + "searchers_data/runs_200_gp_hebo.json",
               M + "searchers_data/runs_200_heldout_peers.json"]
cells = {}
for E, fs in FILES.items():
    for f in fs:
        for r in json.load(open(f)).get("runs", []):
            if "values" not in r or r.get("seed", 99) > 4 or len(r["values"]) < E:
                continue
            s = r["searcher"]
            if s == "lamcts" and "heldout5" in f and E == 200:
                s = "default"
            elif s == "lamcts[global_after=25]" and E == 50:
                s = "default"
            elif s == "lamcts[global_after=100]" and E == 200:
                s = "default"
            elif s in ("lamcts", "lamcts[gp_kernel=matern]"):
                continue  # older defaults
            b = [v for v, ok in zip(r["values"][:E], r["feasible"][:E]) if ok and v is not None and math.isfinite(v)]
            cells.setdefault((E, r["problem"], s), {})[r["seed"]] = min(b) if b else math.inf
NAS = "tiny-gpunet h2-gpunet h2-mobile h3-gpuwide h3-gpunet-cpu h4-deepnarrow h4-resmix h5-fusedwide h5-edgecpu".split()
rerun, recorded = {}, {}
for f in glob.glob(M + "ablation/session13/runs_50/*.json"):
    for r in json.load(open(f)).get("runs", []):
        if r["searcher"] == "lamcts":
            rerun[(r["problem"], r["seed"])] = r["values"]
for f in glob.glob(M + "ablation/session11/runs_50/*.json"):
    for r in json.load(open(f)).get("runs", []):
        if r["searcher"] == "lamcts[global_after=25]" and r["problem"] in NAS:
            recorded[(r["problem"], r["seed"])] = r["values"]
same = sum(rerun[k] == recorded.get(k) for k in rerun)
print(f"session 13's rerun of the default at 50: {same} of {len(rerun)} runs equal the recorded default runs")
for E in (50, 200):
    for v in sys.argv[1:]:
        for p in {p for (e, p, s) in list(cells) if e == E and s == "default"} - set(NAS):
            cells[(E, p, v)] = cells[(E, p, "default")]
med = lambda E, p, s: float(np.median(list(cells[(E, p, s)].values()))) if len(cells.get((E, p, s), {})) == 5 else None
VARIANTS = ["default"] + sys.argv[1:]
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
            best_peer = min((s for s in PEERS if med(E, p, s) is not None), key=lambda s: med(E, p, s))
            print(f"  {p:26s} " + "  ".join(f"{v[:26]:>26s} {vals[v]:10.4g} (r{rk[v]:.1f})" for v in VARIANTS)
                  + f"   best peer {best_peer} {med(E, p, best_peer):.4g}")
    for v in VARIANTS:
        per = {n: out.get((E, n, v), []) for n in SETS}
        allr = sum(per.values(), [])
        if not allr:
            continue
        better = ""
        if v != "default":  # median better than the defaults' on how many problems
            a = [x for n in SETS for x in out.get((E, n, v, "raw"), [])]
            b = [x for n in SETS for x in out.get((E, n, "default", "raw"), [])]
            better = f"   median better than the defaults on {sum(x < y for x, y in zip(a, b))}/{len(a)}"
        print(f"  mean rank {v:30s} " + "  ".join(f"{n} {np.mean(r):.2f} ({len(r)})" for n, r in per.items() if r)
              + f"   all {np.mean(allr):.2f} ({len(allr)})" + better)
