"""The :class:`Backend` base class and the helpers the built-in backends share.

A backend is one way of timing a network. A subclass sets ``name`` (the label stored in every
record) and implements :meth:`Backend._prepare` (load the network, return a function that runs it
once) and :meth:`Backend._environment` (device, versions, settings: what goes into the
fingerprint); :meth:`Backend._check_available` raises
:class:`~gpunet_ray.errors.BackendUnavailable` when a dependency or device is missing. Nothing
heavy is imported at module import time.
"""

from __future__ import annotations

import functools
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from gpunet_ray.errors import BackendUnavailable, ConfigError

from ..record import Environment, LatencyRecord
from ..timing import TimingPolicy, summarize, time_adaptive

__all__ = ["Backend", "CLOCKS", "cpu_name", "export_opset", "pick_clock", "clock_ns", "package_version",
           "import_torch", "require_cuda", "gpu_driver_version", "cuda_event_timer"]

CLOCKS = ("auto", "thread", "wall")


class Backend:
    """One way of timing a network. Subclasses implement :meth:`_prepare` (and :meth:`_environment`).

    ``threads``: intra-op CPU threads (CPU backends); ``batch``: batch size of the timed input;
    ``precision``: ``"fp32"`` or ``"fp16"`` (backend default when ``None``); ``policy``: the
    default :class:`TimingPolicy`. Extra keyword ``options`` are backend specific.

    Class attributes: ``name`` (stored in records), ``precisions`` (the first is the default),
    ``uses_threads`` (False: ``threads`` is recorded as 0), ``requires_gpu`` (True: a
    :class:`~gpunet_ray.latency.LatencyService` actor takes one GPU and one CPU slot).
    """

    name = "backend"
    precisions: tuple[str, ...] = ("fp32",)
    uses_threads = True
    requires_gpu = False

    def __init__(self, threads: int = 1, batch: int = 1, precision: str | None = None,
                 policy: TimingPolicy | None = None, **options: Any) -> None:
        if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
            raise ConfigError(f"threads must be a positive integer, got {threads!r}")
        if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
            raise ConfigError(f"batch must be a positive integer, got {batch!r}")
        precision = precision or self.precisions[0]
        if precision not in self.precisions:
            raise ConfigError(
                f"backend {self.name!r} supports precision {', '.join(self.precisions)}, not {precision!r}"
            )
        self.threads = threads if self.uses_threads else 0
        self.batch = batch
        self.precision = precision
        self.policy = policy or TimingPolicy()
        self.options = options
        self._check_available()
        self._env: Environment | None = None

    # -- to override -------------------------------------------------------------------------------
    def _check_available(self) -> None:
        """Raise BackendUnavailable (with what to install) if a dependency or device is missing."""

    def _environment(self) -> tuple[str, dict, dict]:
        """``(device, versions, settings)``."""
        raise NotImplementedError

    def _prepare(self, spec, workdir: Path) -> Callable[[], float]:
        """Load ``spec``; return a function that runs it once and returns the elapsed milliseconds."""
        raise NotImplementedError

    # -- public ------------------------------------------------------------------------------------
    def environment(self) -> Environment:
        """Everything but the architecture that can change the number (computed once)."""
        if self._env is None:
            device, versions, settings = self._environment()
            self._env = Environment(
                backend=self.name, device=device, versions=versions, precision=self.precision,
                batch=self.batch, threads=self.threads, settings=settings,
            )
        return self._env

    @property
    def fingerprint(self) -> str:
        return self.environment().fingerprint

    def measure(self, spec, policy: TimingPolicy | None = None) -> LatencyRecord:
        """Warm up and time ``spec`` until the median is stable (see :class:`TimingPolicy`)."""
        policy = policy or self.policy
        t0 = time.time()
        with tempfile.TemporaryDirectory(prefix="gpunet_lat_") as tmp:
            run_once = self._prepare(spec, Path(tmp))
            samples, stop = self._time(run_once, policy)
        return self._record(spec, samples, stop, t0)

    def _time(self, run_once: Callable[[], float], policy: TimingPolicy) -> tuple[list[float], str]:
        return time_adaptive(run_once, policy)

    def _record(self, spec, samples, stop: str, t0: float, **override) -> LatencyRecord:
        s = summarize(samples)
        env = self.environment()
        kw = dict(
            median_ms=s.median_ms, p90_ms=s.p90_ms, iqr_ms=s.iqr_ms, cv=s.cv, n=s.n, mean_ms=s.mean_ms,
            min_ms=s.min_ms, backend=env.backend, device=env.device, versions=env.versions,
            precision=env.precision, batch=env.batch, resolution=spec.resolution, threads=env.threads,
            settings=env.settings, arch_hash=spec.hash, stop=stop, wall_s=time.time() - t0, measured_at=t0,
        )
        kw.update(override)
        return LatencyRecord(**kw)

    def close(self) -> None:
        """Release device resources (engines, sessions)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(threads={self.threads}, batch={self.batch}, precision={self.precision!r})"


# -- shared helpers ---------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def cpu_name() -> str:
    """The CPU model string (``/proc/cpuinfo`` "model name"), falling back to ``platform``."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown-cpu"


def package_version(dist: str) -> str:
    """The installed version of distribution ``dist``, or ``"absent"``."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "absent"


def export_opset(backend: Backend) -> int:
    """The ONNX export opset: option ``opset``, else the builder's ``ONNX_OPSET``.

    Imported here, not at module import: the builder imports torch.
    """
    if "opset" in backend.options:
        return int(backend.options["opset"])
    from gpunet_ray.search_space.builder import ONNX_OPSET

    return ONNX_OPSET


def pick_clock(backend: Backend) -> str:
    """``thread`` (CPU time of the calling thread) for single-threaded CPU timing, else ``wall``.

    With one intra-op thread, onnxruntime and torch run the whole graph on the calling thread,
    so its CPU time equals the wall latency on an idle core but ignores the time the OS gives to
    other processes: on a shared 2-core box (load 3) the wall-clock median of a 2.7 ms model read
    6.5 ms while the thread clock read 2.6 ms.
    """
    clock = backend.options.get("clock", "auto")
    if clock not in CLOCKS:
        raise ConfigError(f"clock must be one of {', '.join(CLOCKS)}, got {clock!r}")
    if clock == "auto":
        clock = "thread" if backend.threads == 1 else "wall"
    if clock == "thread" and backend.threads != 1:
        raise ConfigError("clock='thread' needs threads=1 (worker threads' time would be missed); use clock='wall'")
    return clock


def clock_ns(clock: str) -> Callable[[], int]:
    """The nanosecond clock named by :func:`pick_clock`."""
    return time.thread_time_ns if clock == "thread" else time.perf_counter_ns


def import_torch(backend: str):
    """``torch``, or :class:`BackendUnavailable` naming ``backend``."""
    try:
        import torch
    except ImportError:
        raise BackendUnavailable(f"backend {backend} needs PyTorch: pip install torch") from None
    return torch


def require_cuda(backend: str):
    """``torch`` with a visible CUDA device, or :class:`BackendUnavailable` naming ``backend``."""
    torch = import_torch(backend)
    if not torch.cuda.is_available():
        raise BackendUnavailable(
            f"backend {backend} needs an NVIDIA GPU and a CUDA build of torch; this machine has none "
            f"(torch {torch.__version__}, CUDA {torch.version.cuda}); use --backend onnxruntime-cpu"
        )
    return torch


def gpu_driver_version() -> str:
    """The NVIDIA driver version (pynvml, else ``nvidia-smi``), or ``"unknown"``."""
    try:
        import pynvml  # type: ignore

        pynvml.nvmlInit()
        v = pynvml.nvmlSystemGetDriverVersion()
        return v.decode() if isinstance(v, bytes) else str(v)
    except Exception:  # noqa: BLE001 - optional, best effort
        pass
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            out = subprocess.run([smi, "--query-gpu=driver_version", "--format=csv,noheader"],
                                 capture_output=True, text=True, timeout=10)
            if out.returncode == 0 and out.stdout.strip():
                return out.stdout.strip().splitlines()[0]
        except (OSError, subprocess.SubprocessError):
            pass
    return "unknown"


def cuda_event_timer(launch: Callable[[], Any], stream=None, mode: Callable[[], Any] | None = None
                     ) -> Callable[[], float]:
    """A ``run_once`` that times ``launch()`` between two CUDA events (GPU milliseconds).

    ``stream``: where the events are recorded (``None``: the current stream); ``mode``: a context
    manager entered before the start event and left after the end event (e.g.
    ``torch.inference_mode``), so entering it is not timed.
    """
    import contextlib

    import torch

    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    mode = mode or contextlib.nullcontext

    def once() -> float:
        with mode():
            start.record(stream)
            launch()
            end.record(stream)
        end.synchronize()
        return float(start.elapsed_time(end))

    return once
