"""CLI: ``python -m gpunet_ray.latency {measure,table,predict-eval}``.

Bad input (unknown backend, missing dependency, invalid architecture, unreadable table) exits
with code 2 and one line on stderr; nothing half-written is left behind. ``measure`` and
``table`` check every network's size before building it (``--max-params``, default 1e9;
``--max-activation-gb``: activation memory at ``--batch``, default 32 GB; see
:func:`gpunet_ray.search_space.stats.check_size`): a larger one exits 2 the same way.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Sequence

from gpunet_ray.cli import OneLineParser, key_values, positive_number, run_cli
from gpunet_ray.errors import ConfigError

PROG = "python -m gpunet_ray.latency"


def _positive_int(s: str) -> int:
    # ArgumentTypeError keeps this message (argparse replaces a ValueError's, and ConfigError is one)
    import argparse

    try:
        v = int(s)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}")
    return v


_LIMIT_FLAGS = ("--max-params", "--max-activation-gb")


def _limits(args):
    from gpunet_ray.search_space.stats import Limits

    return Limits.from_any(None, max_params=args.max_params, max_activation_gb=args.max_activation_gb)


def _parser() -> OneLineParser:
    from .backends import CLOCKS, DEFAULT_BACKEND, backend_help

    p = OneLineParser(prog=PROG, description="Measure, tabulate and predict architecture latency.")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=OneLineParser)

    def common(sp):
        sp.add_argument("--backend", default=DEFAULT_BACKEND, help=backend_help())
        sp.add_argument("--threads", type=_positive_int, default=1, help="intra-op CPU threads (default 1)")
        sp.add_argument("--batch", type=_positive_int, default=1, help="batch size (default 1)")
        sp.add_argument("--precision", choices=("fp32", "fp16"), default=None, help="backend default if omitted")
        sp.add_argument("--clock", choices=CLOCKS, default=None,
                        help="CPU backends: auto (thread CPU clock with 1 thread, else wall clock)")
        sp.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="backend option, repeatable (e.g. cuda_graphs=false for eager torch-cuda timing)")
        sp.add_argument("--max-params", type=positive_number(integer=True), default=None,
                        help="refuse networks with more parameters (default 1e9)")
        sp.add_argument("--max-activation-gb", type=positive_number(), default=None,
                        help="refuse networks needing more activation memory at --batch, in GB (default 32)")

    m = sub.add_parser("measure", help="measure one GPUNet JSON architecture")
    m.add_argument("file", help="GPUNet JSON architecture file")
    common(m)
    m.add_argument("--repeats", type=_positive_int, default=None,
                   help="fixed number of timed runs (default: until the median is stable)")
    m.add_argument("--time-cap", type=float, default=None, help="seconds of timed runs at most")
    m.add_argument("--cache", default=None, help="SQLite latency cache to read/write (default: none)")
    m.add_argument("--json", action="store_true", help="print the record as one JSON object")

    t = sub.add_parser("table", help="measure N sampled architectures into a Parquet table")
    t.add_argument("--space", default="tiny", help="search space name or YAML file (default tiny)")
    t.add_argument("--n", type=_positive_int, required=True, help="number of distinct architectures")
    t.add_argument("--out", required=True, help="output .parquet file")
    t.add_argument("--seed", type=int, default=0)
    common(t)
    t.add_argument("--cache", default=None, help="SQLite cache (default ~/.cache/gpunet_ray/latency.sqlite)")
    t.add_argument("--no-cache", action="store_true", help="measure everything afresh")
    t.add_argument("--no-progress", action="store_true")

    e = sub.add_parser("predict-eval", help="fit the latency predictor on a table; print Kendall tau and MAPE")
    e.add_argument("--table", required=True, help="Parquet table written by 'table'")
    e.add_argument("--test-frac", type=float, default=0.25)
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--model", default="ensemble", help="ensemble (default), ridge or gbr")
    e.add_argument("--save", default=None, help="fit on the whole table and save the predictor (JSON)")
    e.add_argument("--json", action="store_true")
    return p


def _clock(args) -> dict:
    """Backend options: ``--option KEY=VALUE`` (values read as YAML scalars), and ``clock`` only
    where given (GPU backends take no clock option)."""
    opts = key_values(args.option, "--option", "cuda_graphs=false")
    if args.clock:
        opts["clock"] = args.clock
    return opts


def _measure(args) -> int:
    from .cache import LatencyCache
    from .measure import as_spec, measure_latency

    from gpunet_ray.search_space.stats import check_size

    spec = as_spec(Path(args.file))
    if args.time_cap is not None and not args.time_cap > 0:
        raise ConfigError(f"--time-cap must be positive, got {args.time_cap}")
    limits = _limits(args)
    check_size(spec, batch=args.batch, limits=limits, flags=_LIMIT_FLAGS)  # before any backend or cache
    rec = measure_latency(spec, backend=args.backend, threads=args.threads, batch=args.batch,
                          precision=args.precision, repeats=args.repeats, time_cap_s=args.time_cap,
                          cache=LatencyCache(args.cache) if args.cache else None, limits=limits, **_clock(args))
    if args.json:
        print(json.dumps(rec.to_dict(), sort_keys=True))
    else:
        print(f"{Path(args.file).name}: median {rec.median_ms:.4f} ms  p90 {rec.p90_ms:.4f} ms  "
              f"IQR {rec.iqr_ms:.4f} ms  CV {100 * rec.cv:.1f} %  n={rec.n} ({rec.stop})  "
              f"[{rec.backend}, {rec.precision}, batch {rec.batch}, threads {rec.threads}, {rec.device}]")
    return 0


def _table(args) -> int:
    import functools

    from gpunet_ray.search_space import get_space
    from gpunet_ray.search_space.stats import check_size

    from .backends import get_backend
    from .cache import LatencyCache
    from .measure import measure_latency
    from .table import measure_table, sample_unique, write_table

    out = Path(args.out)
    if out.suffix != ".parquet":
        raise ConfigError(f"--out must end in .parquet, got {str(out)!r}")
    space = get_space(args.space)
    get_backend(args.backend, threads=args.threads, batch=args.batch, precision=args.precision,
                **_clock(args))  # fail early, before sampling and measuring
    specs = sample_unique(space, args.n, seed=args.seed)
    limits = _limits(args)
    for spec in specs:  # every size before the first measurement
        check_size(spec, batch=args.batch, limits=limits, flags=_LIMIT_FLAGS)
    cache = None if args.no_cache else LatencyCache(args.cache)
    df = measure_table(specs, backend=args.backend, threads=args.threads, batch=args.batch,
                       precision=args.precision, cache=cache, progress=not args.no_progress,
                       measure=functools.partial(measure_latency, limits=limits), **_clock(args))
    write_table(df, out)
    hits = cache.hits if cache is not None else 0
    print(f"wrote {len(df)} architectures to {out} (median {df.median_ms.min():.3f}-{df.median_ms.max():.3f} ms; "
          f"{hits} from the cache)")
    return 0


def _predict_eval(args) -> int:
    from gpunet_ray.search_space import ArchSpec

    from .predictor import LatencyPredictor
    from .table import read_table

    if args.model not in LatencyPredictor.MODELS:
        raise ConfigError(f"unknown --model {args.model!r}; use one of {', '.join(LatencyPredictor.MODELS)}")
    df = read_table(args.table)
    specs = [ArchSpec.from_arch_string(a) for a in df["arch"]]
    res = LatencyPredictor.holdout_eval(specs, df["median_ms"].to_numpy(), test_frac=args.test_frac,
                                        seed=args.seed, model=args.model)
    if args.save:
        meta = {k: str(df[k].iloc[0]) for k in ("backend", "device", "fingerprint") if k in df.columns}
        LatencyPredictor(model=args.model, seed=args.seed, **meta).fit(specs, df["median_ms"].to_numpy()).save(args.save)
        res["saved"] = args.save
    if args.json:
        print(json.dumps(res, sort_keys=True))
    else:
        print(f"held-out {res['n_test']} of {res['n_train'] + res['n_test']} ({res['model']}): "
              f"Kendall tau {res['kendall_tau']:.3f}  MAPE {100 * res['mape']:.1f} %"
              + (f"  (saved {args.save})" if args.save else ""))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return {"measure": _measure, "table": _table, "predict-eval": _predict_eval}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(run_cli(main, prog=PROG))
