"""``python -m gpunet_ray.search``: one hardware-aware architecture search, end to end.

    python -m gpunet_ray.search --budget-ms 0.85 --space tiny --data DIR --out results/run1
    python -m gpunet_ray.search --budgets-ms 0.5,0.85,1.2 --config experiments/demo.yaml
    python -m gpunet_ray.search --resume --out results/run1

Every suggested candidate goes: predictor pre-screen -> measured latency (latency actor pool,
cached) -> over every budget: recorded as rejected and told to the searcher, never trained ->
otherwise a Ray Tune training trial (ASHA) -> result to the searcher. The output folder then holds
the model hub (see :mod:`gpunet_ray.hub`).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from ._cli import OneLineParser, run_cli
from .config import SearchConfig, load_config
from .errors import ConfigError, GpunetRayError

PROG = "python -m gpunet_ray.search"
EXPERIMENT = "tune"


def _parser() -> OneLineParser:
    p = OneLineParser(prog=PROG, description="Hardware-aware architecture search with a latency-tiered model hub.")
    p.add_argument("--config", help="YAML file of settings (see experiments/); flags override it")
    b = p.add_mutually_exclusive_group()
    b.add_argument("--budget-ms", type=float, help="one latency budget in ms")
    b.add_argument("--budgets-ms", help="several budgets, comma-separated (one search fills every tier)")
    p.add_argument("--space", help="gpunet, tiny or a YAML space file")
    p.add_argument("--data", help="ImageNet-layout dataset folder (train/<class>/*, val/<class>/*)")
    p.add_argument("--latency-backend", help="onnxruntime-cpu, torch-cpu, torch-cuda or tensorrt")
    p.add_argument("--searcher", help="lamcts (default), random, optuna-tpe or hebo")
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


# -- pre-flight checks: nothing is written before they all pass ------------------------------------
def _check_names(cfg: SearchConfig):
    from .latency import get_backend, list_backends
    from .search_space import get_space
    from .searchers import list_optimizers

    space = get_space(cfg.space)
    if cfg.searcher.name not in list_optimizers():
        raise ConfigError(f"unknown searcher {cfg.searcher.name!r}; use one of {', '.join(list_optimizers())}")
    from .searchers import get_optimizer

    kw = dict(cfg.searcher.options)
    if len(cfg.budgets) > 1:  # several tiers: two objectives (top-1 up, latency down)
        kw.update(objectives=2, maximize=(True, False))
    try:
        get_optimizer(cfg.searcher.name, space, seed=cfg.searcher.seed, **kw)
    except TypeError as exc:
        what = "several budgets (two objectives)" if len(cfg.budgets) > 1 else f"options {sorted(kw)}"
        raise ConfigError(f"searcher {cfg.searcher.name!r} does not support {what} ({exc}); "
                          "use lamcts, lamcts-turbo or random, or one budget") from None
    if cfg.latency.backend not in list_backends():
        raise ConfigError(f"unknown latency backend {cfg.latency.backend!r}; use one of {', '.join(list_backends())}")
    from .trainables import Recipe

    Recipe.from_dict({"epochs": cfg.train.epochs, "batch_size": cfg.train.batch_size,
                      "optimizer": cfg.train.optimizer, **dict(cfg.train.recipe)})
    if cfg.latency.resource is None:  # a local backend must work here; remote ones are checked on the pool
        get_backend(cfg.latency.backend, threads=cfg.latency.threads, batch=cfg.latency.batch,
                    precision=cfg.latency.precision)
    return space


def _check_data(cfg: SearchConfig):
    from .data import check_dataset

    if not cfg.data:
        raise ConfigError("no dataset: pass --data DIR (make one with 'python -m gpunet_ray.data make-demo DIR')")
    return check_dataset(cfg.data, skip_bad=cfg.train.skip_bad)


def _check_out(out: Path, resume: bool) -> None:
    has_search = (out / "config.yaml").is_file()
    if resume and not has_search:
        raise ConfigError(f"--resume: {str(out)!r} holds no search (config.yaml missing); start one without --resume")
    if not resume and has_search:
        raise ConfigError(f"{str(out)!r} already holds a search; pass --resume to continue it or choose another --out")
    if not resume and out.exists() and any(out.iterdir()):
        raise ConfigError(f"{str(out)!r} exists and is not empty; choose a new --out folder")


def _reachable(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=3):
            return True
    except (OSError, ValueError):
        return False


def _running_cluster() -> str | None:
    """The address of a running Ray cluster on this machine (RAY_ADDRESS, or Ray's own discovery)."""
    try:
        from ray._private.services import get_ray_address_from_environment

        addr = get_ray_address_from_environment("auto", None)
    except Exception:  # nothing running (Ray raises ConnectionError) or an unknown layout
        return None
    if not addr or addr == "auto" or addr.startswith("ray://"):
        return addr if addr and addr.startswith("ray://") else None
    return addr if _reachable(addr) else None  # a stale record of a dead cluster is not a cluster


def _check_address(address: str | None) -> None:
    if address in (None, "auto", "local") or address.startswith("ray://"):
        return
    if not _reachable(address):
        raise ConfigError(f"cannot reach a Ray cluster at --address {address!r}; start one with "
                          "'ray start --head' or 'ray up cluster.yaml', or omit --address")


# -- shared-storage URIs (s3://, gs://, file://): work in a local staging folder, upload at the end --
def _is_uri(s: str) -> bool:
    return "://" in str(s)


def _staging(uri: str) -> Path:
    base = Path(os.environ.get("GPUNET_RAY_STAGING", "~/.cache/gpunet_ray/runs")).expanduser()
    return (base / "".join(c if c.isalnum() or c in "-_." else "_" for c in uri)).resolve()


def _remote(uri: str):
    try:
        from pyarrow import fs

        return fs.FileSystem.from_uri(uri)
    except Exception as exc:  # pyarrow raises several types for unknown schemes / missing credentials
        raise ConfigError(f"cannot open --out {uri!r}: {str(exc).splitlines()[0]}") from None


def _check_remote(uri: str, resume: bool) -> None:
    from pyarrow import fs

    filesystem, path = _remote(uri)
    has = filesystem.get_file_info(f"{path}/config.yaml").type == fs.FileType.File
    if resume and not has:
        raise ConfigError(f"--resume: {uri!r} holds no search (config.yaml missing); start one without --resume")
    if not resume and has:
        raise ConfigError(f"{uri!r} already holds a search; pass --resume to continue it or choose another --out")


def _copy(src, dst) -> None:
    """Copy a folder tree between a local path and a URI (either direction)."""
    from pyarrow import fs

    def split(x):
        return _remote(str(x)) if _is_uri(str(x)) else (fs.LocalFileSystem(), str(Path(x).resolve()))

    (sfs, spath), (dfs, dpath) = split(src), split(dst)
    if isinstance(dfs, fs.LocalFileSystem):
        Path(dpath).mkdir(parents=True, exist_ok=True)
    fs.copy_files(spath, dpath, source_filesystem=sfs, destination_filesystem=dfs)


def connect_ray(cfg: SearchConfig, dashboard: bool = True) -> bool:
    """Join ``cfg.cluster.address`` (or a running cluster), else start a local Ray. True if started here."""
    import ray

    if ray.is_initialized():
        return False
    address = cfg.cluster.address
    env = {"OMP_NUM_THREADS": "1"}
    if address in (None, "auto"):
        running = _running_cluster()
        if running is not None:
            ray.init(address=running, runtime_env={"env_vars": env}, log_to_driver=False)
            print(f"joined the running Ray cluster at {running}", file=sys.stderr)
            return False
        if address == "auto":
            raise ConfigError("no running Ray cluster found for --address auto; start one or omit --address")
    elif address != "local":
        try:
            ray.init(address=address, runtime_env={"env_vars": env}, log_to_driver=False)
            return False
        except (ConnectionError, RuntimeError) as exc:
            raise ConfigError(f"cannot join the Ray cluster at {address!r}: {str(exc).splitlines()[0]}") from None
    ctx = ray.init(include_dashboard=dashboard, dashboard_host=cfg.cluster.dashboard_host,
                   runtime_env={"env_vars": env}, log_to_driver=False, configure_logging=True,
                   logging_level="ERROR")
    if dashboard and getattr(ctx, "dashboard_url", None):
        print(f"Ray dashboard (local only): http://{ctx.dashboard_url}", file=sys.stderr)
    return True


def _fastest_check(cfg: SearchConfig, space, service) -> float:
    """Measure the space's smallest network; every budget must be above it."""
    cfg0 = {d.name: d.choices[0] for d in space.dims}
    spec = space.from_config(cfg0)
    rec = service.measure(spec)
    fastest = float(rec.median_ms)
    low = [b for b in cfg.budgets if b < fastest]
    if low:
        raise ConfigError(
            f"budget {low[0]:g} ms is below the fastest network of space {space.name!r}: "
            f"{fastest:.3f} ms measured ({cfg.latency.backend}, {rec.device}) for {spec.arch_string}; "
            "raise --budget-ms")
    return fastest


# -- the run -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """How a search ended; :func:`exit_code` turns it into the CLI's exit status."""

    out: Path
    interrupted: int | None = None  # the signal that stopped it (SIGINT, SIGTERM), if any
    unresolved: tuple[str, ...] = ()  # candidates with no outcome yet (resumable)
    missing_budgets: tuple[float, ...] = ()  # budgets with no trained model in the hub
    trained: int = 0
    failed: int = 0
    reasons: tuple[str, ...] = ()  # most common failure reasons


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


def _experiments(out: Path) -> list[Path]:
    """The Tune experiment folders of earlier runs of this search (``tune``, ``tune-resume-N``)."""
    runs = [p for p in out.glob(f"{EXPERIMENT}*") if p.is_dir() and
            (p.name == EXPERIMENT or p.name.startswith(f"{EXPERIMENT}-resume-"))]
    return sorted(runs, key=lambda p: int(p.name.rsplit("-", 1)[1]) if p.name != EXPERIMENT else 0)


def _next_experiment(out: Path) -> str:
    runs = _experiments(out)
    if not runs:
        return EXPERIMENT
    last = runs[-1].name
    return f"{EXPERIMENT}-resume-{1 if last == EXPERIMENT else int(last.rsplit('-', 1)[1]) + 1}"


class _Signals:
    """SIGINT / SIGTERM during ``fit``: end the Tune run gracefully (a Tune ``Stopper``) and
    remember the signal; a second signal stops at once (KeyboardInterrupt)."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._old: dict = {}

    def __enter__(self) -> "_Signals":
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.received is not None:
            raise KeyboardInterrupt
        self.received = signum
        print(f"{PROG}: stopping: finishing the bookkeeping (signal again to stop at once)", file=sys.stderr,
              flush=True)

    def __exit__(self, *exc) -> None:
        import signal

        for sig, old in self._old.items():
            signal.signal(sig, old)

    def stopper(self):
        from ray.tune.stopper import Stopper

        sig = self

        class _Stop(Stopper):
            def __call__(self, trial_id, result):
                return False

            def stop_all(self):
                return sig.received is not None

        return _Stop()


def run_search(cfg: SearchConfig, resume: bool = False, dashboard: bool = True, verbose: bool = True) -> Outcome:
    import ray
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    from .baselines import FAMILIES, baseline_family
    from .trainables import train_candidate, trial_resources
    from .tuner import GatedSearch, result_log

    remote = cfg.out if _is_uri(cfg.out) else None
    out = _staging(remote) if remote else Path(cfg.out).resolve()
    if remote:
        _check_remote(remote, resume)
        if resume:
            shutil.rmtree(out, ignore_errors=True)
            _copy(remote, out)
    _check_out(out, resume)
    if resume:
        saved = load_config(out / "config.yaml")
        if cfg.cluster.address is not None:  # --address on the command line wins over the saved one
            saved = replace(saved, cluster=replace(saved.cluster, address=cfg.cluster.address))
        cfg = saved
    space = _check_names(cfg)
    info = _check_data(cfg)
    space = space.with_num_classes(info.num_classes)
    _check_address(cfg.cluster.address)

    started = connect_ray(cfg, dashboard=dashboard)
    created_out = False
    try:
        from .latency import LatencyService

        lat = cfg.latency
        cache = lat.cache or str(out / "latency.sqlite")
        if not resume:
            probe = LatencyService(backend=lat.backend, num_actors=1, resource=lat.resource, cache_path=None,
                                   timeout_s=lat.timeout_s, threads=lat.threads, batch=lat.batch,
                                   precision=lat.precision, backend_options=dict(lat.options))
            try:
                _fastest_check(cfg, space, probe)
            finally:
                probe.shutdown()
            out.mkdir(parents=True, exist_ok=True)
            created_out = True
            cfg.dump_yaml(out / "config.yaml")
        os.environ.setdefault("TUNE_GLOBAL_CHECKPOINT_S", "1")
        os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
        os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
        os.environ["TUNE_DISABLE_SIGINT_HANDLER"] = "1"  # ours ends the run gracefully (see _Signals)

        trainable = tune.with_resources(train_candidate, trial_resources(
            cpus=cfg.train.cpus_per_trial, gpus=cfg.train.gpus_per_trial,
            accelerator_type=cfg.train.accelerator_type))
        epochs = cfg.train.epochs
        scheduler = ASHAScheduler(time_attr="epoch", max_t=epochs, grace_period=min(cfg.train.grace_period, epochs))
        baselines = []
        if cfg.baselines:
            for fam in FAMILIES:
                baselines += [(n, s.arch_string) for n, s in baseline_family(space, fam, steps=cfg.baseline_steps)]
        recipe = {"epochs": epochs, "batch_size": cfg.train.batch_size, "optimizer": cfg.train.optimizer}
        if cfg.train.lr is not None:
            recipe["lr"] = cfg.train.lr
        recipe.update(dict(cfg.train.recipe))
        constants = {"data_dir": str(Path(cfg.data).resolve()), "recipe": recipe, "loader": cfg.train.loader,
                     "num_threads": cfg.train.threads}
        if cfg.train.limits:
            constants["limits"] = dict(cfg.train.limits)
        if cfg.train.skip_bad:
            constants["skip_bad"] = True
        constants.update(dict(cfg.train.inject))  # fault-injection test hooks (empty normally)
        searcher = GatedSearch(
            space=cfg.space, num_classes=info.num_classes, budgets_ms=cfg.budgets, latency=lat,
            cache_path=cache, optimizer=cfg.searcher.name, seed=cfg.searcher.seed,
            options=dict(cfg.searcher.options), baselines=baselines,
            max_candidates=cfg.max_candidates or 25 * cfg.trials, max_trials=cfg.trials,
            log_path=str(out / "candidates.jsonl"), state_path=str(out / "searcher.json"),
            trial_constants=constants, epochs=epochs, verbose=verbose)
        if resume:
            got = searcher.recover(_experiments(out))
            print(f"resuming: {got['final']} candidate(s) final, {got['resolved']} resolved from their last "
                  f"result, {got['requeued']} to train, {got['regated']} to measure", file=sys.stderr)
        searcher.service  # the latency pool first: re-queued trials must not take every slot before it
        n_base = len(FAMILIES) * len(cfg.budgets) if cfg.baselines else 0
        signals = _Signals()
        tuner = tune.Tuner(
            trainable,
            param_space=constants,
            tune_config=tune.TuneConfig(
                metric="top1", mode="max", search_alg=searcher, scheduler=scheduler,
                num_samples=cfg.trials + n_base, max_concurrent_trials=cfg.concurrency,
                time_budget_s=cfg.time_budget_s),
            run_config=tune.RunConfig(
                name=_next_experiment(out), storage_path=str(out), verbose=0, stop=signals.stopper(),
                callbacks=[result_log(searcher)],
                failure_config=tune.FailureConfig(max_failures=cfg.train.max_failures),
                checkpoint_config=tune.CheckpointConfig(num_to_keep=1)),
        )
        t0 = time.time()
        with signals:
            tuner.fit()
        if signals.received is None:
            print(f"search finished in {time.time() - t0:.0f} s", file=sys.stderr)
        unresolved = tuple(searcher.unresolved())
        if signals.received is not None:
            outcome = Outcome(out=out, interrupted=signals.received, unresolved=unresolved)
        else:
            outcome = publish(out, cfg, unresolved=unresolved)
        if remote:
            _copy(out, remote)
            print(f"results uploaded to {remote}", file=sys.stderr)
        return replace(outcome, out=Path(remote) if remote else out)
    except GpunetRayError:
        if created_out and not resume:
            shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        if started:
            ray.shutdown()


def explain_trial_errors(out: Path, cands: dict[str, dict]) -> int:
    """Give crashed trials a specific reason from Tune's ``error.txt``; returns how many were explained.

    A trial whose worker raised past Tune's retries reaches the searcher as a bare error, recorded
    as ``reason="trial_error"``; Tune writes the traceback into the trial's folder only afterwards.
    Here the last line of that traceback is appended to the reason (``"trial_error: RuntimeError:
    ..."``), in ``cands`` and as an update line in ``candidates.jsonl`` (so a re-publish agrees).
    """
    from .ledger import append_records

    todo = {c["trial_id"]: c for c in cands.values()
            if c.get("status") == "failed" and c.get("reason") == "trial_error" and c.get("trial_id")}
    if not todo:
        return 0
    updates = []
    for err in sorted(e for run in _experiments(out) for e in run.glob("*/error.txt")):
        tid = next((t for t in todo if t in err.parent.name), None)
        if tid is None:
            continue
        try:
            lines = [ln.strip() for ln in err.read_text(errors="replace").splitlines() if ln.strip()]
        except OSError:
            continue
        if not lines:
            continue
        rec = todo.pop(tid)
        rec["reason"] = f"trial_error: {lines[-1][:300]}"
        rec["time"] = time.time()
        updates.append(dict(rec))  # a whole record, like the searcher's lines
    append_records(out / "candidates.jsonl", updates)
    return len(updates)


def publish(out: Path, cfg: SearchConfig, unresolved: Sequence[str] = ()) -> Outcome:
    """trials.parquet, hub.parquet/csv, HUB.md, pareto.png and models/<tier>/ from the candidate log.

    Every file is replaced atomically, so a kill while publishing leaves the earlier version (or
    none) and a rerun (``--resume``) publishes again from the ledger."""
    import pandas as pd

    from ._faults import kill_point
    from .hub import _atomic, plot_pareto, select_hub, write_hub
    from .ledger import load_candidates

    cands = load_candidates(out / "candidates.jsonl")
    explain_trial_errors(out, cands)
    rows = [c for c in cands.values() if c.get("status") != "skipped"]
    df = pd.DataFrame(rows)
    for col in ("top1", "top5", "loss", "latency_ms", "latency_p90_ms", "latency_cv", "predicted_ms"):
        if col not in df:
            df[col] = float("nan")
        df[col] = pd.to_numeric(df[col], errors="coerce")
    for col in ("config", "last_result"):
        if col in df:
            df[col] = df[col].map(lambda c: json.dumps(c, default=str) if c is not None else None)
    for col in ("status", "role", "reason"):
        if col not in df:
            df[col] = None
    _atomic(out / "trials.parquet", lambda p: df.to_parquet(p, index=False))
    kill_point("publish")
    measured = df[df["latency_ms"].notna()]
    backend = str(measured["backend"].iloc[0]) if len(measured) else cfg.latency.backend
    device = str(measured["device"].iloc[0]) if len(measured) else "unknown"
    hub = select_hub(df, cfg.budgets, batch=cfg.latency.batch, backend=backend, device=device)
    write_hub(hub, out)
    _atomic(out / "pareto.png", lambda p: plot_pareto(df, cfg.budgets, p))
    print((out / "HUB.md").read_text())
    search = df[df["role"] == "search"]
    failed = search[search["status"] == "failed"]
    reasons = failed["reason"].astype(str).str.split(":").str[0].value_counts()
    return Outcome(out=out, unresolved=tuple(unresolved),
                   missing_budgets=tuple(b for b in cfg.budgets if b not in set(hub["budget_ms"])),
                   trained=int((search["status"] == "trained").sum()), failed=len(failed),
                   reasons=tuple(f"{r} x{n}" for r, n in reasons.head(3).items()))


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
