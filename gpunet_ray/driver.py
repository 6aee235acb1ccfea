"""One search, end to end: pre-flight checks, the Ray connection, the Tune run, publishing.

:func:`run_search` is what ``python -m gpunet_ray.search`` (and ``make demo``) runs. Nothing is
written before every check has passed; a search that fails its checks leaves no folder behind.
The search logic itself is :class:`~gpunet_ray.pipeline.CandidatePipeline`, run by Ray Tune
through :class:`~gpunet_ray.tune_adapter.GatedSearch`.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

from .cluster import check_address, connect_search
from .config import SearchConfig, load_config
from .errors import ConfigError, GpunetRayError
from .publish import Outcome, experiments, next_experiment, publish
from .storage import check_out, check_remote, copy_tree, is_uri, staging

__all__ = ["run_search"]


MULTI_BUDGET_MODES = ("auto", "pareto", "per-tier")


def searcher_options(cfg: SearchConfig) -> dict:
    """The optimiser core's options: ``searcher.options`` less ``multi_budget``, plus two derived ones.

    * ``multi_budget`` with several budgets: ``pareto``, one two-objective core (top-1, latency), which
      the searcher must support; ``per-tier``, one single-objective core per budget
      (``per_tier_budgets_ms``; :class:`~gpunet_ray.searchers._per_tier.PerTierCore`); ``auto`` (the
      default): ``pareto`` for a searcher that declares several objectives, else ``per-tier``, so
      that a single-objective searcher (optuna-tpe, hebo, a plugin) fills several tiers too.
    * ``n_init`` (the initial design), when unset and the optimiser takes it: sized to the trial
      budget, ``max(2, min(20, trials // 4))``, so that most trials are model-guided suggestions.
    * ``budget``, when unset and the optimiser takes it: ``trials`` (LA-MCTS then takes whole-box steps
      from ``min(100, trials / 2)`` observations on; the core is also told the candidates the gate
      rejects, so with many rejections that comes earlier in trained trials, which the session-11
      ablation found no worse: whole-box steps from the start scored close to the switch at half).
    """
    from .searchers import optimizer_info
    from .searchers._registry import with_budget

    opts = dict(cfg.searcher.options)
    mode = opts.pop("multi_budget", "auto")
    if mode not in MULTI_BUDGET_MODES:
        raise ConfigError(f"searcher option multi_budget must be one of {', '.join(MULTI_BUDGET_MODES)}, "
                          f"got {mode!r}")
    if mode == "auto":
        mode = "pareto" if optimizer_info(cfg.searcher.name).multi_objective else "per-tier"
    if mode == "per-tier" and len(cfg.budgets) > 1:
        opts["per_tier_budgets_ms"] = sorted(float(b) for b in cfg.budgets)
    takes = optimizer_info(cfg.searcher.name).options
    if "n_init" not in opts and cfg.trials and takes is not None and "n_init" in takes:
        opts["n_init"] = max(2, min(20, int(cfg.trials) // 4))
    if cfg.trials:
        opts = with_budget(cfg.searcher.name, opts, cfg.trials)
    return opts


def _check_names(cfg: SearchConfig):
    from .latency import backend_class, get_backend
    from .search_space import get_space
    from .searchers import get_optimizer, list_optimizers, optimizer_info
    from .tune_adapter import core_options

    space = get_space(cfg.space)
    name = cfg.searcher.name  # a registered name, an entry-point name or package.module:factory
    opts = searcher_options(cfg)
    kw = core_options(cfg.budgets, opts)
    if (kw.get("objectives", 1) > 1 and "per_tier_budgets_ms" not in opts
            and not optimizer_info(name).multi_objective):  # declared capability
        raise ConfigError(f"searcher {name!r} does not support several budgets (two objectives); use one of "
                          f"{', '.join(list_optimizers(multi_objective=True))}, one budget, or the searcher "
                          "option multi_budget: per-tier or auto (one core per budget)")
    get_optimizer(name, space, seed=cfg.searcher.seed, **kw)  # ConfigError for an unknown name or option
    backend_class(cfg.latency.backend)  # a name, an entry point or package.module:Class; else ConfigError
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
        print("stopping: finishing the bookkeeping (signal again to stop at once)", file=sys.stderr,
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


def _open_out(cfg: SearchConfig, resume: bool) -> tuple[SearchConfig, Path, str | None]:
    """(the config to run, the local results folder, the storage URI or None); a resumed search
    runs with its saved config (``--address`` from the command line still wins)."""
    remote = cfg.out if is_uri(cfg.out) else None
    out = staging(remote) if remote else Path(cfg.out).resolve()
    if remote:
        check_remote(remote, resume)
        if resume:
            shutil.rmtree(out, ignore_errors=True)
            copy_tree(remote, out)
    check_out(out, resume)
    if resume:
        saved = load_config(out / "config.yaml")
        if cfg.cluster.address is not None:
            saved = replace(saved, cluster=replace(saved.cluster, address=cfg.cluster.address))
        cfg = saved
    return cfg, out, remote


def _start_out(cfg: SearchConfig, space, out: Path) -> None:
    """Check the budgets against the space's fastest network, then create the folder."""
    from .latency import LatencyService

    lat = cfg.latency
    probe = LatencyService(backend=lat.backend, num_actors=1, resource=lat.resource, num_gpus=lat.gpus, cache_path=None,
                           timeout_s=lat.timeout_s, threads=lat.threads, batch=lat.batch,
                           precision=lat.precision, backend_options=dict(lat.options))
    try:
        _fastest_check(cfg, space, probe)
    finally:
        probe.shutdown()
    out.mkdir(parents=True, exist_ok=True)
    cfg.dump_yaml(out / "config.yaml")


def trial_constants(cfg: SearchConfig) -> dict:
    """What every trial config carries besides its architecture."""
    recipe = {"epochs": cfg.train.epochs, "batch_size": cfg.train.batch_size, "optimizer": cfg.train.optimizer}
    if cfg.train.lr is not None:
        recipe["lr"] = cfg.train.lr
    recipe.update(dict(cfg.train.recipe))
    constants = {"data_dir": str(Path(cfg.data).resolve()), "recipe": recipe, "loader": cfg.train.loader,
                 "num_threads": cfg.train.threads}
    if cfg.train.limits:
        constants["limits"] = dict(cfg.train.limits)
    if cfg.train.skip_bad:
        constants["skip_bad"] = True
    return constants


def load_trainable(path: str | None):
    """The Tune function trainable named ``"module:function"`` (None: the project's ``train_candidate``)."""
    if path is None:
        from .trainables import train_candidate

        return train_candidate
    from .plugins import import_object

    fn = import_object(path, "train.trainable", "here and on every Ray node running trials")
    if not callable(fn):
        raise ConfigError(f"train.trainable {path!r} is not a function")
    return fn


def _searcher(cfg: SearchConfig, space, num_classes: int, out: Path, verbose: bool):
    from .baselines import FAMILIES, baseline_family
    from .tune_adapter import GatedSearch

    baselines = []
    if cfg.baselines:
        for fam in FAMILIES:
            baselines += [(n, s.arch_string) for n, s in baseline_family(space, fam, steps=cfg.baseline_steps)]
    return GatedSearch(
        space=cfg.space, num_classes=num_classes, budgets_ms=cfg.budgets, latency=cfg.latency,
        cache_path=cfg.latency.cache or str(out / "latency.sqlite"), optimizer=cfg.searcher.name,
        seed=cfg.searcher.seed, options=searcher_options(cfg), baselines=baselines,
        max_candidates=cfg.max_candidates or 25 * cfg.trials, max_trials=cfg.trials,
        log_path=str(out / "candidates.jsonl"), state_path=str(out / "searcher.json"),
        trial_constants=trial_constants(cfg), epochs=cfg.train.epochs, verbose=verbose)


def _tuner(cfg: SearchConfig, searcher, out: Path, signals: _Signals):
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    from .baselines import FAMILIES
    from .trainables import trial_resources
    from .tune_adapter import result_log

    os.environ.setdefault("TUNE_GLOBAL_CHECKPOINT_S", "1")
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    os.environ["TUNE_DISABLE_SIGINT_HANDLER"] = "1"  # ours ends the run gracefully (see _Signals)
    trainable = tune.with_resources(load_trainable(cfg.train.trainable), trial_resources(
        cpus=cfg.train.cpus_per_trial, gpus=cfg.train.gpus_per_trial, accelerator_type=cfg.train.accelerator_type))
    epochs = cfg.train.epochs
    n_base = len(FAMILIES) * len(cfg.budgets) if cfg.baselines else 0
    return tune.Tuner(
        trainable,
        param_space=dict(searcher.trial_constants),
        tune_config=tune.TuneConfig(
            metric="top1", mode="max", search_alg=searcher,
            scheduler=ASHAScheduler(time_attr="epoch", max_t=epochs, grace_period=min(cfg.train.grace_period, epochs)),
            num_samples=cfg.trials + n_base, max_concurrent_trials=cfg.concurrency, time_budget_s=cfg.time_budget_s),
        run_config=tune.RunConfig(
            name=next_experiment(out), storage_path=str(out), verbose=0, stop=signals.stopper(),
            callbacks=[result_log(searcher)],
            failure_config=tune.FailureConfig(max_failures=cfg.train.max_failures),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=1)),
    )


def run_search(cfg: SearchConfig, resume: bool = False, dashboard: bool = True, verbose: bool = True) -> Outcome:
    """Run (or, with ``resume``, continue) one search; returns how it ended (see :class:`Outcome`)."""
    import ray

    cfg, out, remote = _open_out(cfg, resume)
    space = _check_names(cfg)
    load_trainable(cfg.train.trainable)
    info = _check_data(cfg)
    space = space.with_num_classes(info.num_classes)
    check_address(cfg.cluster.address)
    cfg, started = connect_search(cfg, dashboard=dashboard)  # a local Ray lays out this box's GPUs
    created_out = False
    try:
        if not resume:
            _start_out(cfg, space, out)
            created_out = True
        searcher = _searcher(cfg, space, info.num_classes, out, verbose)
        if resume:
            got = searcher.recover(experiments(out))
            print(f"resuming: {got['final']} candidate(s) final, {got['resolved']} resolved from their last "
                  f"result, {got['requeued']} to train, {got['regated']} to measure", file=sys.stderr)
        searcher.service  # the latency pool first: re-queued trials must not take every slot before it
        signals = _Signals()
        tuner = _tuner(cfg, searcher, out, signals)
        t0 = time.time()
        with signals:
            tuner.fit()
        if signals.received is None:
            searcher.pipeline.retire_if_budget_spent()
        unresolved = tuple(searcher.unresolved())
        if signals.received is not None:
            outcome = Outcome(out=out, interrupted=signals.received, unresolved=unresolved)
        else:
            print(f"search finished in {time.time() - t0:.0f} s", file=sys.stderr)
            outcome = publish(out, cfg, unresolved=unresolved)
        if remote:
            copy_tree(out, remote)
            print(f"results uploaded to {remote}", file=sys.stderr)
        return replace(outcome, out=Path(remote) if remote else out)
    except GpunetRayError:
        if created_out:
            shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        if started:
            ray.shutdown()
