"""Session 9 screen (not a record): each variant's 2-seed mean (seeds 0, 1) against the recorded defaults
and peers on the same seeds, ranked with the variant in lamcts's place. Run from the repository root:
python docs/bench/ablation/session9/screen.py [EVALS]"""
import glob, json, math, re, sys
import numpy as np
E = int(sys.argv[1]) if len(sys.argv) > 1 else 200
M = "docs/bench/"
PEERS = ["random", "optuna-tpe", "optuna-gp", "hebo", "pypop7-lamcts"]
DEFAULT = "lamcts[acq_radius=1.0,acq_starts=10,acq_discrete=true,exploit_every=4]"
FILES = {50: [M + "searchers_data/runs_50_2026-11-25.json", M + "searchers_data/runs_50_heldout_peers.json"]
         + glob.glob(M + "heldout2/runs_50/*.json") + glob.glob(M + "heldout3/runs_50/*.json")
         + glob.glob(M + "ablation/session7/runs_50/*.json"),
         200: [M + "searchers_data/runs_200_2026-11-25.json", M + "searchers_data/runs_200_gp_hebo.json",
               M + "searchers_data/runs_200_heldout_peers.json"] + glob.glob(M + "heldout2/runs_200/*.json")
         + glob.glob(M + "heldout3/runs_200/*.json") + glob.glob(M + "ablation/session7/runs_200/*.json")}
cells = {}
for f in FILES[E]:
    for r in json.load(open(f)).get("runs", []):
        if "values" not in r or r.get("seed") not in (0, 1) or len(r["values"]) < E:
            continue
        s = r["searcher"]
        if s == "lamcts" and ("heldout3" not in f):
            continue  # the defaults: set 3's record (today's), else session 7's runs of the same options
        s = "default" if s in ("lamcts", DEFAULT) else s
        b = [v for v, ok in zip(r["values"][:E], r["feasible"][:E]) if ok and v is not None and math.isfinite(v)]
        cells.setdefault((r["problem"], s), {})[r["seed"]] = min(b) if b else math.inf
screened = set()
for log in glob.glob(f"docs/bench/ablation/session9/diagnostics/diag2_{E}_w*.log"):
    for line in open(log):
        m = re.match(r"(\S+) (\S+)\s.*seeds: (\S+) (\S+)", line)
        if m:
            cells[(m[1], m[2])] = {0: float(m[3]), 1: float(m[4])}
            screened.add(m[2])
mean = lambda p, s: float(np.mean(list(cells[(p, s)].values()))) if len(cells.get((p, s), {})) == 2 else None
variants = sorted(screened)
probs = sorted({p for (p, s) in cells if s in variants})
ranks = {v: [] for v in ["default"] + variants}
print(f"{'problem':26s} {'default':>9s} " + " ".join(f"{v[7:-1][:22]:>22s}" for v in variants) + "   hebo   best-peer")
for p in probs:
    d = mean(p, "default")
    peers = {s: mean(p, s) for s in PEERS if mean(p, s) is not None}
    if d is None:
        continue
    row = [f"{d:9.4g}"]
    for v in ["default"] + variants:
        mv = mean(p, v)
        if mv is None:
            if v != "default":
                row.append(f"{'-':>22s}")
            continue
        ranks[v].append((p, 1 + sum(o < mv for o in peers.values()) + 0.5 * sum(o == mv for o in peers.values())))
        if v != "default":
            row.append(f"{mv:22.4g}")
    bp = min(peers, key=peers.get) if peers else "-"
    print(f"{p:26s} " + " ".join(row) + f"  {peers.get('hebo', float('nan')):7.4g}  {bp}")
common = set.intersection(*[{p for p, _ in r} for r in ranks.values() if r]) if any(ranks.values()) else set()
print(f"mean rank among the peers on the {len(common)} problems every variant ran:")
for v, r in ranks.items():
    rr = [x for p, x in r if p in common]
    if rr:
        print(f"  {v:50s} {np.mean(rr):.2f}")
