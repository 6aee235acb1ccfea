"""Training benchmarks: input-pipeline images/s (DALI vs torchvision) and training images/s.

Wired as ``python -m gpunet_ray.bench training [...]``; ``main(argv)`` is the entry point.

* pipeline: images/s of the *training* loader (decode, random-resized crop, flip, normalise;
  the same augmentations in both) over the demo set written at each ``--sizes`` side, for DALI
  (CPU, or GPU with ``--device cuda``) with ``--threads`` and 1 threads, and torchvision with the
  same numbers of worker processes and with 0 workers (in-process, one torch thread). Median of
  ``--repeats`` passes of ``--max-images`` images after a warm-up pass; worker start-up excluded.
* training: images/s of a full training step (forward, backward, SGD) on synthetic batches for
  tiny-space architectures (smallest, middle and largest choices) at ``--resolution``, with 1 and
  ``--threads`` torch threads; and the end-to-end ``images_per_s`` of one proxy epoch of the
  smallest one fed by each loader.
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

__all__ = ["main", "bench_pipeline", "bench_train_step"]


def _parser():
    from gpunet_ray.cli import OneLineParser

    p = OneLineParser(prog="python -m gpunet_ray.bench training",
                      description="Input pipeline and training throughput (images/s).")
    p.add_argument("--data", default=None, help="folder for the demo sets (default: a temporary folder)")
    p.add_argument("--sizes", default="28,224", help="demo image sides to benchmark the pipeline on (comma list)")
    p.add_argument("--resolution", type=int, default=None,
                   help="training resolution in pixels (default 64; a preset's own for preset architectures)")
    p.add_argument("--pipeline-resolution", type=int, default=None,
                   help="pipeline output side (default: --resolution for 28 px images, 224 for larger ones)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=2, help="DALI threads / torchvision workers / torch threads")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--max-images", type=int, default=1500, help="images per timed pipeline pass (default 1500)")
    p.add_argument("--steps", type=int, default=10, help="timed training steps per configuration (default 10)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--archs", default="smallest,middle,largest",
                   help="architectures for the training-step part (comma list): smallest, middle, largest "
                        "(tiny space, 10 classes) or a built-in preset such as gpunet-0 (1000 classes)")
    p.add_argument("--precisions", default=None,
                   help="training-step variants (comma list of fp32, amp): amp = FP16 autocast + channels_last, "
                        "CUDA only (default: fp32 on cpu, fp32,amp on cuda)")
    p.add_argument("--epoch-arch", default="smallest",
                   help="architecture of the end-to-end proxy-epoch part (a tiny pick or a preset)")
    p.add_argument("--skip", default="", help="comma list of parts to skip: pipeline, step, epoch")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    return p


def bench_pipeline(data_dir: str, loader: str, *, resolution: int, batch_size: int, threads: int,
                   repeats: int = 3, device: str = "cpu", max_images: int | None = None) -> dict:
    """Median images/s over ``repeats`` passes of ``data_dir/train`` (after one warm-up pass).

    A pass stops after ``max_images`` images (full epoch if ``None``); its clock starts when the
    first batch arrives, so worker start-up is excluded (steady-state throughput).
    """
    import torch

    from gpunet_ray.trainables.loaders import make_loader

    if threads == 0:  # in-process torchvision: one torch thread, like a trial's main process
        torch.set_num_threads(1)
    ld = make_loader(data_dir, "train", batch_size=batch_size, resolution=resolution, train=True, loader=loader,
                     device=device, num_threads=threads)
    cap = max_images or len(ld) * batch_size
    rates = []
    for i in range(repeats + 1):
        ld.set_epoch(i)
        n, t0 = 0, None
        for x, y in ld:
            if t0 is None:
                t0 = time.perf_counter()
            else:
                n += y.shape[0]
            if n + batch_size >= cap:
                break
        if x.is_cuda:
            torch.cuda.synchronize()
        if i:  # pass 0 warms up (worker start-up, DALI buffers)
            rates.append(n / (time.perf_counter() - t0))
    ld.close()
    return {"loader": ld.name, "threads": threads, "images_per_s": statistics.median(rates),
            "min": min(rates), "max": max(rates), "images_per_pass": n}


def bench_train_step(spec, *, resolution: int, batch_size: int, threads: int, steps: int = 20,
                     device: str = "cpu", num_classes: int = 10, amp: bool = False,
                     channels_last: bool = False) -> dict:
    """Images/s of forward + backward + SGD step on random batches (no data loading).

    ``amp`` (FP16 autocast + grad scaler) and ``channels_last`` are the training loop's CUDA
    settings; the loop turns both on for GPU trials.
    """
    import torch

    from gpunet_ray.search_space.builder import build_model, count_params

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cuda = device != "cpu"
    if cuda:
        torch.backends.cudnn.benchmark = True
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = build_model(spec.with_num_classes(num_classes).with_resolution(resolution)).to(device).train()
    model = model.to(memory_format=fmt)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch_size, 3, resolution, resolution, device=device).contiguous(memory_format=fmt)
    y = torch.randint(0, num_classes, (batch_size,), device=device)
    scaler = torch.amp.GradScaler("cuda") if (amp and cuda) else None

    def step():
        with torch.autocast(device_type="cuda" if cuda else "cpu", dtype=torch.float16, enabled=scaler is not None):
            loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        if scaler is None:
            loss.backward()
            opt.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()

    for _ in range(3):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        if device != "cpu":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    out = {"threads": threads, "images_per_s": batch_size / med, "step_ms": med * 1e3,
           "params": count_params(model), "amp": scaler is not None, "channels_last": channels_last}
    if cuda:
        out["gpu"] = torch.cuda.get_device_name()
        out["max_memory_gib"] = torch.cuda.max_memory_allocated() / 2**30
        del model, opt, x, y
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    return out


def _tiny_specs():
    from gpunet_ray.search_space import get_space

    space = get_space("tiny")
    pick = {
        "smallest": lambda d: d.choices[0],
        "middle": lambda d: d.choices[(d.n - 1) // 2],
        "largest": lambda d: d.choices[-1],
    }
    return {name: space.from_config({d.name: f(d) for d in space.all_dims}) for name, f in pick.items()}


def _options(args) -> tuple[list[int], set[str], dict, list[str], bool, list[str]]:
    """The checked options: ``(sizes, skip, specs, names, cuda, precisions)``; bad input -> ConfigError."""
    from gpunet_ray.errors import ConfigError

    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        raise ConfigError(f"--sizes must be a comma list of integers, got {args.sizes!r}") from None
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if skip - {"pipeline", "step", "epoch"}:
        raise ConfigError(f"--skip takes pipeline, step, epoch; got {args.skip!r}")
    if min(args.threads, args.batch_size, args.repeats, args.max_images, args.steps,
           1 if args.resolution is None else args.resolution) < 1:
        raise ConfigError("--threads, --batch-size, --repeats, --max-images, --steps and --resolution must be positive")
    from gpunet_ray.search_space.presets import PRESETS, get_preset

    specs = _tiny_specs()
    names = [a.strip().lower() for a in args.archs.split(",") if a.strip()]
    if args.epoch_arch.strip().lower() not in set(specs) | set(PRESETS):
        raise ConfigError(f"--epoch-arch takes one of {', '.join(specs)} or a preset; got {args.epoch_arch!r}")
    if not names or set(names) - set(specs) - set(PRESETS):
        raise ConfigError(f"--archs takes a comma list of {', '.join(specs)} or presets ({', '.join(PRESETS)}); "
                          f"got {args.archs!r}")
    for n in names:
        if n in PRESETS:
            specs[n] = get_preset(n)
    cuda = args.device.startswith("cuda")
    precisions = [x.strip() for x in (args.precisions or ("fp32,amp" if cuda else "fp32")).split(",") if x.strip()]
    if not precisions or set(precisions) - {"fp32", "amp"} or ("amp" in precisions and not cuda):
        raise ConfigError(f"--precisions takes fp32 and/or amp (amp needs --device cuda); got {args.precisions!r}")
    return sizes, skip, specs, names, cuda, precisions


def _pipeline_part(args, dirs: dict, loaders: list[str], resolution: int) -> list[dict]:
    rows = []
    for size, d in dirs.items():
        res = args.pipeline_resolution or (resolution if size <= 64 else 224)
        for loader in loaders:
            counts = [args.threads, 1] if loader == "dali" else [args.threads, 1, 0]
            for threads in dict.fromkeys(counts):
                r = bench_pipeline(d, loader, resolution=res, batch_size=args.batch_size, threads=threads,
                                   repeats=args.repeats, device=args.device, max_images=args.max_images)
                r.update(image_side=size, resolution=res)
                rows.append(r)
                print(f"pipeline {size}px->{res}: {r['loader']:<11} threads/workers {threads}: "
                      f"{r['images_per_s']:8.0f} img/s (min {r['min']:.0f}, max {r['max']:.0f})", flush=True)
    return rows


def _step_part(args, names: list[str], specs: dict, cuda: bool, precisions: list[str]) -> list[dict]:
    from gpunet_ray.search_space.presets import PRESETS

    rows = []
    for name in names:
        spec = specs[name]
        preset = name in PRESETS
        res_px = args.resolution or (spec.resolution if preset else 64)
        # Thread count matters on the CPU only; on a GPU time one host thread.
        for threads in ([1] if cuda else sorted({1, args.threads})):
            for prec in precisions:
                r = bench_train_step(spec, resolution=res_px, batch_size=args.batch_size, threads=threads,
                                     steps=args.steps, device=args.device,
                                     num_classes=spec.num_classes if preset else 10,
                                     amp=prec == "amp", channels_last=prec == "amp")
                r.update(arch=name, arch_string=spec.arch_string, resolution=res_px, precision=prec)
                rows.append(r)
                print(f"train step {name:<8} ({r['params']:>8} params) {res_px}px {prec:<4}, "
                      f"{threads} thread(s): {r['images_per_s']:7.0f} img/s "
                      f"({r['step_ms']:.1f} ms / batch {args.batch_size})", flush=True)
    return rows


def _epoch_part(args, specs: dict, dirs: dict, loaders: list[str], cuda: bool) -> list[dict]:
    from gpunet_ray.search_space.presets import PRESETS, get_preset

    from gpunet_ray.trainables.loop import train

    ename = args.epoch_arch.strip().lower()
    espec = specs.get(ename) or get_preset(ename)
    eres = args.resolution or (espec.resolution if ename in PRESETS else 64)
    d = dirs.get(28) or next(iter(dirs.values()))
    # CPU protocol: 1 torch thread + 1 loader thread (like one trial of many on a node);
    # on a GPU the loader gets --threads workers, as a GPU trial's CPUs would.
    lthreads = args.threads if cuda else 1
    rows = []
    for loader in loaders:
        recipe = {"epochs": 1, "batch_size": args.batch_size, "resolution": eres}
        res = train(espec, d, recipe, loader=loader, device=args.device, num_threads=1,
                    loader_threads=lthreads)
        m = res.metrics
        rows.append({"arch": ename, "resolution": eres, "loader": m["loader"],
                     "images_per_s": m["images_per_s"], "top1": m["top1"],
                     "torch_threads": 1, "loader_threads": lthreads})
        print(f"proxy epoch ({ename}, {eres}px, 1 torch thread + {lthreads} loader thread(s)) "
              f"{m['loader']:<11}: {m['images_per_s']:6.0f} img/s, top1 {m['top1']:.1f} %", flush=True)
    return rows


def _run(argv: Sequence[str] | None) -> int:
    from gpunet_ray.data import make_demo  # the bench's own demo sets (a CLI, like gpunet_ray.data)

    from gpunet_ray.trainables.loaders import dali_available

    args = _parser().parse_args(argv)
    import logging

    # A capped pass leaves DALI mid-epoch; its "cannot reset" warning is expected here.
    logging.getLogger().setLevel(logging.ERROR)
    sizes, skip, specs, names, cuda, precisions = _options(args)
    resolution = args.resolution or 64
    tmp = None
    root = Path(args.data) if args.data else Path(tmp := tempfile.mkdtemp(prefix="gpunet_bench_"))
    import torch

    results: dict = {
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "cpus": __import__("os").cpu_count(), "torch": torch.__version__, "device": args.device,
        "date": time.strftime("%Y-%m-%d"), "command": "python -m gpunet_ray.bench training " + " ".join(argv or []),
        "pipeline": [], "step": [], "epoch": [],
    }
    loaders = (["dali"] if dali_available() else []) + ["torchvision"]
    try:
        dirs = {}
        for size in sizes:
            d = root / f"mnist_{size}px"
            make_demo(d, size=size)
            dirs[size] = str(d)
        if "pipeline" not in skip:
            results["pipeline"] += _pipeline_part(args, dirs, loaders, resolution)
        if "step" not in skip:
            results["step"] += _step_part(args, names, specs, cuda, precisions)
        if "epoch" not in skip:
            results["epoch"] += _epoch_part(args, specs, dirs, loaders, cuda)
    finally:
        if tmp is not None:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m gpunet_ray.bench training [--sizes 28,224] [--threads 2] ...``; exit 2 + one line on bad input."""
    from gpunet_ray.cli import run_cli

    return run_cli(_run, argv, prog="gpunet_ray.bench training")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
