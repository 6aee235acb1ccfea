"""Frozen configuration dataclasses, loaded from YAML (``experiments/``), overridden by CLI flags,
saved resolved next to the results (``OUT/config.yaml``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError

__all__ = ["LatencyConfig", "SearcherConfig", "TrainConfig", "ClusterConfig", "SearchConfig", "load_config"]


@dataclass(frozen=True)
class LatencyConfig:
    """How candidates are timed. ``threads`` is pinned for CPU backends (1 gives stable medians)."""

    backend: str = "onnxruntime-cpu"
    threads: int = 1
    actors: int = 1
    resource: str | None = None  # custom Ray resource the latency actors need, e.g. "latency_gpu"
    gpus: float | None = None  # GPUs per latency actor; None: the backend's (1 for GPU backends, else 0)
    batch: int = 1
    precision: str | None = None  # None: the backend's default (fp16 on GPU backends, fp32 on CPU)
    timeout_s: float = 300.0
    predictor_margin: float = 1.5  # pre-screen: skip measuring if predicted > margin x largest budget
    cache: str | None = None  # None: OUT/latency.sqlite
    # backend options, e.g. {"cuda_graphs": false} for eager torch-cuda timing, {"mode": "trtexec"} for tensorrt
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SearcherConfig:
    name: str = "lamcts"
    seed: int = 0
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainConfig:
    """The proxy training recipe of every trial, and each trial's resources."""

    epochs: int = 1
    batch_size: int = 64
    lr: float | None = None
    optimizer: str = "sgd"
    loader: str = "auto"
    threads: int = 1
    cpus_per_trial: float = 1
    gpus_per_trial: float = 0
    accelerator_type: str | None = None  # e.g. "A100" on GPU clusters
    grace_period: int = 1  # ASHA
    max_failures: int = 1  # Tune retries for infrastructure faults
    recipe: Mapping[str, Any] = field(default_factory=dict)  # any other Recipe field, e.g. limit_train_batches
    limits: Mapping[str, Any] = field(default_factory=dict)  # {max_params, max_activation_gb}: too_large past them
    skip_bad: bool = False  # leave out (and count) bad image files instead of refusing the dataset
    trainable: str | None = None  # "module:function" Tune trainable; None: gpunet_ray.trainables:train_candidate


@dataclass(frozen=True)
class ClusterConfig:
    address: str | None = None  # None: join a running cluster if there is one, else start a local Ray
    dashboard_host: str = "127.0.0.1"
    num_gpus: int | None = None  # GPUs of a local Ray (the one-box layout, cluster.gpu_layout); None: detect


@dataclass(frozen=True)
class SearchConfig:
    budgets_ms: tuple[float, ...] = (0.85,)
    space: str = "tiny"
    data: str | None = None
    out: str = "results/search"
    trials: int = 8  # searched candidates to train; baselines come on top
    time_budget_s: float | None = None
    concurrency: int = 2
    max_candidates: int | None = None  # cap on suggested candidates (rejected included); None: 25 x trials
    baselines: bool = True
    baseline_steps: int = 13  # members of each hand-designed family, smallest to largest
    latency: LatencyConfig = field(default_factory=LatencyConfig)
    searcher: SearcherConfig = field(default_factory=SearcherConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)

    def validate(self) -> "SearchConfig":
        if not self.budgets_ms:
            raise ConfigError("give at least one latency budget (--budget-ms X or --budgets-ms A,B,C)")
        for b in self.budgets_ms:
            if not isinstance(b, (int, float)) or isinstance(b, bool) or not math.isfinite(b) or b <= 0:
                raise ConfigError(f"latency budgets must be positive numbers of milliseconds, got {b!r}")
        if len(set(self.budgets_ms)) != len(self.budgets_ms):
            raise ConfigError(f"latency budgets must be distinct, got {list(self.budgets_ms)}")
        if self.trials is not None and self.trials <= 0:
            raise ConfigError(f"--trials must be positive, got {self.trials}")
        if self.time_budget_s is not None and self.time_budget_s <= 0:
            raise ConfigError(f"--time-budget must be positive, got {self.time_budget_s}")
        if self.concurrency <= 0:
            raise ConfigError(f"--concurrency must be positive, got {self.concurrency}")
        if self.train.epochs <= 0 or self.train.batch_size <= 0:
            raise ConfigError("train.epochs and train.batch_size must be positive")
        if self.latency.threads <= 0 or self.latency.actors <= 0:
            raise ConfigError("latency.threads and latency.actors must be positive")
        g = self.latency.gpus
        if g is not None and (not isinstance(g, (int, float)) or isinstance(g, bool) or not 0 <= g <= 1):
            raise ConfigError(f"latency.gpus must be a number of GPUs between 0 and 1 per actor, got {g!r}")
        n = self.cluster.num_gpus
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
            raise ConfigError(f"cluster.num_gpus must be a non-negative integer, got {n!r}")
        if not isinstance(self.latency.options, Mapping):
            raise ConfigError("latency.options must be a mapping of backend options, e.g. {cuda_graphs: false}")
        from .search_space.stats import Limits

        Limits.from_any(dict(self.train.limits) if isinstance(self.train.limits, Mapping) else self.train.limits)
        if self.train.trainable is not None and ":" not in str(self.train.trainable):
            raise ConfigError(f"train.trainable must be 'module:function', got {self.train.trainable!r}")
        return self

    @property
    def budgets(self) -> tuple[float, ...]:
        return tuple(sorted(self.budgets_ms))

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["budgets_ms"] = list(self.budgets_ms)
        d["searcher"]["options"] = dict(self.searcher.options)
        d["latency"]["options"] = dict(self.latency.options)
        d["train"]["recipe"] = dict(self.train.recipe)
        d["train"]["limits"] = dict(self.train.limits)
        return d

    def dump_yaml(self, path: str | Path) -> None:
        import yaml

        Path(path).write_text(yaml.safe_dump(self.to_dict(), sort_keys=False))


_SECTIONS = {"latency": LatencyConfig, "searcher": SearcherConfig, "train": TrainConfig, "cluster": ClusterConfig}


def _build(cls, d: Mapping[str, Any], where: str):
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r} in {where}; known keys: {', '.join(sorted(known))}")
    kw = {}
    for k, v in d.items():
        if k in _SECTIONS and cls is SearchConfig:
            if not isinstance(v, Mapping):
                raise ConfigError(f"{where}.{k} must be a mapping")
            v = _build(_SECTIONS[k], v, f"{where}.{k}")
        elif k == "budgets_ms":
            v = tuple(v) if isinstance(v, (list, tuple)) else (v,)
        kw[k] = v
    return cls(**kw)


def from_dict(d: Mapping[str, Any], where: str = "config") -> SearchConfig:
    return _build(SearchConfig, d, where)


def load_config(path: str | Path | None, overrides: Mapping[str, Any] | None = None) -> SearchConfig:
    """YAML file (optional) + dotted overrides (``{"train.epochs": 2, "budgets_ms": (0.5,)}``)."""
    import yaml

    base: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file {str(p)!r} does not exist")
        try:
            loaded = yaml.safe_load(p.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{str(p)!r} is not valid YAML: {str(exc).splitlines()[0]}") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"{str(p)!r} must hold a mapping of settings")
        base = loaded
    cfg = from_dict(base, where=str(path) if path else "config")
    for key, val in (overrides or {}).items():
        if val is None:
            continue
        head, _, tail = key.partition(".")
        if tail:
            cfg = replace(cfg, **{head: replace(getattr(cfg, head), **{tail: val})})
        else:
            cfg = replace(cfg, **{head: val})
    return cfg.validate()
