"""Latency backends behind one interface, found by name with :func:`get_backend`.

=================  =========================================================================
``onnxruntime-cpu``  ONNX export -> onnxruntime CPU session; fixed intra-op threads (default 1),
                     sequential execution, full graph optimisation. The CPU default.
``torch-cpu``        eager PyTorch on CPU, ``torch.set_num_threads(threads)`` while timing.
``torch-cuda``       PyTorch on CUDA, FP16 by default, CUDA-event timing of a CUDA-graph replay
                     (``cuda_graphs=False`` times eager execution, which is launch-bound at batch 1).
``tensorrt``         FP16 TensorRT engine built from the ONNX export (Python API with a persisted
                     builder timing cache, CUDA-event timing), or ``trtexec`` output where only the
                     command-line tool exists. Reports the median GPU compute time (NVIDIA's
                     protocol for GPUNet's published figures).
``synthetic``        deterministic latency computed from MACs and memory traffic, no dependencies;
                     for tests and demos of the search pipeline only, never for real numbers.
=================  =========================================================================

Nothing heavy is imported at module import time; a backend whose dependency or device is missing
raises :class:`~gpunet_ray.errors.BackendUnavailable` (saying what to install) when constructed.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from gpunet_ray.errors import BackendUnavailable, ConfigError, OutOfMemory

from ._stats import TimingPolicy, summarize, time_adaptive
from ._trtexec import MeasurementError, parse_trtexec_output, parse_trtexec_times
from .record import Environment, LatencyRecord

__all__ = [
    "Backend",
    "OnnxRuntimeCPU",
    "TorchCPU",
    "TorchCUDA",
    "TensorRT",
    "Synthetic",
    "get_backend",
    "list_backends",
    "register_backend",
    "cpu_name",
    "DEFAULT_BACKEND",
]

DEFAULT_BACKEND = "onnxruntime-cpu"
ONNX_OPSET = 17


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


_CLOCKS = ("auto", "thread", "wall")


def _pick_clock(backend: "Backend") -> str:
    """``thread`` (CPU time of the calling thread) for single-threaded CPU timing, else ``wall``.

    With one intra-op thread, onnxruntime and torch run the whole graph on the calling thread,
    so its CPU time equals the wall latency on an idle core but ignores the time the OS gives to
    other processes: on a shared 2-core box (load 3) the wall-clock median of a 2.7 ms model read
    6.5 ms while the thread clock read 2.6 ms.
    """
    clock = backend.options.get("clock", "auto")
    if clock not in _CLOCKS:
        raise ConfigError(f"clock must be one of {', '.join(_CLOCKS)}, got {clock!r}")
    if clock == "auto":
        clock = "thread" if backend.threads == 1 else "wall"
    if clock == "thread" and backend.threads != 1:
        raise ConfigError("clock='thread' needs threads=1 (worker threads' time would be missed); use clock='wall'")
    return clock


def _clock_ns(clock: str):
    return time.thread_time_ns if clock == "thread" else time.perf_counter_ns


def _version(mod: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(mod)
    except PackageNotFoundError:
        return "absent"


class Backend:
    """One way of timing a network. Subclasses implement :meth:`_prepare` (and :meth:`_environment`).

    ``threads``: intra-op CPU threads (CPU backends); ``batch``: batch size of the timed input;
    ``precision``: ``"fp32"`` or ``"fp16"`` (backend default when ``None``); ``policy``: the
    default :class:`TimingPolicy`. Extra keyword ``options`` are backend specific.
    """

    name = "backend"
    precisions: tuple[str, ...] = ("fp32",)
    uses_threads = True

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


# -- onnxruntime ------------------------------------------------------------------------------------
class OnnxRuntimeCPU(Backend):
    """onnxruntime ``CPUExecutionProvider``; ``intra_op_num_threads=threads``, one inter-op thread.

    Measured on a 2-core box: 1 thread gives medians within 2 % across processes, 2 threads swing
    by ~80 %; keep the default of 1 unless the box is otherwise idle.
    Options: ``opset`` (ONNX export opset, default 17); ``clock`` (``auto``: the calling thread's
    CPU clock with one thread, wall clock otherwise; see :func:`_pick_clock`).
    """

    name = "onnxruntime-cpu"

    def _check_available(self) -> None:
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            raise BackendUnavailable(
                "backend onnxruntime-cpu needs onnxruntime: pip install onnxruntime"
            ) from None
        self.opset = int(self.options.get("opset", ONNX_OPSET))
        self.clock = _pick_clock(self)

    def _environment(self):
        return (
            cpu_name(),
            {"onnxruntime": _version("onnxruntime"), "torch": _version("torch")},
            {"opset": self.opset, "graph_opt": "all", "execution": "sequential", "inter_op": 1,
             "clock": self.clock},
        )

    def session(self, onnx_path: str | Path):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = self.threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.log_severity_level = 3
        return ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])

    def _prepare(self, spec, workdir: Path):
        from gpunet_ray.search_space import export_onnx

        path = export_onnx(spec, workdir / "model.onnx", opset=self.opset, batch_size=self.batch)
        sess = self.session(path)
        name = sess.get_inputs()[0].name
        rng = np.random.default_rng(0)
        x = rng.standard_normal((self.batch, spec.in_chs, spec.resolution, spec.resolution), dtype=np.float32)
        feed = {name: x}
        run = sess.run
        clock = _clock_ns(self.clock)

        def once() -> float:
            t = clock()
            run(None, feed)
            return (clock() - t) / 1e6

        return once


# -- torch ------------------------------------------------------------------------------------------
def _import_torch(backend: str):
    try:
        import torch
    except ImportError:
        raise BackendUnavailable(f"backend {backend} needs PyTorch: pip install torch") from None
    return torch


class TorchCPU(Backend):
    """Eager PyTorch on CPU under ``torch.inference_mode``; ``torch.set_num_threads(threads)``.

    Option ``clock`` as for :class:`OnnxRuntimeCPU`.
    """

    name = "torch-cpu"

    def _check_available(self) -> None:
        _import_torch(self.name)
        self.clock = _pick_clock(self)

    def _environment(self):
        return cpu_name(), {"torch": _version("torch")}, {"mode": "eager", "clock": self.clock}

    def measure(self, spec, policy=None):
        import torch

        old = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            return super().measure(spec, policy)
        finally:
            torch.set_num_threads(old)

    def _prepare(self, spec, workdir):
        import torch

        from gpunet_ray.search_space import build_model

        model = build_model(spec).eval()
        g = torch.Generator().manual_seed(0)
        x = torch.randn(self.batch, spec.in_chs, spec.resolution, spec.resolution, generator=g)
        clock = _clock_ns(self.clock)

        def once() -> float:
            with torch.inference_mode():
                t = clock()
                model(x)
                return (clock() - t) / 1e6

        return once


def _gpu_driver_version() -> str:
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


def _require_cuda(backend: str):
    torch = _import_torch(backend)
    if not torch.cuda.is_available():
        raise BackendUnavailable(
            f"backend {backend} needs an NVIDIA GPU and a CUDA build of torch; this machine has none "
            f"(torch {torch.__version__}, CUDA {torch.version.cuda}); use --backend onnxruntime-cpu"
        )
    return torch


class TorchCUDA(Backend):
    """PyTorch on ``cuda:{device}``; FP16 by default, channels-last, CUDA-event timing.

    Options: ``device`` (index, default 0), ``cuda_graphs`` (capture one forward as a CUDA graph
    and time its replay, default True). At batch 1 eager execution is bound by kernel launches
    on the host (GPUNet-0 on an H200: 2.3 ms eager, p90 4.0 ms, vs 0.50 ms replayed, p90 0.50 ms),
    so the default times the GPU's work, as TensorRT's GPU compute time does; the setting is part
    of the fingerprint, so eager and graph records never mix in a cache.
    """

    name = "torch-cuda"
    precisions = ("fp16", "fp32")
    uses_threads = False

    def _check_available(self) -> None:
        torch = _require_cuda(self.name)
        self.device_index = int(self.options.get("device", 0))
        if not 0 <= self.device_index < torch.cuda.device_count():
            raise ConfigError(f"CUDA device {self.device_index} does not exist ({torch.cuda.device_count()} visible)")
        self.cuda_graphs = bool(self.options.get("cuda_graphs", True))

    def _environment(self):
        import torch

        return (
            torch.cuda.get_device_name(self.device_index),
            {"torch": torch.__version__, "cuda": str(torch.version.cuda),
             "cudnn": str(torch.backends.cudnn.version()), "driver": _gpu_driver_version()},
            {"cuda_graphs": int(self.cuda_graphs), "memory_format": "channels_last"},
        )

    def _prepare(self, spec, workdir):
        import torch

        from gpunet_ray.search_space import build_model

        dev = torch.device("cuda", self.device_index)
        dtype = torch.float16 if self.precision == "fp16" else torch.float32
        torch.backends.cudnn.benchmark = True
        try:
            model = build_model(spec).eval().to(dev, dtype).to(memory_format=torch.channels_last)
            x = torch.randn(self.batch, spec.in_chs, spec.resolution, spec.resolution, device=dev, dtype=dtype)
            x = x.contiguous(memory_format=torch.channels_last)
            with torch.inference_mode():
                for _ in range(3):
                    model(x)
            torch.cuda.synchronize(dev)
            graph = None
            if self.cuda_graphs:
                graph = torch.cuda.CUDAGraph()
                with torch.inference_mode(), torch.cuda.graph(graph):
                    model(x)
        except torch.cuda.OutOfMemoryError as exc:
            raise OutOfMemory(f"torch-cuda: out of GPU memory while loading the model: {exc}") from None
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)

        def once() -> float:
            with torch.inference_mode():
                start.record()
                if graph is not None:
                    graph.replay()
                else:
                    model(x)
                end.record()
            end.synchronize()
            return float(start.elapsed_time(end))

        return once


# -- TensorRT ---------------------------------------------------------------------------------------
def _default_cache_dir() -> Path:
    root = os.environ.get("GPUNET_RAY_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "gpunet_ray")
    return Path(root)


class TensorRT(Backend):
    """FP16 TensorRT engine from the ONNX export; median GPU compute time.

    Modes (option ``mode``): ``"python"`` (TensorRT Python API + torch CUDA buffers, persisted
    builder timing cache, CUDA-event timing), ``"trtexec"`` (run ``trtexec`` and parse its summary
    and ``--exportTimes`` JSON), or ``"auto"`` (python when ``tensorrt`` imports, else trtexec).
    Options: ``workspace_mib`` (10240, as in NVIDIA's protocol), ``timing_cache`` (a file path),
    ``trtexec`` (the executable), ``trtexec_args`` (extra flags), ``opset`` (ONNX export opset).
    """

    name = "tensorrt"
    precisions = ("fp16", "fp32")
    uses_threads = False

    def _check_available(self) -> None:
        mode = self.options.get("mode", "auto")
        if mode not in ("auto", "python", "trtexec"):
            raise ConfigError(f"tensorrt mode must be auto, python or trtexec, got {mode!r}")
        self.opset = int(self.options.get("opset", ONNX_OPSET))
        self.workspace_mib = int(self.options.get("workspace_mib", 10240))
        self.trtexec = self.options.get("trtexec") or shutil.which("trtexec")
        has_py = False
        if mode in ("auto", "python"):
            try:
                import tensorrt  # noqa: F401

                has_py = True
            except ImportError:
                if mode == "python":
                    raise BackendUnavailable(
                        "backend tensorrt (python mode) needs the TensorRT Python package: "
                        "pip install tensorrt (or gpunet_ray[trt]) on a machine with an NVIDIA GPU"
                    ) from None
        if has_py:
            _require_cuda(self.name)
            self.mode = "python"
        elif self.trtexec:
            self.mode = "trtexec"
        else:
            raise BackendUnavailable(
                "backend tensorrt needs the TensorRT Python package (pip install tensorrt, or gpunet_ray[trt]) "
                "or the trtexec tool on PATH, and an NVIDIA GPU; use --backend onnxruntime-cpu on CPU"
            )
        tc = self.options.get("timing_cache")
        self.timing_cache = Path(tc) if tc else None

    # environment --------------------------------------------------------------------------------
    def _environment(self):
        settings = {"mode": self.mode, "workspace_mib": self.workspace_mib, "opset": self.opset,
                    "metric": "gpu_compute_median"}
        if self.mode == "python":
            import tensorrt as trt
            import torch

            return (torch.cuda.get_device_name(0),
                    {"tensorrt": trt.__version__, "cuda": str(torch.version.cuda), "driver": _gpu_driver_version(),
                     "torch": torch.__version__},
                    settings)
        probe = self._trtexec_probe()
        return probe.device or "unknown-gpu", {"tensorrt": probe.trt_version or "unknown",
                                               "driver": _gpu_driver_version(), "torch": _version("torch")}, settings

    def _trtexec_probe(self):
        """Device and version come from the first real run; before it, a tiny identity model run."""
        if getattr(self, "_probe", None) is None:
            from gpunet_ray.search_space import ArchSpec

            tiny = ArchSpec.from_arch_string("r32i3:H_o8|T_o8_n2")
            with tempfile.TemporaryDirectory(prefix="gpunet_trt_") as tmp:
                self._probe = self._run_trtexec(tiny, Path(tmp), probe=True)[0]
        return self._probe

    def _timing_cache_path(self, device: str, version: str) -> Path:
        if self.timing_cache:
            return self.timing_cache
        tag = hashlib.sha1(f"{device}|{version}|{self.precision}".encode()).hexdigest()[:10]
        return _default_cache_dir() / f"trt_timing_{tag}.cache"

    # trtexec ------------------------------------------------------------------------------------
    def trtexec_command(self, onnx_path: Path, times_path: Path, timing_cache: Path | None,
                        policy: TimingPolicy | None = None) -> list[str]:
        """The trtexec command line (NVIDIA's GPUNet protocol plus timing cache and per-run times)."""
        cmd = [str(self.trtexec), f"--onnx={onnx_path}", f"--memPoolSize=workspace:{self.workspace_mib}",
               f"--exportTimes={times_path}", "--useSpinWait"]
        if self.precision == "fp16":
            cmd.append("--fp16")
        if timing_cache is not None:
            cmd.append(f"--timingCacheFile={timing_cache}")
        if policy is not None:
            cmd.append(f"--duration={max(1, int(round(min(policy.time_cap_s, 10))))}")
        cmd += list(self.options.get("trtexec_args", ()))
        return cmd

    def _run_trtexec(self, spec, workdir: Path, probe: bool = False, policy: TimingPolicy | None = None):
        from gpunet_ray.search_space import export_onnx

        onnx_path = export_onnx(spec, workdir / "model.onnx", opset=self.opset, fp16=False, batch_size=self.batch)
        times_path = workdir / "times.json"
        tc = None if probe else self._timing_cache_path(self._probe.device or "gpu", self._probe.trt_version or "")
        if tc is not None:
            tc.parent.mkdir(parents=True, exist_ok=True)
        cmd = self.trtexec_command(onnx_path, times_path, tc, None if probe else policy)
        if probe:
            cmd.append("--duration=0")
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise MeasurementError(f"could not run trtexec ({cmd[0]}): {exc}") from None
        result = parse_trtexec_output(proc.stdout + "\n" + proc.stderr)
        times = parse_trtexec_times(times_path.read_text()) if times_path.exists() else None
        return result, times

    # python API ---------------------------------------------------------------------------------
    def _build_engine(self, onnx_path: Path):
        import tensorrt as trt
        import torch

        logger = trt.Logger(trt.Logger.ERROR)
        builder = trt.Builder(logger)
        flags = 0
        if hasattr(trt.NetworkDefinitionCreationFlag, "EXPLICIT_BATCH") and int(trt.__version__.split(".")[0]) < 10:
            flags = 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
        network = builder.create_network(flags)
        parser = trt.OnnxParser(network, logger)
        if not parser.parse(onnx_path.read_bytes()):
            errs = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
            raise MeasurementError(f"TensorRT could not parse the ONNX export: {errs}")
        config = builder.create_builder_config()
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, self.workspace_mib << 20)
        if self.precision == "fp16":
            config.set_flag(trt.BuilderFlag.FP16)
        cache_path = self._timing_cache_path(torch.cuda.get_device_name(0), trt.__version__)
        blob = cache_path.read_bytes() if cache_path.is_file() else b""
        cache = config.create_timing_cache(blob)
        config.set_timing_cache(cache, ignore_mismatch=False)
        plan = builder.build_serialized_network(network, config)
        if plan is None:
            raise MeasurementError("TensorRT failed to build an engine from the ONNX export")
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_path.with_name(cache_path.name + f".{os.getpid()}.part")
        tmp.write_bytes(bytes(config.get_timing_cache().serialize()))
        tmp.replace(cache_path)
        runtime = trt.Runtime(logger)
        return runtime, runtime.deserialize_cuda_engine(plan)

    def _prepare(self, spec, workdir):
        import tensorrt as trt
        import torch

        from gpunet_ray.search_space import export_onnx

        onnx_path = export_onnx(spec, workdir / "model.onnx", opset=self.opset, batch_size=self.batch)
        runtime, engine = self._build_engine(onnx_path)
        context = engine.create_execution_context()
        buffers = []
        for i in range(engine.num_io_tensors):
            name = engine.get_tensor_name(i)
            shape = tuple(engine.get_tensor_shape(name))
            dtype = torch.from_numpy(np.empty(0, dtype=trt.nptype(engine.get_tensor_dtype(name)))).dtype
            buf = torch.randn(shape, dtype=torch.float32, device="cuda").to(dtype)
            buffers.append(buf)
            context.set_tensor_address(name, buf.data_ptr())
        stream = torch.cuda.Stream()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        keep = (runtime, engine, buffers)  # keep alive for the closure

        def once() -> float:
            _ = keep
            start.record(stream)
            context.execute_async_v3(stream.cuda_stream)
            end.record(stream)
            end.synchronize()
            return float(start.elapsed_time(end))

        return once

    def measure(self, spec, policy=None):
        if self.mode == "python":
            return super().measure(spec, policy)
        policy = policy or self.policy
        t0 = time.time()
        self._trtexec_probe()
        with tempfile.TemporaryDirectory(prefix="gpunet_trt_") as tmp:
            result, times = self._run_trtexec(spec, Path(tmp), policy=policy)
        return record_from_trtexec(self, spec, result, times, t0)


def record_from_trtexec(backend: Backend, spec, result, times: list[float] | None, t0: float) -> LatencyRecord:
    """A :class:`LatencyRecord` from a parsed trtexec run (per-run ``times`` when exported).

    Median and p90 come from trtexec's own "GPU Compute Time" summary; IQR, CV and ``n`` from the
    per-iteration times when available (IQR NaN and CV from the summary otherwise).
    """
    gc = result.gpu_compute
    if times:
        s = summarize(times)
        return backend._record(spec, times, "external", t0, median_ms=gc.get("median", s.median_ms),
                               p90_ms=gc.get("p90", s.p90_ms))
    mean = gc.get("mean", gc["median"])
    n = result.n_estimated or 1
    cv = float("nan")
    for w in result.warnings:  # "GPU compute time is unstable, with coefficient of variance = 7.58229%."
        if "coefficient of variance" in w:
            try:
                cv = float(w.rsplit("=", 1)[1].strip().rstrip(".").rstrip("%")) / 100
            except ValueError:
                pass
    return backend._record(
        spec, [gc["median"]], "external", t0, median_ms=gc["median"], p90_ms=gc.get("p90", float("nan")),
        iqr_ms=float("nan"), cv=cv, n=n, mean_ms=mean, min_ms=gc.get("min", float("nan")),
    )


# -- synthetic --------------------------------------------------------------------------------------
class Synthetic(Backend):
    """Deterministic fake latency from :func:`arch_stats` (tests and demos; not a real measurement).

    ``latency_ms = base_ms + macs * ms_per_gmac / 1e9 + activations * ms_per_mact / 1e6 + layers * ms_per_layer``
    with ~1 % seeded log-normal run-to-run noise. Options: ``delay_s`` (sleep per measurement, to
    simulate the cost of timing), ``fail_on`` (arch hashes that raise MeasurementError), and the
    coefficients above.
    """

    name = "synthetic"

    def _environment(self):
        from gpunet_ray import __version__

        coeff = {k: self.options.get(k, d) for k, d in self._COEFF.items()}
        return "synthetic", {"gpunet_ray": __version__}, coeff

    _COEFF = {"base_ms": 0.05, "ms_per_gmac": 4.0, "ms_per_mact": 0.4, "ms_per_layer": 0.01}

    def expected_ms(self, spec) -> float:
        from gpunet_ray.search_space.stats import arch_stats

        st = arch_stats(spec)
        c = {k: float(self.options.get(k, d)) for k, d in self._COEFF.items()}
        return (c["base_ms"] + st.macs * c["ms_per_gmac"] / 1e9 + st.activations * c["ms_per_mact"] / 1e6
                + len(spec.layers) * c["ms_per_layer"]) * self.batch

    def measure(self, spec, policy=None):
        policy = policy or self.policy
        t0 = time.time()
        if spec.hash in set(self.options.get("fail_on", ())):
            raise MeasurementError(f"synthetic failure for {spec.hash}")
        delay = float(self.options.get("delay_s", 0.0))
        if delay > 0:
            time.sleep(delay)
        mu = self.expected_ms(spec)
        seed = int(spec.hash, 16) % (2**32)
        n = policy.repeats or policy.min_repeats
        samples = mu * np.exp(np.random.default_rng(seed).normal(0.0, 0.01, size=n))
        return self._record(spec, samples.tolist(), "fixed" if policy.repeats else "stable", t0)


# -- registry ---------------------------------------------------------------------------------------
_REGISTRY: dict[str, type[Backend]] = {
    "onnxruntime-cpu": OnnxRuntimeCPU,
    "torch-cpu": TorchCPU,
    "torch-cuda": TorchCUDA,
    "tensorrt": TensorRT,
    "synthetic": Synthetic,
}


def register_backend(name: str, cls: type[Backend]) -> None:
    """Make ``cls`` available as ``get_backend(name)`` (in this process)."""
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise ConfigError(f"a backend must subclass latency.Backend, got {cls!r}")
    _REGISTRY[name] = cls


def list_backends() -> list[str]:
    return sorted(_REGISTRY)


def get_backend(name: str = DEFAULT_BACKEND, **kwargs: Any) -> Backend:
    """A ready backend instance by name.

    Raises :class:`ConfigError` for an unknown name and :class:`BackendUnavailable` when the
    backend's dependency or device is missing (the message says what to install).
    """
    if isinstance(name, Backend):
        return name
    cls = _REGISTRY.get(name)
    if cls is None:
        raise ConfigError(f"unknown latency backend {name!r}; use one of {', '.join(list_backends())}")
    return cls(**kwargs)
