"""Parse TensorRT ``trtexec`` console output and ``--exportTimes`` JSON (pure Python, no TensorRT).

NVIDIA's GPUNet latency protocol: ``trtexec --onnx=M.onnx --fp16 --workspace=10240`` and report the
median "GPU Compute Time" at batch 1. :func:`parse_trtexec_output` extracts every
``<Metric>: min = .. ms, max = .., mean = .., median = .., percentile(P%) = ..`` line of the
performance summary, plus the TensorRT version and the selected device.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from gpunet_ray.errors import MeasurementError, OutOfMemory

__all__ = ["TrtexecResult", "parse_trtexec_output", "parse_trtexec_times"]


_PREFIX = re.compile(r"^(?:\[[^\]]*\]\s*)*")  # "[11/25/2026-10:12:13] [I] " (any number of [..] tags)
_STAT = re.compile(r"(min|max|mean|median|percentile\((\d+(?:\.\d+)?)%\))\s*=\s*([-+0-9.eE]+)\s*(ms|us|s)\b")
_METRIC = re.compile(r"^([A-Za-z][A-Za-z0-9 \-/]*?):\s*(?=(?:min|mean|median)\s*=)")
_UNIT = {"ms": 1.0, "us": 1e-3, "s": 1e3}


@dataclass(frozen=True)
class TrtexecResult:
    """The performance summary of one trtexec run (all times in ms)."""

    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # "GPU Compute Time" -> {"median": ..}
    trt_version: str | None = None
    device: str | None = None
    throughput_qps: float | None = None
    total_gpu_compute_s: float | None = None
    total_host_walltime_s: float | None = None
    passed: bool | None = None
    warnings: tuple[str, ...] = ()

    @property
    def gpu_compute(self) -> dict[str, float]:
        """Statistics of "GPU Compute Time" (keys ``min max mean median p90 p95 p99`` as present)."""
        return self.metrics.get("GPU Compute Time", {})

    @property
    def n_estimated(self) -> int | None:
        """Timed iterations, from total GPU compute time / mean (trtexec does not print the count)."""
        gc = self.gpu_compute
        if self.total_gpu_compute_s is None or not gc.get("mean"):
            return None
        return max(1, round(self.total_gpu_compute_s * 1e3 / gc["mean"]))


def _strip(line: str) -> str:
    return _PREFIX.sub("", line.strip()).strip()


def _version_from_banner(line: str) -> str | None:
    m = re.search(r"\[TensorRT v(\d+)\]", line)
    if not m:
        return None
    v = m.group(1)  # 100300 -> 10.3.0 ; 8601 -> 8.6.1
    if len(v) >= 6:
        return f"{int(v[:-4])}.{int(v[-4:-2])}.{int(v[-2:])}"
    return f"{int(v[:-3])}.{int(v[-3:-2])}.{int(v[-2:])}" if len(v) == 4 else v


def parse_trtexec_output(text: str) -> TrtexecResult:
    """Parse trtexec's stdout. Raises :class:`MeasurementError` / :class:`OutOfMemory` on a failed run.

    A run counts as failed when it printed ``&&&& FAILED`` or has no "GPU Compute Time" summary.
    """
    if not isinstance(text, str):
        raise MeasurementError("trtexec output must be text")
    metrics: dict[str, dict[str, float]] = {}
    version = device = None
    qps = gpu_total = host_total = None
    passed: bool | None = None
    warnings: list[str] = []
    errors: list[str] = []
    for raw in text.splitlines():
        if raw.startswith("&&&& "):
            if " PASSED " in raw + " ":
                passed = True
            elif " FAILED " in raw + " ":
                passed = False
            version = version or _version_from_banner(raw)
            continue
        tagged_error = "[E]" in raw
        tagged_warn = "[W]" in raw
        line = _strip(raw)
        if not line:
            continue
        if tagged_error:
            errors.append(line)
        m = _METRIC.match(line)
        if m:
            stats: dict[str, float] = {}
            for sm in _STAT.finditer(line):
                key = f"p{sm.group(2)}" if sm.group(2) else sm.group(1)  # percentile(90%) -> p90
                stats[key] = float(sm.group(3)) * _UNIT[sm.group(4)]
            if stats:
                metrics[m.group(1).strip()] = stats
            continue
        if tagged_warn and line.startswith("*"):
            warnings.append(line.lstrip("* ").strip())
        low = line.lower()
        if low.startswith("tensorrt version:"):
            version = line.split(":", 1)[1].strip()
        elif low.startswith("selected device:") or (low.startswith("device:") and device is None):
            device = line.split(":", 1)[1].strip().strip('"')
        elif low.startswith("throughput:"):
            qm = re.search(r"([-+0-9.eE]+)\s*qps", line)
            qps = float(qm.group(1)) if qm else None
        elif low.startswith("total gpu compute time:"):
            gpu_total = _seconds(line)
        elif low.startswith("total host walltime:"):
            host_total = _seconds(line)
    if passed is False or "GPU Compute Time" not in metrics:
        _raise_failure(errors, text)
    return TrtexecResult(
        metrics=metrics, trt_version=version, device=device, throughput_qps=qps,
        total_gpu_compute_s=gpu_total, total_host_walltime_s=host_total, passed=passed, warnings=tuple(warnings),
    )


def _raise_failure(errors: list[str], text: str) -> None:
    """OutOfMemory when the run ran out of GPU memory, else MeasurementError with the last error."""
    blob = " ".join(errors).lower() + " " + text[-2000:].lower()
    last = errors[-1] if errors else "no 'GPU Compute Time' summary in the output"
    if "out of memory" in blob or "outofmemory" in blob.replace(" ", ""):
        raise OutOfMemory(f"trtexec ran out of GPU memory: {last}")
    raise MeasurementError(f"trtexec failed: {last}; rerun it with --verbose to see why")


def _seconds(line: str) -> float | None:
    m = re.search(r":\s*([-+0-9.eE]+)\s*(ms|us|s)\b", line)
    return None if not m else float(m.group(1)) * _UNIT[m.group(2)] / 1e3


def parse_trtexec_times(obj: Any) -> list[float]:
    """Per-iteration GPU compute times (ms) from ``trtexec --exportTimes=FILE`` JSON (text or parsed)."""
    if isinstance(obj, (str, bytes)):
        try:
            obj = json.loads(obj)
        except json.JSONDecodeError as exc:
            raise MeasurementError(f"malformed trtexec --exportTimes JSON: {exc}") from None
    if not isinstance(obj, list):
        raise MeasurementError("trtexec --exportTimes JSON must be a list of per-iteration objects")
    out: list[float] = []
    for i, it in enumerate(obj):
        if not isinstance(it, dict):
            raise MeasurementError(f"trtexec --exportTimes entry {i} is not an object")
        if "computeMs" in it:
            out.append(float(it["computeMs"]))
        elif "startComputeMs" in it and "endComputeMs" in it:
            out.append(float(it["endComputeMs"]) - float(it["startComputeMs"]))
        else:
            raise MeasurementError(f"trtexec --exportTimes entry {i} has no computeMs")
    if not out:
        raise MeasurementError("trtexec --exportTimes JSON holds no iterations")
    return out
