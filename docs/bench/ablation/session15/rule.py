"""Session 15: Optuna's GP priors only on all-continuous domains (BoTorch's dimension-scaled ones on mixed domains,
as on all-discrete ones), ranked on the 71 tuning problems against the session-14 rule (the default, baseline.json).
On the 14 mixed tuning problems the candidate's runs are gp_prior=dim_scaled's: for the 12 of sets 1-6 the default
runs of sessions 11-13 (what dim_scaled restores, see session14/rule.py), for set 7's two session 15's runs
(run_mixed.sh); on the other 57 it is the default ask for ask. Run from the repository root:
python docs/bench/ablation/session15/rule.py"""
import contextlib, glob, io, json, math, os, runpy, sys
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from rank import best_value, norm_gain, rank_among  # noqa: E402
from gpunet_ray.bench.problems import get_problem
sys.argv = ["x", "lamcts[gp_prior=optuna]"]
with contextlib.redirect_stdout(io.StringIO()):
    g = runpy.run_path("docs/bench/ablation/session14/compare.py")
cells = g["cells"]
base = json.load(open("docs/bench/ablation/baseline.json"))
num = lambda xs: [math.inf if x == "inf" else x for x in xs]  # noqa: E731
for f in glob.glob("docs/bench/ablation/session15/runs_*/*.json"):
    for r in json.load(open(f))["runs"]:
        if r["searcher"] != "lamcts[gp_prior=dim_scaled]":  # the folder also holds later variants' runs
            continue
        E = len(r["values"])
        cells.setdefault((E, r["problem"], "dim_scaled"), {})[r["seed"]] = best_value(r, E)
for E in (50, 200):
    table, per, gains, bw = base[str(E)], {}, [], [0, 0]
    for name, ps in base["sets"].items():
        for p in ps:
            kinds = {x.kind for x in get_problem(p).domain.params}
            mixed = bool(kinds & {"float", "log"}) and bool(kinds - {"float", "log"})
            meds = {s: float(np.median(num(c))) for s, c in table[p].items() if c is not None}
            d = meds["lamcts"]
            if mixed:
                c = cells.get((E, p, "dim_scaled")) or cells[(E, p, "default")]
                assert sorted(c) == [0, 1, 2, 3, 4], (E, p)
                x = float(np.median([c[k] for k in range(5)]))
            else:
                x = d
            others = [m for s, m in meds.items() if s != "lamcts"]
            rk = lambda y: rank_among(y, others)  # noqa: E731
            per.setdefault(name, {"default": [], "rule": []})
            per[name]["default"].append(rk(d))
            per[name]["rule"].append(rk(x))
            bw[0] += x < d
            bw[1] += x > d
            gains.append(norm_gain(d, x, others, meds["random"]))
            if mixed:
                print(f"  {E} {p:14s} default {d:10.4g} (r{rk(d):.1f})   dim_scaled {x:10.4g} (r{rk(x):.1f})")
    for k in ("default", "rule"):
        allr = sum((v[k] for v in per.values()), [])
        print(E, f"{k:8s}", "  ".join(f"{n} {np.mean(v[k]):.2f}" for n, v in per.items()), f"  all {np.mean(allr):.3f}")
    print(E, f"rule: better/worse than the default on {bw[0]}/{bw[1]}; normalised gain {np.mean(gains):+.4f}")
