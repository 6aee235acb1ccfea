"""Benchmarks: ``python -m gpunet_ray.bench <name> ...`` (see ``SUBCOMMANDS`` in ``__main__``)."""
