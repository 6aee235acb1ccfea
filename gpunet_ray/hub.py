"""The model hub: the most accurate network under each latency budget.

A hub folder holds ``hub.parquet`` / ``hub.csv`` (one row per tier), ``HUB.md`` (the same, readable),
``trials.parquet`` (every candidate, rejected ones included, with the reason), ``pareto.png`` and,
per tier, ``models/<tier>/arch.json`` (NVIDIA GPUNet format) and ``model.onnx``.

A tier is keyed by (budget_ms, batch, backend, device), as NVIDIA keys its released GPUNets by GPU
type and latency; hubs from several searches (e.g. different GPUs) merge on that key.

    python -m gpunet_ray.hub list   --hub DIR
    python -m gpunet_ray.hub show   --hub DIR --tier KEY
    python -m gpunet_ray.hub query  --hub DIR --budget-ms X [--backend B] [--device D]
    python -m gpunet_ray.hub export --hub DIR --tier KEY --out DIR
    python -m gpunet_ray.hub train  --hub DIR --tier KEY --data DIR [--epochs N] [--out DIR]
    python -m gpunet_ray.hub merge  --hub A --hub B --out C
    python -m gpunet_ray.hub import-nvidia CHECKPOINT --model gpunet-0|--arch FILE.json --out DIR

:func:`load_model` returns a tier's trained network (``hub train``) or an imported one, in eval mode.
"""

from __future__ import annotations

import os

import json
import math
import shutil
import sys
from pathlib import Path
from typing import Iterable, Sequence

from .cli import OneLineParser, run_cli
from .errors import ConfigError, HubQueryMiss
from .models import load_model
from .search_space import ArchSpec

__all__ = ["HUB_COLUMNS", "tier_key", "select_hub", "write_hub", "read_hub", "query_hub", "merge_hubs",
           "plot_pareto", "pareto_mask", "load_model"]

PROG = "python -m gpunet_ray.hub"

#: The presets NVIDIA released checkpoints of (``import-nvidia --model``).
_NVIDIA_MODELS = ("gpunet-0", "gpunet-1", "gpunet-2", "gpunet-p0", "gpunet-p1", "gpunet-d1", "gpunet-d2")

HUB_COLUMNS = [
    "tier", "budget_ms", "batch", "backend", "device", "arch", "hash", "top1", "latency_ms", "latency_p90_ms",
    "params", "macs", "resolution", "baseline", "baseline_top1", "baseline_latency_ms", "arch_json", "onnx",
]


def tier_key(budget_ms: float, batch: int, backend: str, device: str) -> str:
    """Folder-safe tier name, e.g. ``0.85ms-b1-onnxruntime-cpu-<device>``."""
    dev = "".join(c if c.isalnum() else "-" for c in device.lower()).strip("-")
    while "--" in dev:
        dev = dev.replace("--", "-")
    return f"{budget_ms:g}ms-b{batch}-{backend}-{dev}"


def pareto_mask(top1: Sequence[float], latency: Sequence[float]) -> list[bool]:
    """True where no other point is at least as accurate and at least as fast (and better in one)."""
    pts = list(zip(top1, latency))
    out = []
    for i, (a, lat) in enumerate(pts):
        dominated = any((b >= a and m <= lat and (b > a or m < lat)) for j, (b, m) in enumerate(pts) if j != i)
        out.append(not dominated)
    return out


def select_hub(trials, budgets: Iterable[float], batch: int, backend: str, device: str):
    """One row per budget: the most accurate trained search candidate whose measured latency meets it.

    ``trials`` is the trials DataFrame (columns ``role``, ``status``, ``top1``, ``latency_ms``, ``arch``,
    ...). Baselines (``role == "baseline"``) never fill a tier; the best baseline under the same budget
    is reported beside it. Ties on top-1 go to the faster network.
    """
    import pandas as pd

    df = trials[(trials["status"] == "trained") & trials["top1"].notna() & trials["latency_ms"].notna()]
    rows = []
    for b in sorted(budgets):
        ok = df[df["latency_ms"] <= b]
        found = ok[ok["role"] == "search"].sort_values(["top1", "latency_ms"], ascending=[False, True])
        base = ok[ok["role"] == "baseline"].sort_values(["top1", "latency_ms"], ascending=[False, True])
        if found.empty:
            continue
        best = found.iloc[0]
        spec = ArchSpec.from_arch_string(best["arch"])
        key = tier_key(b, batch, backend, device)
        row = {
            "tier": key, "budget_ms": float(b), "batch": int(batch), "backend": backend, "device": device,
            "arch": best["arch"], "hash": spec.hash, "top1": float(best["top1"]),
            "latency_ms": float(best["latency_ms"]), "latency_p90_ms": float(best.get("latency_p90_ms", math.nan)),
            "params": int(best["params"]), "macs": int(best["macs"]), "resolution": spec.resolution,
            "baseline": None, "baseline_top1": math.nan, "baseline_latency_ms": math.nan,
            "arch_json": f"models/{key}/arch.json", "onnx": f"models/{key}/model.onnx",
        }
        if not base.empty:
            bb = base.iloc[0]
            row.update(baseline=str(bb.get("name") or bb["hash"]), baseline_top1=float(bb["top1"]),
                       baseline_latency_ms=float(bb["latency_ms"]))
        rows.append(row)
    return pd.DataFrame(rows, columns=HUB_COLUMNS)


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|")


def _markdown(hub, title: str = "Model hub") -> str:
    lines = [f"# {title}", "",
             "Most accurate searched network under each latency budget; baseline = best hand-designed network "
             "of the same space under the same budget, trained with the same recipe.", "",
             "| budget (ms) | backend | device | top-1 (%) | latency (ms) | params | MMACs | res | baseline top-1 | "
             "baseline | arch |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for _, r in hub.iterrows():
        bt = "–" if r["baseline_top1"] != r["baseline_top1"] else f"{r['baseline_top1']:.2f}"
        lines.append(
            f"| {r['budget_ms']:g} | {r['backend']} | {r['device']} | {r['top1']:.2f} | {r['latency_ms']:.3f} | "
            f"{int(r['params']):,} | {r['macs'] / 1e6:.1f} | {int(r['resolution'])} | {bt} | {r['baseline'] or '–'} | "
            f"`{_md_escape(r['arch'])}` |")
    return "\n".join(lines) + "\n"


def plot_pareto(trials, budgets: Iterable[float], path: str | Path, title: str = "") -> Path:
    """Accuracy vs latency of every trained candidate; the front highlighted; budgets as vertical lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = trials[(trials["status"] == "trained") & trials["top1"].notna() & trials["latency_ms"].notna()]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    search = df[df["role"] == "search"]
    base = df[df["role"] == "baseline"]
    ax.scatter(search["latency_ms"], search["top1"], s=22, c="tab:blue", alpha=0.6, label="searched")
    if not base.empty:
        ax.scatter(base["latency_ms"], base["top1"], s=40, marker="s", c="tab:gray", label="baselines")
    if not search.empty:
        mask = pareto_mask(search["top1"].tolist(), search["latency_ms"].tolist())
        front = search[mask].sort_values("latency_ms")
        ax.plot(front["latency_ms"], front["top1"], "-o", c="tab:red", ms=5, label="Pareto front")
    for b in sorted(budgets):
        ax.axvline(b, ls="--", c="k", lw=0.8)
        ax.text(b, 0.98, f"{b:g} ms ", rotation=90, va="top", ha="right", fontsize=8,
                transform=ax.get_xaxis_transform())
    rejected = trials[trials["status"] == "rejected"]
    ax.set_xlabel("measured latency (ms)")
    ax.set_ylabel("top-1 (%)")
    ax.set_title(title or f"{len(df)} trained, {len(rejected)} rejected without training")
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path


def _atomic(path: Path, write) -> None:
    """``write(tmp_path)`` then rename over ``path``: a kill leaves the old file or the new one."""
    tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
    write(tmp)
    os.replace(tmp, path)


def write_hub(hub, out: str | Path, export_models: bool = True) -> None:
    """Write hub.parquet, hub.csv, HUB.md and (optionally) models/<tier>/arch.json + model.onnx.

    Every file is written to a temporary name and renamed, so a kill mid-write never leaves a torn
    file, and a re-publish (e.g. after ``--resume``) replaces each one with the current winner's."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if export_models:
        from .search_space.builder import export_onnx

        for _, r in hub.iterrows():
            spec = ArchSpec.from_arch_string(r["arch"])
            d = out / "models" / r["tier"]
            d.mkdir(parents=True, exist_ok=True)
            have = d / "arch.json"
            same = (d / "model.onnx").is_file() and have.is_file() and have.read_text() == spec.dumps()
            if not same:
                _atomic(d / "model.onnx", lambda p: export_onnx(spec, p))
            _atomic(have, lambda p: p.write_text(spec.dumps()))
    _atomic(out / "hub.parquet", lambda p: hub.to_parquet(p, index=False))
    _atomic(out / "hub.csv", lambda p: hub.to_csv(p, index=False))
    _atomic(out / "HUB.md", lambda p: p.write_text(_markdown(hub)))


def read_hub(hub_dir: str | Path):
    import pandas as pd

    p = Path(hub_dir) / "hub.parquet"
    if not p.is_file():
        raise ConfigError(f"{str(hub_dir)!r} holds no hub (hub.parquet missing); run a search first")
    return pd.read_parquet(p)


def query_hub(hub, budget_ms: float, backend: str | None = None, device: str | None = None, batch: int | None = None):
    """The most accurate entry that meets ``budget_ms`` (ties: faster), or raise HubQueryMiss."""
    if not budget_ms > 0:
        raise ConfigError(f"--budget-ms must be positive, got {budget_ms}")
    df = hub[hub["latency_ms"] <= budget_ms]
    for col, val in (("backend", backend), ("device", device), ("batch", batch)):
        if val is not None:
            df = df[df[col] == val]
    if df.empty:
        fastest = hub.sort_values("latency_ms").iloc[0] if len(hub) else None
        hint = f"; the fastest entry needs {fastest['latency_ms']:.3f} ms" if fastest is not None else ""
        raise HubQueryMiss(f"no hub entry meets {budget_ms:g} ms{hint}")
    return df.sort_values(["top1", "latency_ms"], ascending=[False, True]).iloc[0]


def merge_hubs(hubs: Sequence):
    """Union of hubs; for a repeated tier key (budget, batch, backend, device) the most accurate wins."""
    import pandas as pd

    df = pd.concat(list(hubs), ignore_index=True)
    df = df.sort_values(["top1", "latency_ms"], ascending=[False, True])
    df = df.drop_duplicates(subset=["budget_ms", "batch", "backend", "device"], keep="first")
    return df.sort_values(["backend", "device", "batch", "budget_ms"]).reset_index(drop=True)


# -- CLI -------------------------------------------------------------------------------------------
def _parser() -> OneLineParser:
    p = OneLineParser(prog=PROG, description="Inspect, query, export, train and merge model hubs.")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=OneLineParser)
    ls = sub.add_parser("list", help="one line per tier")
    ls.add_argument("--hub", required=True)
    ls.add_argument("--json", action="store_true")
    sh = sub.add_parser("show", help="one tier in full")
    sh.add_argument("--hub", required=True)
    sh.add_argument("--tier", required=True)
    q = sub.add_parser("query", help="the most accurate entry meeting a budget (exit 1 if none)")
    q.add_argument("--hub", required=True)
    q.add_argument("--budget-ms", type=float, required=True)
    q.add_argument("--backend")
    q.add_argument("--device")
    q.add_argument("--batch", type=int)
    q.add_argument("--json", action="store_true")
    ex = sub.add_parser("export", help="write arch.json + model.onnx of a tier")
    ex.add_argument("--hub", required=True)
    ex.add_argument("--tier", required=True)
    ex.add_argument("--out", required=True)
    ex.add_argument("--fp16", action="store_true")
    tr = sub.add_parser("train", help="final training of a tier's network with the long recipe")
    tr.add_argument("--hub", required=True)
    tr.add_argument("--tier", required=True)
    tr.add_argument("--data", required=True)
    tr.add_argument("--epochs", type=int, default=None)
    tr.add_argument("--teacher", default=None,
                    help="distillation teacher: a folder with arch.json + weights.pt, or ARCH.json,WEIGHTS.pt")
    tr.add_argument("--out", default=None)
    tr.add_argument("--recipe", action="append", default=[], metavar="FIELD=VALUE",
                    help="recipe field over the long recipe and the search's data recipe (repeatable), "
                         "e.g. hflip=true, batch_size=192, crop_scale=[0.08,1.0]")
    tr.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")
    tr.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: from the CPUs)")
    mg = sub.add_parser("merge", help="merge hubs (e.g. searched on different GPUs)")
    mg.add_argument("--hub", action="append", required=True)
    mg.add_argument("--out", required=True)
    im = sub.add_parser("import-nvidia", help="import NVIDIA's pretrained GPUNet checkpoint (weights.pt, arch.json, "
                        "model.onnx, metrics.json)")
    im.add_argument("checkpoint", help="NVIDIA's checkpoint file (timm training checkpoint or plain state_dict)")
    net = im.add_mutually_exclusive_group(required=True)
    net.add_argument("--model", help=f"the released network: {', '.join(_NVIDIA_MODELS)}")
    net.add_argument("--arch", help="the network's GPUNet JSON file (NVIDIA's format)")
    im.add_argument("--out", required=True, help="a new (or empty) folder")
    im.add_argument("--raw", action="store_true", help="import the raw training weights even when the checkpoint "
                    "holds EMA weights (NVIDIA evaluates the EMA ones)")
    return p


def _import_nvidia(args) -> int:
    from .models import preset_name
    from .nvidia import import_nvidia  # lazy: torch
    from .search_space import load_arch_file
    from .search_space.presets import get_preset

    if args.model is not None:
        name = preset_name(args.model)
        if name not in _NVIDIA_MODELS:
            raise ConfigError(f"unknown --model {args.model!r}; choose one of {', '.join(_NVIDIA_MODELS)} "
                              "or pass --arch FILE.json")
        spec = get_preset(name)
    else:
        spec, name = load_arch_file(args.arch), None
    metrics = import_nvidia(args.checkpoint, spec, args.out, name=name or Path(args.arch).name,
                            prefer_ema=not args.raw)
    print(f"imported {metrics['tensors']} tensors ({metrics['weights']} weights, {metrics['params']:,} params) "
          f"into {args.out}")
    return 0


def _tier(hub, key: str):
    rows = hub[hub["tier"] == key]
    if rows.empty:
        raise ConfigError(f"no tier {key!r} in this hub; tiers: {', '.join(hub['tier'])}")
    return rows.iloc[0]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.cmd == "import-nvidia":
        return _import_nvidia(args)
    if args.cmd == "merge":
        out = Path(args.out)
        if (out / "hub.parquet").exists():
            raise ConfigError(f"{str(out)!r} already holds a hub; choose another --out")
        hubs = [read_hub(h) for h in args.hub]
        merged = merge_hubs(hubs)
        out.mkdir(parents=True, exist_ok=True)
        for h in args.hub:  # bring each winning tier's files along
            for _, r in merged.iterrows():
                src = Path(h) / "models" / r["tier"]
                if src.is_dir() and not (out / "models" / r["tier"]).exists():
                    hub_h = read_hub(h)
                    if ((hub_h["tier"] == r["tier"]) & (hub_h["top1"] == r["top1"])).any():
                        shutil.copytree(src, out / "models" / r["tier"])
        write_hub(merged, out, export_models=True)
        print(f"merged {sum(len(h) for h in hubs)} rows into {len(merged)} tiers: {out}")
        return 0
    hub = read_hub(args.hub)
    if args.cmd == "list":
        if args.json:
            print(hub.to_json(orient="records"))
            return 0
        print(f"{'tier':<44} {'top-1':>6} {'ms':>7} {'params':>10}  arch")
        for _, r in hub.iterrows():
            print(f"{r['tier']:<44} {r['top1']:>6.2f} {r['latency_ms']:>7.3f} {int(r['params']):>10,}  {r['arch']}")
        return 0
    if args.cmd == "show":
        r = _tier(hub, args.tier)
        print(json.dumps({k: (None if isinstance(v, float) and v != v else v) for k, v in r.to_dict().items()},
                         indent=2, default=str))
        return 0
    if args.cmd == "query":
        try:
            r = query_hub(hub, args.budget_ms, args.backend, args.device, args.batch)
        except HubQueryMiss as exc:
            print(f"{PROG}: {exc}", file=sys.stderr)
            return 1
        if args.json:
            print(json.dumps({k: (None if isinstance(v, float) and v != v else v) for k, v in r.to_dict().items()},
                             default=str))
        else:
            print(f"{r['tier']}  top-1 {r['top1']:.2f} %  {r['latency_ms']:.3f} ms  {r['arch']}")
        return 0
    if args.cmd == "export":
        from .search_space.builder import export_onnx

        r = _tier(hub, args.tier)
        spec = ArchSpec.from_arch_string(r["arch"])
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "arch.json").write_text(spec.dumps())
        export_onnx(spec, out / "model.onnx", fp16=args.fp16)
        print(out / "arch.json")
        print(out / "model.onnx")
        return 0
    if args.cmd == "train":
        return _train(hub, args)
    return 2


def _recipe_fields(items: Sequence[str]) -> dict:
    """``["hflip=false", "crop_scale=[0.5,1]"]`` -> ``{"hflip": False, "crop_scale": [0.5, 1]}`` (YAML values)."""
    import yaml

    out = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ConfigError(f"--recipe takes FIELD=VALUE, e.g. hflip=true; got {item!r}")
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise ConfigError(f"--recipe {item!r}: the value is not valid YAML") from None
    return out


def _search_config(hub_dir: str | Path) -> dict | None:
    """The resolved config of the search that wrote the hub (``config.yaml``), or None (e.g. a merged hub)."""
    import yaml

    p = Path(hub_dir) / "config.yaml"
    if not p.is_file():
        return None
    try:
        cfg = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{str(p)!r} is not valid YAML: {str(exc).splitlines()[0]}") from None
    return cfg if isinstance(cfg, dict) else None


def _train(hub, args) -> int:
    """``hub train``: the long recipe over the search's data recipe (``config.yaml``), then ``--recipe``."""
    from .trainables import final_recipe, final_train, search_recipe  # lazy: torch

    r = _tier(hub, args.tier)
    out = Path(args.out or Path(args.hub) / "models" / r["tier"] / "final")
    config = _search_config(args.hub)
    inherited = search_recipe(config)
    fields = {**inherited, **_recipe_fields(args.recipe)}
    final_recipe(fields, args.epochs)  # a bad field or --epochs: exit 2 before anything is printed
    if config is None:
        print(f"{PROG}: no config.yaml in {args.hub}: the search's data recipe is unknown, the long recipe's "
              "defaults apply (set them with --recipe)", file=sys.stderr)
    result = final_train(ArchSpec.from_arch_string(r["arch"]), data_dir=args.data, out_dir=out,
                         epochs=args.epochs, teacher=args.teacher, recipe=fields, device=args.device,
                         num_threads=args.threads)
    result.update(inherited=sorted(inherited), proxy_top1=float(r["top1"]))
    print(json.dumps(result, default=str))
    return 0

if __name__ == "__main__":
    sys.exit(run_cli(main, prog=PROG))
