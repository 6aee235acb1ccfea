"""Freeze the tuning problems' recorded results into one file, so an ablation is ranked without replaying each
session's compare script (they stay as records of what ran).

Writes ``docs/bench/ablation/baseline.json``: for 50 and 200 evaluations, for each of the 71 tuning problems (the
tuned set, the first held-out set, held-out sets 2-7; set 7 joined when its 200-evaluation tables were read in
session 15), for the current default ``lamcts`` and each peer, the best feasible value of seeds 0-4 (``inf`` when
a run found nothing feasible, ``null`` for a peer that does not run there). The default's cells are the runs of
the defaults adopted in session 14 (``gp_prior`` by the domain, told the budget): session 14's
``gp_prior=optuna`` runs on problems with a float or log parameter and the earlier default's runs on the
all-discrete ones (ask for ask the same, see ``session14/rule.py``), and set 7's run-once ``lamcts`` runs (from
``cadbc14``, the adopting commit). Run from the repository root: ``python docs/bench/ablation/baseline.py``."""
import contextlib, glob, io, json, math, runpy, sys

from rank import best_value  # this folder (the script's own) is first on sys.path

M = "docs/bench/"
H7 = ("h7-michalewicz20 h7-schwefel12-40 h7-trid30 h7-griewank60 h7-cigtab30 h7-bohachevsky30 h7-mixed32 "
      "h7-mixed44 h7-roofline h7-deepthin").split()
V14 = "lamcts[gp_prior=optuna]"


def main() -> None:
    from gpunet_ray.bench.problems import get_problem

    sys.argv = ["x", V14]
    with contextlib.redirect_stdout(io.StringIO()):
        g = runpy.run_path(M + "ablation/session14/compare.py")
    cells, SETS, PEERS, NAS = g["cells"], dict(g["SETS"]), list(g["PEERS"]), list(g["NAS"])
    SETS["h7"] = H7
    NAS += ["h7-roofline", "h7-deepthin"]
    for E in (50, 200):
        for f in glob.glob(M + f"heldout7/runs_{E}/*.json") + glob.glob(M + f"heldout7/runs_{E}/seeds/*.json"):
            for r in json.load(open(f)).get("runs", []):
                if "values" not in r or r.get("seed", 99) > 4 or len(r["values"]) < E:
                    continue
                s = "default" if r["searcher"] == "lamcts" else r["searcher"]
                cells.setdefault((E, r["problem"], s), {})[r["seed"]] = best_value(r, E)
    out = {"sets": SETS, "nas": NAS, "peers": PEERS, "note": __doc__.split("\n\n")[0]}
    for E in (50, 200):
        table = {}
        for ps in SETS.values():
            for p in ps:
                cont = any(x.kind in ("float", "log") for x in get_problem(p).domain.params)
                src = V14 if (cont and p not in H7) else "default"
                row = {"lamcts": cells.get((E, p, src))}
                row.update({s: cells.get((E, p, s)) for s in PEERS})
                for s, c in row.items():
                    if c is not None and sorted(c) != [0, 1, 2, 3, 4]:
                        raise SystemExit(f"{E} {p} {s}: seeds {sorted(c)}, not 0-4")
                if row["lamcts"] is None or row["random"] is None:
                    raise SystemExit(f"{E} {p}: no default or random cells")
                table[p] = {s: (None if c is None else [c[k] if math.isfinite(c[k]) else "inf" for k in range(5)])
                            for s, c in row.items()}
        out[str(E)] = table
    with open(M + "ablation/baseline.json", "w") as fh:
        json.dump(out, fh, indent=0)
    print(f"{sum(len(v) for v in SETS.values())} problems, peers {PEERS}: {M}ablation/baseline.json")


if __name__ == "__main__":
    main()
