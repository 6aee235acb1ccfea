"""``onnxruntime-cpu``: the ONNX export timed by an onnxruntime CPU session (the CPU default)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gpunet_ray.errors import BackendUnavailable

from .base import Backend, clock_ns, cpu_name, export_opset, package_version, pick_clock

__all__ = ["OnnxRuntimeCPU"]


class OnnxRuntimeCPU(Backend):
    """onnxruntime ``CPUExecutionProvider``; ``intra_op_num_threads=threads``, one inter-op thread.

    Measured on a 2-core box: 1 thread gives medians within 2 % across processes, 2 threads swing
    by ~80 %; keep the default of 1 unless the box is otherwise idle.
    Options: ``opset`` (ONNX export opset, default ``search_space.builder.ONNX_OPSET``); ``clock``
    (``auto``: the calling thread's CPU clock with one thread, wall clock otherwise; see
    :func:`~gpunet_ray.latency.backends.base.pick_clock`).
    """

    name = "onnxruntime-cpu"

    def _check_available(self) -> None:
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            raise BackendUnavailable(
                "backend onnxruntime-cpu needs onnxruntime: pip install onnxruntime"
            ) from None
        self.opset = export_opset(self)
        self.clock = pick_clock(self)

    def _environment(self):
        return (
            cpu_name(),
            {"onnxruntime": package_version("onnxruntime"), "torch": package_version("torch")},
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
        clock = clock_ns(self.clock)

        def once() -> float:
            t = clock()
            run(None, feed)
            return (clock() - t) / 1e6

        return once
