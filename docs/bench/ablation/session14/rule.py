"""Session 14: the adopted rule, ranked. gp_prior=None resolves to "optuna" (Optuna GPSampler's priors) on a domain
with a float or log parameter and to "dim_scaled" (BoTorch's) on an all-discrete one. On the 61 tuning problems the
all-discrete domains are exactly the 11 NAS-like ones, so the rule's runs are gp_prior=optuna's runs on the other 50
and the default's on those 11, ask for ask (checked: a rerun of `lamcts` at the adopting commit on hartmann6,
h5-mixed34 and tiny-gpunet equals them, 15 of 15 runs). Ranks each among the recorded peers, as compare.py does.
Run from the repository root: python docs/bench/ablation/session14/rule.py"""
import contextlib, io, runpy, sys
import numpy as np
from gpunet_ray.bench.problems import get_problem
V = "lamcts[gp_prior=optuna]"
sys.argv = ["x", V]
with contextlib.redirect_stdout(io.StringIO()):
    g = runpy.run_path("docs/bench/ablation/session14/compare.py")
med, SETS, PEERS = g["med"], g["SETS"], g["PEERS"]
cont = {p: any(x.kind in ("float", "log") for x in get_problem(p).domain.params) for ps in SETS.values() for p in ps}
print("all-discrete:", " ".join(p for p in cont if not cont[p]))
for E in (50, 200):
    per = {}
    for name, ps in SETS.items():
        for p in ps:
            d, v = med(E, p, "default"), med(E, p, V)
            others = [m for m in (med(E, p, s) for s in PEERS) if m is not None]
            r = lambda x: 1 + sum(o < x for o in others) + 0.5 * sum(o == x for o in others)  # noqa: E731
            rule = v if cont[p] else d
            for k, x in (("default", d), ("optuna everywhere", v), ("rule", rule)):
                per.setdefault(k, {}).setdefault(name, []).append(r(x))
            per.setdefault("better", []).append(rule < d)
            per.setdefault("worse", []).append(rule > d)
    for k in ("default", "optuna everywhere", "rule"):
        allr = sum(per[k].values(), [])
        print(E, f"{k:18s}", "  ".join(f"{n} {np.mean(x):.2f}" for n, x in per[k].items()), f"  all {np.mean(allr):.3f}")
    print(E, f"rule: median better than the default on {sum(per['better'])}, worse on {sum(per['worse'])} (of 61)")
for E in (50, 200):
    gains = []
    for ps in SETS.values():
        for p in ps:
            d, v, r_ = med(E, p, "default"), med(E, p, V), med(E, p, "random")
            x = v if cont[p] else d
            lo = min([med(E, p, s) for s in PEERS if med(E, p, s) is not None] + [d, x])
            gains.append((d - x) / (r_ - lo) if r_ > lo else 0.0)
    print(E, f"rule: mean normalised gain {np.mean(gains):+.4f} over 61 ({np.mean([x for x in gains if x]):+.4f} "
             f"over the {sum(1 for x in gains if x)} that changed)")
