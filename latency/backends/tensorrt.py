"""``tensorrt``: an FP16 TensorRT engine built from the ONNX export; median GPU compute time."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from gpunet_ray.errors import BackendUnavailable, ConfigError, MeasurementError

from ..record import LatencyRecord
from ..timing import TimingPolicy, summarize
from ..trtexec import parse_trtexec_output, parse_trtexec_times
from .base import Backend, cuda_event_timer, export_opset, gpu_driver_version, package_version, require_cuda

__all__ = ["TensorRT", "record_from_trtexec"]

_MODES = ("auto", "python", "trtexec")


def _default_cache_dir() -> Path:
    root = os.environ.get("GPUNET_RAY_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "gpunet_ray")
    return Path(root)


def _has_trt_python(mode: str) -> bool:
    """Whether the TensorRT Python package imports (``mode="python"`` requires it)."""
    if mode not in ("auto", "python"):
        return False
    try:
        import tensorrt  # noqa: F401
    except ImportError:
        if mode == "python":
            raise BackendUnavailable(
                "backend tensorrt (python mode) needs the TensorRT Python package: "
                "pip install tensorrt (or gpunet_ray[trt]) on a machine with an NVIDIA GPU"
            ) from None
        return False
    return True


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
    requires_gpu = True

    def _check_available(self) -> None:
        mode = self.options.get("mode", "auto")
        if mode not in _MODES:
            raise ConfigError(f"tensorrt mode must be auto, python or trtexec, got {mode!r}")
        self.opset = export_opset(self)
        self.workspace_mib = int(self.options.get("workspace_mib", 10240))
        self.trtexec = self.options.get("trtexec") or shutil.which("trtexec")
        if _has_trt_python(mode):
            require_cuda(self.name)
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
                    {"tensorrt": trt.__version__, "cuda": str(torch.version.cuda), "driver": gpu_driver_version(),
                     "torch": torch.__version__},
                    settings)
        probe = self._trtexec_probe()
        return probe.device or "unknown-gpu", {"tensorrt": probe.trt_version or "unknown",
                                               "driver": gpu_driver_version(), "torch": package_version("torch")}, settings

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

    def _export(self, spec, workdir: Path) -> Path:
        from gpunet_ray.search_space import export_onnx

        return export_onnx(spec, workdir / "model.onnx", opset=self.opset, fp16=False, batch_size=self.batch)

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
        onnx_path = self._export(spec, workdir)
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

        runtime, engine = self._build_engine(self._export(spec, workdir))
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
        keep = (runtime, engine, buffers)  # alive as long as the closure

        def launch() -> None:
            _ = keep
            context.execute_async_v3(stream.cuda_stream)

        return cuda_event_timer(launch, stream=stream)

    def measure(self, spec, policy=None):
        if self.mode == "python":
            return super().measure(spec, policy)
        policy = policy or self.policy
        t0 = time.time()
        self._trtexec_probe()
        with tempfile.TemporaryDirectory(prefix="gpunet_trt_") as tmp:
            result, times = self._run_trtexec(spec, Path(tmp), policy=policy)
        return record_from_trtexec(self, spec, result, times, t0)


def _cv_from_warnings(warnings) -> float:
    """trtexec's "GPU compute time is unstable, with coefficient of variance = 7.58229%." as 0.0758."""
    cv = float("nan")
    for w in warnings:
        if "coefficient of variance" in w:
            try:
                cv = float(w.rsplit("=", 1)[1].strip().rstrip(".").rstrip("%")) / 100
            except ValueError:
                pass
    return cv


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
    return backend._record(
        spec, [gc["median"]], "external", t0, median_ms=gc["median"], p90_ms=gc.get("p90", float("nan")),
        iqr_ms=float("nan"), cv=_cv_from_warnings(result.warnings), n=result.n_estimated or 1,
        mean_ms=gc.get("mean", gc["median"]), min_ms=gc.get("min", float("nan")),
    )
