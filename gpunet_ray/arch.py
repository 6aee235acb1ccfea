"""``python -m gpunet_ray.arch``: inspect, sample and export GPUNet architectures.

    python -m gpunet_ray.arch info FILE.json|--preset NAME [--json]
    python -m gpunet_ray.arch sample --space gpunet|tiny|FILE.yaml --n N --seed S --out DIR
    python -m gpunet_ray.arch export FILE.json --onnx OUT.onnx [--fp16] [--opset N]
                                     [--max-params N] [--max-activation-gb G]
    python -m gpunet_ray.arch presets

``export`` checks the network's size from its statistics before building anything (see
:func:`gpunet_ray.search_space.stats.check_size`): above ``--max-params`` parameters (default
1e9) or ``--max-activation-gb`` GB of activation memory at batch 1 (default 32) it exits 2 with
one line and writes nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Sequence

from .cli import OneLineParser, positive_number, run_cli
from .errors import ConfigError, InvalidArchitecture
from .search_space import ArchSpec, arch_stats, get_space, load_arch_file
from .search_space.presets import PRESETS, get_preset
from .search_space.stats import Limits, check_size

PROG = "python -m gpunet_ray.arch"


def _parser() -> OneLineParser:
    p = OneLineParser(prog=PROG, description="Inspect, sample and export GPUNet architectures.")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=OneLineParser)
    info = sub.add_parser("info", help="resolution, params, MACs, arch string and stages of an architecture")
    src = info.add_mutually_exclusive_group(required=True)
    src.add_argument("file", nargs="?", help="GPUNet JSON file")
    src.add_argument("--preset", help=f"a built-in architecture ({', '.join(PRESETS)})")
    info.add_argument("--space", help="also check membership of this space (gpunet, tiny or a YAML file)")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    smp = sub.add_parser("sample", help="write N uniformly sampled architectures as GPUNet JSON files")
    smp.add_argument("--space", default="tiny", help="gpunet, tiny or a YAML space file (default: tiny)")
    smp.add_argument("--n", type=int, default=4)
    smp.add_argument("--seed", type=int, default=0)
    smp.add_argument("--num-classes", type=int, default=None, help="classifier size (default: the space's)")
    smp.add_argument("--out", required=True, help="output folder (created; existing files are not overwritten)")
    exp = sub.add_parser("export", help="export an architecture to ONNX (batch 1, static shape)")
    exp.add_argument("file", help="GPUNet JSON file")
    exp.add_argument("--onnx", required=True, help="output .onnx path")
    exp.add_argument("--fp16", action="store_true", help="export FP16 weights and input")
    exp.add_argument("--opset", type=int, default=None, help="ONNX opset (default: the pinned one)")
    exp.add_argument("--max-params", type=positive_number(integer=True), default=None,
                     help="refuse networks with more parameters (default 1e9)")
    exp.add_argument("--max-activation-gb", type=positive_number(), default=None,
                     help="refuse networks needing more activation memory at batch 1, in GB (default 32)")
    sub.add_parser("presets", help="list built-in architectures")
    return p


def describe(spec: ArchSpec) -> dict:
    st = arch_stats(spec)
    stages = []
    for label, layers in spec.stages().items():
        first = layers[0]
        stages.append({
            "stage": label, "block": first.type, "depth": len(layers), "filters": first.out_chs,
            "kernel": first.kernel if first.kernel is not None else 3, "stride": first.stride or 2,
            "expansion": first.expansion, "se": first.use_se, "act": first.act,
        })
    return {
        "arch": spec.arch_string, "hash": spec.hash, "resolution": spec.resolution,
        "params": st.params, "macs": st.macs, "num_classes": spec.num_classes,
        "distill": spec.distill, "stages": stages,
    }


def _print_info(d: dict) -> None:
    print(f"arch        {d['arch']}")
    print(f"hash        {d['hash']}")
    print(f"resolution  {d['resolution']}")
    print(f"params      {d['params']:,}")
    print(f"MACs        {d['macs'] / 1e6:,.1f} M")
    if "in_space" in d:
        print(f"in space    {d['in_space']}")
    print(f"{'stage':>5} {'block':<10} {'depth':>5} {'filters':>7} {'k':>2} {'s':>2} {'exp':>5} {'se':>5} {'act':<6}")
    for s in d["stages"]:
        e = "" if s["expansion"] is None else f"{s['expansion']:g}"
        se = "" if s["se"] is None else str(s["se"]).lower()
        print(f"{s['stage']:>5} {s['block']:<10} {s['depth']:>5} {s['filters']:>7} {s['kernel']:>2} {s['stride']:>2} "
              f"{e:>5} {se:>5} {s['act'] or '':<6}")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.cmd == "presets":
        for name in PRESETS:
            print(name)
        return 0
    if args.cmd == "info":
        spec = get_preset(args.preset) if args.preset else load_arch_file(args.file)
        d = describe(spec)
        if args.space:
            space = get_space(args.space)
            try:
                space.with_num_classes(spec.num_classes or space.num_classes).validate(spec)
                d["in_space"] = True
            except InvalidArchitecture as exc:
                d["in_space"] = f"no: {exc}"
        if args.json:
            print(json.dumps(d))
        else:
            _print_info(d)
        return 0
    if args.cmd == "sample":
        import numpy as np

        if args.n <= 0:
            raise ConfigError(f"--n must be positive, got {args.n}")
        space = get_space(args.space)
        if args.num_classes is not None:
            if args.num_classes <= 0:
                raise ConfigError(f"--num-classes must be positive, got {args.num_classes}")
            space = space.with_num_classes(args.num_classes)
        specs = space.sample(np.random.default_rng(args.seed), args.n)
        out = Path(args.out)
        targets = [out / f"{space.name}-{args.seed}-{i:03d}-{s.hash}.json" for i, s in enumerate(specs)]
        clash = [t for t in targets if t.exists()]
        if clash:
            raise ConfigError(f"{clash[0]} already exists; choose another --out folder or --seed")
        out.mkdir(parents=True, exist_ok=True)
        for t, s in zip(targets, specs):
            space.validate(s)
            t.write_text(s.dumps())
            print(t)
        return 0
    if args.cmd == "export":
        spec = load_arch_file(args.file)
        out = Path(args.onnx)
        if out.suffix != ".onnx":
            raise ConfigError(f"--onnx must name a .onnx file, got {str(out)!r}")
        check_size(spec, batch=1, limits=Limits.from_any(None, max_params=args.max_params,
                                                         max_activation_gb=args.max_activation_gb),
                   flags=("--max-params", "--max-activation-gb"))
        from .search_space.builder import ONNX_OPSET, export_onnx

        export_onnx(spec, out, opset=args.opset or ONNX_OPSET, fp16=args.fp16)
        print(out)
        return 0
    return 2  # unreachable: argparse requires a sub-command


def cli(argv: Sequence[str] | None = None) -> int:
    return run_cli(main, argv, prog=PROG)


if __name__ == "__main__":
    sys.exit(cli())
