"""Connecting to Ray: join the cluster named by ``--address`` (or the one running here), else start a
local Ray whose dashboard binds to 127.0.0.1 and whose GPUs are laid out for a search (one box).

One machine with GPUs and no cluster (:func:`gpu_layout`, applied by :func:`connect_search` when it
starts the local Ray): with a GPU latency backend (``torch-cuda``, ``tensorrt``) and N >= 2 GPUs,
``latency.actors`` GPUs (one by default) carry the latency resource (``latency.resource``, default
``latency_gpu``) and are held by the latency actors for the whole search, so Ray never gives them to
a trial; the other GPUs run trials (``train.gpus_per_trial``, 1 when left at 0). With exactly one
GPU, timing and training share it and never overlap: the latency actor takes :func:`gpu_turn` for
each measurement, trials for each step (a writer-preferring pair of file locks: a waiting
measurement goes next). With a CPU latency backend all GPUs run trials.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import tempfile
from dataclasses import dataclass, replace
from typing import Iterator

from .config import SearchConfig
from .errors import ConfigError

__all__ = ["connect_ray", "connect_search", "check_address", "GpuLayout", "gpu_layout", "detect_gpus", "gpu_turn",
           "GPU_LOCK_ENV", "LATENCY_RESOURCE"]

GPU_LOCK_ENV = "GPUNET_RAY_GPU_LOCK"  # the lock file shared by trials and the latency actor on a one-GPU box
LATENCY_RESOURCE = "latency_gpu"  # the custom resource of latency GPUs when the config names none
_EXCLUSIVE_SHARE = 0.5  # one GPU: Ray's bookkeeping share of the latency actor (the lock keeps them apart)


@dataclass(frozen=True)
class GpuLayout:
    """How a local Ray on one machine splits its GPUs between latency timing and trials.

    ``gpus``: GPUs the local Ray advertises. ``resources``: custom resources of the node (the latency
    resource, one unit per latency actor). ``latency_gpus``: GPUs each latency actor asks for (``None``:
    the backend's default). ``trial_gpus``: GPUs each trial asks for. ``exclusive``: one GPU shared by
    timing and training, kept apart by :func:`gpu_turn`. ``note``: one line for the console.
    """

    gpus: int
    resources: dict
    latency_gpus: float | None
    trial_gpus: float
    exclusive: bool = False
    note: str = ""

    def apply(self, cfg: SearchConfig) -> SearchConfig:
        """``cfg`` with the latency resource, the latency actors' and the trials' GPUs of this layout."""
        resource = next(iter(self.resources), cfg.latency.resource)
        lat = replace(cfg.latency, resource=resource, gpus=self.latency_gpus)
        return replace(cfg, latency=lat, train=replace(cfg.train, gpus_per_trial=self.trial_gpus))


def gpu_layout(num_gpus: int, cfg: SearchConfig, latency_on_gpu: bool) -> GpuLayout:
    """The one-box layout for ``num_gpus`` GPUs (pure; see the module docstring).

    latency_on_gpu: whether ``cfg.latency.backend`` times on a GPU (the backend's ``requires_gpu``).
    Raises :class:`ConfigError` when the latency actors would leave no GPU for training.
    """
    lat, tr = cfg.latency, cfg.train
    resource = lat.resource or LATENCY_RESOURCE
    if num_gpus <= 0 or not latency_on_gpu:
        # nothing to keep apart; a named latency resource is offered (CPU slots) so a cluster config runs here
        resources = {lat.resource: lat.actors} if lat.resource else {}
        trial_gpus = tr.gpus_per_trial or (1 if num_gpus > 0 else 0)
        note = f"{num_gpus} GPU(s) for trials, latency timing on the CPU" if num_gpus > 0 else ""
        return GpuLayout(num_gpus, resources, lat.gpus, trial_gpus, note=note)
    if num_gpus == 1:
        trial_gpus = min(tr.gpus_per_trial or 1, 1 - _EXCLUSIVE_SHARE)
        return GpuLayout(1, {resource: 1}, _EXCLUSIVE_SHARE, trial_gpus, exclusive=True,
                         note="1 GPU shared by latency timing and training, never at once (a lock)")
    if lat.actors >= num_gpus:
        raise ConfigError(f"latency.actors {lat.actors} would take all {num_gpus} GPUs of this machine; "
                          f"use at most {num_gpus - 1} so that trials have a GPU")
    trial_gpus = tr.gpus_per_trial or 1
    return GpuLayout(num_gpus, {resource: lat.actors}, 1, trial_gpus,
                     note=f"{lat.actors} GPU(s) for latency timing ({resource}), {num_gpus - lat.actors} for trials")


def detect_gpus(cfg: SearchConfig) -> int:
    """GPUs of this machine: ``cluster.num_gpus`` when set (tests simulate GPUs with it), else CUDA's count."""
    if cfg.cluster.num_gpus is not None:
        return int(cfg.cluster.num_gpus)
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) == "":
        return 0
    try:
        import torch
    except ImportError:
        return 0
    return torch.cuda.device_count()


# -- the one-GPU lock -----------------------------------------------------------------------------
@contextlib.contextmanager
def _flock(path: str, mode: int) -> Iterator[None]:
    """``flock`` on a fresh descriptor (so threads of one process exclude each other too)."""
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)  # releases the lock


@contextlib.contextmanager
def gpu_turn(role: str = "trial", path: str | None = None) -> Iterator[bool]:
    """Hold the GPU for one training step (``role="trial"``) or one measurement (``"latency"``).

    A no-op (yields False) unless ``path`` or the environment variable :data:`GPU_LOCK_ENV` names a
    lock file (set by :func:`connect_search` for a one-GPU box). Trials share the GPU with each other
    and exclude a measurement; a measurement excludes everything, and once one waits, new steps wait
    behind it (a turnstile file ``PATH.next``), so timing is never starved by back-to-back steps.
    The caller makes its GPU work finish (synchronises) before leaving.
    """
    if role not in ("trial", "latency"):
        raise ValueError(f"role must be 'trial' or 'latency', got {role!r}")
    path = path or os.environ.get(GPU_LOCK_ENV)
    if not path:
        yield False
        return
    import fcntl

    if role == "latency":
        with _flock(path + ".next", fcntl.LOCK_EX), _flock(path, fcntl.LOCK_EX):
            yield True
        return
    with _flock(path + ".next", fcntl.LOCK_SH):  # waits while a measurement is queued or running
        pass
    with _flock(path, fcntl.LOCK_SH):
        yield True


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


def check_address(address: str | None) -> None:
    if address in (None, "auto", "local") or address.startswith("ray://"):
        return
    if not _reachable(address):
        raise ConfigError(f"cannot reach a Ray cluster at --address {address!r}; start one with "
                          "'ray start --head' or 'ray up cluster.yaml', or omit --address")


def connect_ray(cfg: SearchConfig, dashboard: bool = True) -> bool:
    """Join ``cfg.cluster.address`` (or a running cluster), else start a local Ray. True if started here."""
    return connect_search(cfg, dashboard)[1]


def connect_search(cfg: SearchConfig, dashboard: bool = True) -> tuple[SearchConfig, bool]:
    """As :func:`connect_ray`, returning ``(cfg, started)``: a local Ray started here lays out this
    machine's GPUs (:func:`gpu_layout`) and ``cfg`` comes back with that layout applied; a cluster's
    own resources are used as they are (``cfg`` unchanged)."""
    import ray

    if ray.is_initialized():
        return cfg, False
    address = cfg.cluster.address
    env = {"OMP_NUM_THREADS": "1"}
    if address in (None, "auto"):
        running = _running_cluster()
        if running is not None:
            ray.init(address=running, runtime_env={"env_vars": env}, log_to_driver=False)
            print(f"joined the running Ray cluster at {running}", file=sys.stderr)
            return cfg, False
        if address == "auto":
            raise ConfigError("no running Ray cluster found for --address auto; start one or omit --address")
    elif address != "local":
        try:
            ray.init(address=address, runtime_env={"env_vars": env}, log_to_driver=False)
            return cfg, False
        except (ConnectionError, RuntimeError) as exc:
            raise ConfigError(f"cannot join the Ray cluster at {address!r}: {str(exc).splitlines()[0]}") from None
    from .latency import backend_class

    layout = gpu_layout(detect_gpus(cfg), cfg, backend_class(cfg.latency.backend).requires_gpu)
    if layout.exclusive:
        env[GPU_LOCK_ENV] = os.path.join(tempfile.gettempdir(), f"gpunet_ray_gpu.{os.getpid()}.lock")
    ctx = ray.init(include_dashboard=dashboard, dashboard_host=cfg.cluster.dashboard_host,
                   num_gpus=layout.gpus, resources=dict(layout.resources) or None,
                   runtime_env={"env_vars": env}, log_to_driver=False, configure_logging=True,
                   logging_level="ERROR")
    if dashboard and getattr(ctx, "dashboard_url", None):
        print(f"Ray dashboard (local only): http://{ctx.dashboard_url}", file=sys.stderr)
    if layout.note:
        print(f"local Ray: {layout.note}", file=sys.stderr)
    return layout.apply(cfg), True
