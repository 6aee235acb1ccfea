"""The proxy-fidelity study (issue 15): does the search's cheap proxy rank networks as longer training does?

Wired as ``python -m gpunet_ray.bench fidelity [...]``; ``main(argv)`` is the entry point.

``--networks N`` random networks of the space (a fixed ``--sample-seed``) are trained with the
search's proxy recipe (``--config``'s ``train`` section, e.g. ``experiments/demo.yaml``: epochs,
batch size, the data recipe) with ``--seeds K`` training seeds each, through the Ray-free training
loop (:func:`gpunet_ray.trainables.loop.train`, one process, one torch thread by default); the
first ``--long-networks M`` of them are also trained once with a ``--long-factor`` x longer
schedule. Every finished run is appended to ``OUT/fidelity.json`` at once, and a re-run with the
same ``--out`` skips the runs already there (the study takes hours on 2 cores).

Reported (``OUT/fidelity.json`` "summary" and ``OUT/FIDELITY.md``), top-1 in percentage points:

* ``spread_p10_p90``: the 90th minus the 10th percentile, across networks, of each network's mean
  proxy top-1 (does the task tell architectures apart?);
* ``seed_std``: the seed-to-seed standard deviation of the proxy top-1 of one network (ddof 1),
  the mean over networks (and the largest);
* ``kendall_tau``: Kendall's tau between the mean proxy top-1 and the long training's top-1 over
  the networks trained both ways (scipy), with its p-value.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

__all__ = ["main", "DESCRIPTION", "sample_networks", "summarize", "summary_md", "TARGETS"]

DESCRIPTION = "proxy fidelity: top-1 spread across random networks, seed noise, Kendall tau vs longer training"
#: the issue's targets: spread >= 20 points, seed std <= 1 point, tau >= 0.6
TARGETS = {"spread_p10_p90": (">=", 20.0), "seed_std": ("<=", 1.0), "kendall_tau": (">=", 0.6)}


def _parser():
    from gpunet_ray.cli import OneLineParser

    p = OneLineParser(prog="python -m gpunet_ray.bench fidelity", description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="ImageNet-layout folder (e.g. from `python -m gpunet_ray.data "
                                                  "make-task DIR`)")
    p.add_argument("--out", required=True, help="results folder (fidelity.json, FIDELITY.md); re-runs resume")
    p.add_argument("--config", default=None,
                   help="search config whose train section is the proxy recipe (default experiments/demo.yaml)")
    p.add_argument("--space", default=None, help="search space (default: the config's)")
    p.add_argument("--networks", type=int, default=20)
    p.add_argument("--seeds", type=int, default=3, help="training seeds per network (proxy)")
    p.add_argument("--noise-networks", type=int, default=None,
                   help="only the first K networks get every seed (the seed noise); the others one (default all)")
    p.add_argument("--long-factor", type=float, default=5.0, help="the long schedule's epochs / the proxy's")
    p.add_argument("--long-networks", type=int, default=None, help="networks trained long too (default min(12, N))")
    p.add_argument("--epochs", type=int, default=None, help="proxy epochs (default: the config's)")
    p.add_argument("--sample-seed", type=int, default=0, help="seed of the random networks")
    p.add_argument("--limit-train-batches", type=int, default=None, help="cap batches per epoch (smoke runs)")
    p.add_argument("--limit-val-batches", type=int, default=None)
    p.add_argument("--threads", type=int, default=1, help="torch threads per run")
    p.add_argument("--loader", default=None, help="auto, dali or torchvision (default: the config's)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--report-only", action="store_true",
                   help="train nothing: merge and summarise the runs recorded in OUT (the plan's others are listed)")
    p.add_argument("--shard", default=None, metavar="K/N",
                   help="run only every N-th training of the plan, from the K-th (several processes on one --out, "
                        "each writing OUT/fidelity-shard-K.json); a run without --shard merges them and summarises")
    return p


def sample_networks(space, n: int, seed: int) -> list:
    """``n`` distinct random networks of ``space`` (a fixed seed gives the same list)."""
    rng = np.random.default_rng(seed)
    out, seen = [], set()
    for _ in range(50):
        for spec in space.sample(rng, n):
            if spec.hash not in seen and len(out) < n:
                seen.add(spec.hash)
                out.append(spec)
        if len(out) >= n:
            break
    return out


def _recipe(cfg) -> dict:
    from gpunet_ray.driver import trial_constants

    return dict(trial_constants(cfg)["recipe"])


def _key(r: dict) -> str:
    return f"{r['hash']}|{r['kind']}|{r['seed']}|{r['epochs']}"


def summarize(runs: list[dict]) -> dict:
    """The study's numbers from its runs (see the module docstring); None where there is too little."""
    from scipy.stats import kendalltau

    proxy: dict[str, list[float]] = {}
    long: dict[str, float] = {}
    for r in runs:
        if r.get("top1") is None:
            continue
        if r["kind"] == "proxy":
            proxy.setdefault(r["hash"], []).append(float(r["top1"]))
        else:
            long[r["hash"]] = float(r["top1"])
    means = {h: float(np.mean(v)) for h, v in proxy.items()}
    stds = [float(np.std(v, ddof=1)) for v in proxy.values() if len(v) > 1]
    both = sorted(set(means) & set(long))
    out: dict[str, Any] = {
        "networks": len(means), "long_networks": len(both),
        "proxy_top1_p10": float(np.percentile(list(means.values()), 10)) if means else None,
        "proxy_top1_p90": float(np.percentile(list(means.values()), 90)) if means else None,
        "seed_std": float(np.mean(stds)) if stds else None,
        "seed_std_max": float(np.max(stds)) if stds else None,
        "kendall_tau": None, "kendall_p": None,
        "proxy_mean": means, "long_top1": long,
    }
    if means:
        out["spread_p10_p90"] = out["proxy_top1_p90"] - out["proxy_top1_p10"]
    else:
        out["spread_p10_p90"] = None
    if len(both) >= 2:
        tau, p = kendalltau([means[h] for h in both], [long[h] for h in both])
        out["kendall_tau"] = None if not np.isfinite(tau) else float(tau)
        out["kendall_p"] = None if not np.isfinite(p) else float(p)
    return out


#: The issue's minimum number of networks trained long for the Kendall tau to count.
MIN_LONG_NETWORKS = 12


def _verdict(name: str, value: float | None, n_long: int | None = None) -> str:
    if value is None:
        return "not measured"
    if n_long is not None and n_long < MIN_LONG_NETWORKS:
        return f"too few networks ({n_long} of {MIN_LONG_NETWORKS} trained long)"
    op, target = TARGETS[name]
    ok = value >= target if op == ">=" else value <= target
    return f"{'met' if ok else 'missed'} (target {op} {target:g})"


def summary_md(s: dict, meta: dict) -> str:
    def f(v, fmt="{:.2f}"):
        return "-" if v is None else fmt.format(v)

    lines = [
        "# Proxy fidelity", "",
        f"`{meta['command']}`", "",
        f"machine: {meta['machine']}; date: {meta['date']}; data: `{meta['data']}`; proxy: {meta['epochs']} epoch(s), "
        f"long: {meta['long_epochs']} epochs; {s['networks']} networks, the first "
        f"{min(meta.get('noise_networks', s['networks']), s['networks'])} x {meta['seeds']} seed(s), "
        f"{s['long_networks']} trained long", "",
        "| measure | value | target |", "|---|---|---|",
        f"| top-1 spread, 10th-90th percentile across networks (points) | {f(s['spread_p10_p90'])} "
        f"({f(s['proxy_top1_p10'])} .. {f(s['proxy_top1_p90'])}) | {_verdict('spread_p10_p90', s['spread_p10_p90'])} |",
        f"| seed-to-seed std of one network's proxy top-1 (points; mean, max) | {f(s['seed_std'])}, "
        f"{f(s['seed_std_max'])} | {_verdict('seed_std', s['seed_std'])} |",
        f"| Kendall tau, proxy vs {meta['long_factor']:g}x longer training | {f(s['kendall_tau'], '{:.3f}')} "
        f"(p {f(s['kendall_p'], '{:.3g}')}) | {_verdict('kendall_tau', s['kendall_tau'], s['long_networks'])} |",
        "",
    ]
    if meta.get("not_run"):
        lines += [f"not run yet ({len(meta['not_run'])} of the plan's trainings): {'; '.join(meta['not_run'])}", ""]
    return "\n".join(lines)


def _write(out: Path, doc: dict, shard: tuple[int, int] | None = None) -> None:
    from gpunet_ray.ledger import write_json_atomic

    write_json_atomic(out / ("fidelity.json" if shard is None else f"fidelity-shard-{shard[0]}.json"), doc)


def _known_runs(out: Path) -> list[dict]:
    """The runs recorded so far in ``OUT/fidelity.json`` and every shard file, one per key."""
    runs: dict[str, dict] = {}
    for f in [out / "fidelity.json", *sorted(out.glob("fidelity-shard-*.json"))]:
        if f.is_file():
            for r in json.loads(f.read_text()).get("runs", []):
                runs.setdefault(_key(r), r)
    return list(runs.values())


def _parse_shard(text: str | None) -> tuple[int, int] | None:
    from gpunet_ray.cli import UsageError

    if text is None:
        return None
    try:
        k, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard takes K/N (e.g. 0/2), got {text!r}") from None
    if not (n >= 1 and 0 <= k < n):
        raise UsageError(f"--shard K/N needs 0 <= K < N, got {text!r}")
    return k, n


def _main(argv: Sequence[str] | None) -> int:
    from gpunet_ray.config import load_config
    from gpunet_ray.search_space import get_space
    from gpunet_ray.trainables.loop import train

    args = _parser().parse_args(argv)
    shard = _parse_shard(args.shard)
    root = Path(__file__).resolve().parents[2]
    cfg = load_config(args.config or root / "experiments" / "demo.yaml", {"data": str(Path(args.data).resolve())})
    from gpunet_ray.data import check_dataset

    info = check_dataset(args.data, verify=False)
    space = get_space(args.space or cfg.space).with_num_classes(info.num_classes)
    base = _recipe(cfg)
    epochs = int(args.epochs or base.get("epochs") or 2)
    long_epochs = max(epochs + 1, int(round(epochs * args.long_factor)))
    for k, v in (("limit_train_batches", args.limit_train_batches), ("limit_val_batches", args.limit_val_batches)):
        if v is not None:
            base[k] = v
    nets = sample_networks(space, args.networks, args.sample_seed)
    n_long = min(len(nets), 12 if args.long_networks is None else args.long_networks)
    n_noise = len(nets) if args.noise_networks is None else args.noise_networks
    plan = [(spec, "proxy", s, epochs) for k, spec in enumerate(nets) for s in range(args.seeds if k < n_noise else 1)]
    plan += [(spec, "long", 0, long_epochs) for spec in nets[:n_long]]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"command": "python -m gpunet_ray.bench fidelity " + " ".join(argv if argv is not None else sys.argv[1:]),
            "machine": f"{platform.node()} ({platform.processor() or platform.machine()}), torch threads "
                       f"{args.threads}", "date": time.strftime("%Y-%m-%d"), "data": str(args.data),
            "epochs": epochs, "long_epochs": long_epochs, "long_factor": args.long_factor, "seeds": args.seeds,
            "noise_networks": n_noise,
            "networks": len(nets), "space": space.name, "recipe": base}
    runs = _known_runs(out)
    done = {_key(r) for r in runs}
    loader = args.loader or cfg.train.loader
    for i, (spec, kind, seed, ep) in enumerate(plan):
        rec = {"hash": spec.hash, "arch": spec.arch_string, "kind": kind, "seed": seed, "epochs": ep}
        if _key(rec) in done or (shard is not None and i % shard[1] != shard[0]):
            continue
        if args.report_only:
            meta.setdefault("not_run", []).append(f"{kind} {spec.hash[:10]} seed {seed} {ep} ep")
            continue
        t0 = time.time()
        try:
            res = train(spec, args.data, {**base, "epochs": ep, "seed": seed}, loader=loader, device=args.device,
                        num_threads=args.threads, loader_threads=1)
            rec.update(top1=float(res.metrics["top1"]), reason="")
        except Exception as exc:  # a candidate that fails (diverges, too large) is recorded, not fatal
            rec.update(top1=None, reason=f"{type(exc).__name__}: {str(exc)[:200]}")
        rec["seconds"] = time.time() - t0
        runs.append(rec)
        print(f"[{i + 1}/{len(plan)}] {kind} seed {seed} {ep} ep {spec.hash[:10]}: top-1 "
              f"{rec['top1'] if rec['top1'] is None else round(rec['top1'], 2)} ({rec['seconds']:.0f} s)",
              file=sys.stderr, flush=True)
        _write(out, {"meta": meta, "runs": runs}, shard)
    if shard is not None:
        print(f"shard {shard[0]}/{shard[1]} done; run again without --shard to merge and summarise", file=sys.stderr)
        return 0
    summary = summarize(runs)
    _write(out, {"meta": meta, "runs": runs, "summary": summary})
    (out / "FIDELITY.md").write_text(summary_md(summary, meta))
    print(summary_md(summary, meta))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from gpunet_ray.cli import run_cli

    return run_cli(_main, argv, prog="python -m gpunet_ray.bench fidelity")
