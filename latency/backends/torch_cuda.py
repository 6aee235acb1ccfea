"""``torch-cuda``: PyTorch on a CUDA GPU, FP16, CUDA-event timing of a CUDA-graph replay."""

from __future__ import annotations

import functools

from gpunet_ray.errors import ConfigError, OutOfMemory

from .base import Backend, cuda_event_timer, gpu_driver_version, require_cuda

__all__ = ["TorchCUDA"]


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
    requires_gpu = True

    def _check_available(self) -> None:
        torch = require_cuda(self.name)
        self.device_index = int(self.options.get("device", 0))
        if not 0 <= self.device_index < torch.cuda.device_count():
            raise ConfigError(f"CUDA device {self.device_index} does not exist ({torch.cuda.device_count()} visible)")
        self.cuda_graphs = bool(self.options.get("cuda_graphs", True))

    def _environment(self):
        import torch

        return (
            torch.cuda.get_device_name(self.device_index),
            {"torch": torch.__version__, "cuda": str(torch.version.cuda),
             "cudnn": str(torch.backends.cudnn.version()), "driver": gpu_driver_version()},
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
            launch = functools.partial(model, x)
            if self.cuda_graphs:
                graph = torch.cuda.CUDAGraph()
                with torch.inference_mode(), torch.cuda.graph(graph):
                    model(x)
                launch = graph.replay
        except torch.cuda.OutOfMemoryError as exc:
            raise OutOfMemory(f"torch-cuda: out of GPU memory while loading the model: {exc}") from None
        return cuda_event_timer(launch, mode=torch.inference_mode)
