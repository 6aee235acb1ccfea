"""``python -m gpunet_ray.search``: one hardware-aware architecture search, end to end.

    python -m gpunet_ray.search --budget-ms 0.85 --space tiny --data DIR --out results/run1
    python -m gpunet_ray.search --budgets-ms 0.5,0.85,1.2 --config experiments/demo.yaml
    python -m gpunet_ray.search --resume --out results/run1

Every suggested candidate goes: predictor pre-screen -> measured latency (latency actor pool,
cached) -> over every budget: recorded as rejected and told to the searcher, never trained ->
otherwise a Ray Tune training trial (ASHA) -> result to the searcher. The output folder then holds
the model hub (see :mod:`gpunet_ray.hub`). This module is the command line: the run itself is
:mod:`gpunet_ray.driver`; exit codes are :func:`exit_code` (and README, "Exit codes").
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Sequence

from .cli import OneLineParser, run_cli
from .config import SearchConfig, load_config
from .driver import run_search
from .errors import ConfigError
from .publish import Outcome, explain_trial_errors, publish

__all__ = ["main", "run_search", "publish", "explain_trial_errors", "Outcome", "exit_code"]

PROG = "python -m gpunet_ray.search"


def _parser() -> OneLineParser:
    from .latency import backend_help
    from .searchers import optimizer_help

    p = OneLineParser(prog=PROG, description="Hardware-aware architecture search with a latency-tiered model hub.")
    p.add_argument("--config", help="YAML file of settings (see experiments/); flags override it")
    b = p.add_mutually_exclusive_group()
    b.add_argument("--budget-ms", type=float, help="one latency budget in ms")
    b.add_argument("--budgets-ms", help="several budgets, comma-separated (one search fills every tier)")
    p.add_argument("--space", help="gpunet, tiny or a YAML space file")
    p.add_argument("--data", help="ImageNet-layout dataset folder (train/<class>/*, val/<class>/*)")
    p.add_argument("--latency-backend", help=f"{backend_help()} (default onnxruntime-cpu)")
    p.add_argument("--searcher", help=f"one of {optimizer_help()}")
    p.add_argument("--trials", type=int, help="searched candidates to train (the baselines come on top)")
    p.add_argument("--time-budget", type=float, help="wall-clock limit in seconds")
    p.add_argument("--concurrency", type=int, help="training trials in flight")
    p.add_argument("--epochs", type=int, help="proxy training epochs per trial")
    p.add_argument("--seed", type=int, help="searcher seed")
    p.add_argument("--out", help="output folder (default results/search)")
    p.add_argument("--resume", action="store_true", help="continue the interrupted search in --out")
    p.add_argument("--max-params", type=float, help="candidates with more parameters are infeasible (too_large)")
    p.add_argument("--max-activation-gb", type=float,
                   help="candidates whose training activations at the batch size exceed this are infeasible")
    p.add_argument("--skip-bad", action="store_true",
                   help="leave out (and count) bad image files instead of refusing the dataset")
    p.add_argument("--address", help="Ray address (default: join the running cluster if any, else start one)")
    p.add_argument("--no-baselines", action="store_true", help="skip the hand-designed baselines")
    p.add_argument("--no-dashboard", action="store_true", help="local Ray without the dashboard")
    p.add_argument("--quiet", action="store_true", help="no live progress lines")
    return p


def _budgets(args) -> tuple[float, ...] | None:
    if args.budget_ms is not None:
        return (args.budget_ms,)
    if args.budgets_ms is not None:
        try:
            return tuple(float(x) for x in args.budgets_ms.split(",") if x.strip())
        except ValueError:
            raise ConfigError(f"--budgets-ms must be comma-separated numbers, got {args.budgets_ms!r}") from None
    return None


def resolve_config(args) -> SearchConfig:
    overrides = {
        "budgets_ms": _budgets(args), "space": args.space, "data": args.data, "trials": args.trials,
        "time_budget_s": args.time_budget, "concurrency": args.concurrency, "out": args.out,
        "latency.backend": args.latency_backend, "searcher.name": args.searcher, "searcher.seed": args.seed,
        "train.epochs": args.epochs, "cluster.address": args.address,
    }
    if args.no_baselines:
        overrides["baselines"] = False
    if args.skip_bad:
        overrides["train.skip_bad"] = True
    cfg = load_config(args.config, overrides)
    limits = {k: v for k, v in (("max_params", args.max_params), ("max_activation_gb", args.max_activation_gb))
              if v is not None}
    if limits:
        cfg = replace(cfg, train=replace(cfg.train, limits={**cfg.train.limits, **limits})).validate()
    return cfg


EXIT_OK, EXIT_USAGE, EXIT_INCOMPLETE_HUB, EXIT_UNFINISHED = 0, 2, 3, 4


def exit_code(o: Outcome) -> tuple[int, str | None]:
    """(exit status, one line for stderr) of a search that ran (see README, "Exit codes")."""
    resume = f"continue it with --resume --out {o.out}"
    if o.interrupted is not None:
        import signal

        name = signal.Signals(o.interrupted).name
        return 128 + int(o.interrupted), (f"interrupted by {name}: {len(o.unresolved)} candidate(s) unfinished, "
                                          f"finished work kept; {resume}")
    if o.unresolved:
        return EXIT_UNFINISHED, (f"the search stopped with {len(o.unresolved)} candidate(s) unfinished "
                                 f"({', '.join(o.unresolved[:5])}); {resume}")
    if o.missing_budgets:
        budgets = ", ".join(f"{b:g} ms" for b in o.missing_budgets)
        why = f"; failures: {', '.join(o.reasons)}" if o.failed else ""
        return EXIT_INCOMPLETE_HUB, (f"no trained candidate met {budgets} ({o.trained} trained, {o.failed} failed"
                                     f"{why}); raise --trials or the budget")
    return EXIT_OK, None


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.resume and not args.out and not args.config:
        raise ConfigError("--resume needs --out DIR (the folder of the search to continue)")
    cfg = resolve_config(args)
    outcome = run_search(cfg, resume=args.resume, dashboard=not args.no_dashboard, verbose=not args.quiet)
    code, line = exit_code(outcome)
    if line:
        print(f"{PROG}: {line}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(run_cli(main, prog=PROG))
