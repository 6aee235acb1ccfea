"""``torch-cpu``: eager PyTorch on CPU with pinned threads."""

from __future__ import annotations

from .base import Backend, clock_ns, cpu_name, import_torch, package_version, pick_clock

__all__ = ["TorchCPU"]


class TorchCPU(Backend):
    """Eager PyTorch on CPU under ``torch.inference_mode``; ``torch.set_num_threads(threads)``.

    Option ``clock`` as for :class:`~gpunet_ray.latency.backends.OnnxRuntimeCPU`.
    """

    name = "torch-cpu"

    def _check_available(self) -> None:
        import_torch(self.name)
        self.clock = pick_clock(self)

    def _environment(self):
        return cpu_name(), {"torch": package_version("torch")}, {"mode": "eager", "clock": self.clock}

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
        clock = clock_ns(self.clock)

        def once() -> float:
            with torch.inference_mode():
                t = clock()
                model(x)
                return (clock() - t) / 1e6

        return once
