"""Rank the current default and LA-MCTS variants among the recorded peers on the tuning problems.

``python docs/bench/ablation/rank.py [--evals 50|200] [FILE_OR_DIR ...]``, from the repository root: the default and
the peers come from ``baseline.json`` (``baseline.py``); each FILE (or every ``*.json`` under DIR, recursively) is a
``bench searchers`` results file whose LA-MCTS variant runs are ranked in the default's place, problem by problem
(rank = 1 + the peers with a lower median + half those tied; mean over the problems where a variant has seeds
0-4). Prints the mean rank per set and overall, on how many problems a variant's median beats / trails the
default's, and the mean normalised gain ``(default - variant) / (random - best)`` (best of the peers, the default
and the variant), as sessions 9-14 did."""
import argparse, glob, json, math, os
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def best_value(r: dict, E: int) -> float:
    """A run's best feasible value in its first ``E`` evaluations (``inf`` when none was feasible)."""
    b = [v for v, ok in zip(r["values"][:E], r["feasible"][:E]) if ok and v is not None and math.isfinite(v)]
    return min(b) if b else math.inf


def rank_among(x: float, others: list[float]) -> float:
    """1 + the peers' medians below ``x`` + half those equal to it (the rank every session's compare used)."""
    return 1 + sum(o < x for o in others) + 0.5 * sum(o == x for o in others)


def norm_gain(d: float, x: float, others: list[float], r: float) -> float:
    """``(d - x) / (r - lo)``: how much of the gap from random (``r``) to the best (``lo``, of the peers, the
    default ``d`` and the variant ``x``) the variant closes over the default; 0 where that gap is empty."""
    lo = min(others + [d, x])
    return (d - x) / (r - lo) if r > lo and math.isfinite(r - lo) and math.isfinite(d - x) else 0.0


def variant_cells(paths: list[str], E: int) -> dict:
    files = []
    for p in paths:
        files += sorted(glob.glob(os.path.join(p, "**", "*.json"), recursive=True)) if os.path.isdir(p) else [p]
    cells: dict = {}
    for f in files:
        for r in json.load(open(f)).get("runs", []):
            if r.get("searcher", "").startswith("lamcts[") and "values" in r and len(r["values"]) >= E \
                    and r.get("seed", 99) <= 4 and r.get("evals", E) == E:
                cells.setdefault(r["searcher"], {}).setdefault(r["problem"], {})[r["seed"]] = best_value(r, E)
    return cells


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--evals", type=int, default=50)
    ap.add_argument("--same-elsewhere", action="store_true",
                    help="a variant takes the default's cell where it did not run (only for a variant that is the "
                         "default ask for ask there, e.g. an option about discrete dimensions on continuous problems)")
    ap.add_argument("--median-gain", action="store_true",
                    help="also print the median normalised gain (the mean is swayed by problems where random "
                         "and the best are close, e.g. Katsuura)")
    ap.add_argument("paths", nargs="*")
    a = ap.parse_args(argv)
    base = json.load(open(os.path.join(HERE, "baseline.json")))
    E, table, sets = a.evals, base[str(a.evals)], base["sets"]
    num = lambda xs: [math.inf if x == "inf" else x for x in xs]  # noqa: E731
    med = {p: {s: (None if c is None else float(np.median(num(c)))) for s, c in row.items()} for p, row in table.items()}
    cols = {"default": {p: med[p]["lamcts"] for p in table}}
    for v, per in variant_cells(a.paths, E).items():
        cols[v] = {p: float(np.median([c[k] for k in range(5)])) for p, c in per.items()
                   if sorted(c) == [0, 1, 2, 3, 4] and p in table}
        if a.same_elsewhere:
            cols[v] = {**cols["default"], **cols[v]}
    print(f"== {E} evaluations ({len(table)} tuning problems)")
    for v, col in cols.items():
        per_set, gains, better, worse = {}, [], 0, 0
        for name, ps in sets.items():
            for p in ps:
                if p not in col:
                    continue
                others = [m for s, m in med[p].items() if s != "lamcts" and m is not None]
                x, d = col[p], med[p]["lamcts"]
                per_set.setdefault(name, []).append(rank_among(x, others))
                better += x < d
                worse += x > d
                gains.append(norm_gain(d, x, others, med[p]["random"]))
        allr = sum(per_set.values(), [])
        extra = "" if v == "default" else (f"   better/worse than the default on {better}/{worse}; "
                                           f"normalised gain {np.mean(gains):+.4f}"
                                           + (f" (median {np.median(gains):+.4f})" if a.median_gain else ""))
        print(f"  {v:32s} " + "  ".join(f"{n} {np.mean(r):.2f}" for n, r in per_set.items())
              + f"   all {np.mean(allr):.3f} ({len(allr)})" + extra)


if __name__ == "__main__":
    main()
