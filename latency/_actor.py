"""The Ray side of :class:`~gpunet_ray.latency.LatencyService`: the actor that owns one timing
device, and the driver's bookkeeping of requests and actor slots."""

from __future__ import annotations

import os
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from typing import Any

import ray

from gpunet_ray.errors import ConfigError, GpunetRayError

from .record import LatencyRecord
from .timing import TimingPolicy

__all__ = ["Request", "Slot", "task_cause", "actor_lost", "actor_options", "kill_actor"]


# The name shows in the worker's process title (ray::_LatencyActor.measure); the cluster tests
# find the actor's process by it.
@ray.remote(max_restarts=0, max_concurrency=1)
class _LatencyActor:
    """Owns one backend instance (one timing device); measures one architecture per call.

    ``backend``: what :func:`~gpunet_ray.latency.backends.backend_ref` gave the driver (a
    built-in or entry-point name, an import path ``module:Class``, or a pickled class): it is
    resolved here exactly as in the driver.
    """

    def __init__(self, backend: Any, threads: int, batch: int, precision: str | None,
                 options: dict, policy: dict | None) -> None:
        from .backends import get_backend

        self.policy = TimingPolicy(**policy) if policy else None
        self.error: GpunetRayError | None = None
        try:  # a failing constructor would hide the error from the driver: keep it for info()
            self.backend = get_backend(backend, threads=threads, batch=batch, precision=precision, **options)
            self.env = self.backend.environment()
        except GpunetRayError as exc:
            self.error = exc

    def info(self) -> dict:
        if self.error is not None:
            raise self.error
        return {"fingerprint": self.env.fingerprint, "environment": asdict(self.env), "pid": os.getpid(),
                "node_id": ray.get_runtime_context().get_node_id()}

    def measure(self, arch_string: str) -> LatencyRecord:
        """Time one architecture. A network above the size limits (the actor's
        :func:`~gpunet_ray.search_space.stats.default_limits`, at the backend's batch) raises
        :class:`~gpunet_ray.errors.TooLarge` before anything is built: the request's future
        fails with it and the actor keeps serving."""
        from gpunet_ray.search_space import ArchSpec
        from gpunet_ray.search_space.stats import check_size

        from gpunet_ray.cluster import gpu_turn

        spec = ArchSpec.from_arch_string(arch_string)
        check_size(spec, batch=self.backend.batch)
        with gpu_turn("latency"):  # a no-op unless one GPU is shared with training (one-box layout)
            return self.backend.measure(spec, self.policy)


@dataclass
class Request:
    """One architecture waiting for (or being measured by) an actor."""

    key: str
    arch: str
    future: Future
    submitted: float
    attempts: int = 0
    started: float | None = None


@dataclass
class Slot:
    """One actor of the pool and the request it is measuring."""

    index: int
    actor: Any
    ready_ref: Any = None
    fingerprint: str | None = None
    info: dict = field(default_factory=dict)
    request: Request | None = None
    ref: Any = None
    dead: bool = False


def task_cause(exc: BaseException) -> BaseException:
    """The user's exception inside a Ray task error (RayTaskError.cause), else ``exc``."""
    cause = getattr(exc, "cause", None)
    return cause if isinstance(cause, BaseException) else exc


def actor_lost(exc: BaseException) -> bool:
    """Whether ``exc`` says the actor died or is unreachable (the request may be retried)."""
    from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError

    return isinstance(exc, (RayActorError, ActorDiedError, ActorUnavailableError))


def actor_options(cls: type, threads: int, num_gpus: float | None, resource: str | None) -> dict[str, Any]:
    """Ray options of one actor: a GPU backend (``cls.requires_gpu``) takes ``num_gpus`` (default 1)
    and one CPU slot, a CPU backend ``threads`` CPU slots; ``resource`` pins it to latency nodes."""
    gpus = num_gpus if num_gpus is not None else (1 if cls.requires_gpu else 0)
    opts: dict[str, Any] = {"num_cpus": 1 if cls.requires_gpu else threads}
    if gpus:
        opts["num_gpus"] = gpus
    if resource is not None:
        if ray.cluster_resources().get(resource, 0) < 1:
            raise ConfigError(
                f"no Ray node provides the resource {resource!r}; start the latency node with "
                f"ray start --resources='{{\"{resource}\": 1}}', or pass resource=None to use CPU slots"
            )
        opts["resources"] = {resource: 1}
    return opts


def kill_actor(actor) -> None:
    """``ray.kill`` without restart; an actor already gone is fine."""
    try:
        ray.kill(actor, no_restart=True)
    except Exception:  # noqa: BLE001 - already gone
        pass
