"""ImageNet-layout data: the bundled MNIST demo, dataset checks, and the loaders (DALI CPU, torchvision)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gpunet_ray.data import check_dataset, make_demo, scan_split
from gpunet_ray.errors import BackendUnavailable, ConfigError, DatasetError

PY = sys.executable


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "gpunet_ray.data", *args], capture_output=True, text=True, timeout=120)


# -- make-demo ------------------------------------------------------------------------------------
def test_demo_layout_counts_and_images(demo_dir):
    info = check_dataset(demo_dir)
    assert info.classes == tuple(str(i) for i in range(10))
    assert (info.num_train, info.num_val) == (4000, 1000)
    tr = scan_split(demo_dir, "train")
    va = scan_split(demo_dir, "val", tr.classes)
    assert [tr.labels.count(c) for c in range(10)] == [400] * 10
    assert [va.labels.count(c) for c in range(10)] == [100] * 10
    # disjoint splits, every file a real RGB JPEG of a digit
    assert not {Path(f).name for f in tr.files} & {Path(f).name for f in va.files}
    from PIL import Image

    with Image.open(tr.files[0]) as img:
        assert img.format == "JPEG" and img.mode == "RGB" and img.size == (28, 28)
        px = torch.tensor(list(img.getdata())).float()
    assert px.max() > 200 and px.min() < 30  # white strokes on black, not a blank image


def test_demo_cli_deterministic_and_refuses_other_folders(demo_dir, tmp_path):
    out = tmp_path / "again"
    r = _run_cli("make-demo", str(out))
    assert r.returncode == 0, r.stderr
    assert "10 classes, 4000 train / 1000 val" in r.stdout
    assert _digest(out) == _digest(demo_dir)  # same bytes as the fixture's copy
    # re-running on the same demo is a no-op
    assert _run_cli("make-demo", str(out)).returncode == 0
    # a non-empty folder that is not this demo is refused: exit 2, one line, nothing written
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine\n")
    r = _run_cli("make-demo", str(other))
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "not empty" in r.stderr
    assert "Traceback" not in r.stderr
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]
    # the same demo folder with other settings is refused too
    r = _run_cli("make-demo", str(out), "--size", "32")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    # bad usage is one line as well
    r = _run_cli("make-demo")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1


def test_demo_rejects_bad_settings(tmp_path):
    with pytest.raises(ConfigError, match="size"):
        make_demo(tmp_path / "x", size=4)
    with pytest.raises(ConfigError, match="500"):
        make_demo(tmp_path / "x", train_per_class=450, val_per_class=100)
    assert not (tmp_path / "x").exists()
    assert not list(tmp_path.glob(".x.part-*"))


# -- dataset checks -------------------------------------------------------------------------------
def test_missing_and_empty_datasets_are_dataset_errors(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        check_dataset(tmp_path / "nope")
    with pytest.raises(DatasetError, match="train"):
        check_dataset(tmp_path)  # exists but empty
    (tmp_path / "train" / "cat").mkdir(parents=True)
    with pytest.raises(DatasetError, match="holds no images"):
        check_dataset(tmp_path)
    (tmp_path / "train" / "cat" / "a.JPEG").write_bytes(b"\xff\xd8")
    with pytest.raises(DatasetError, match="val"):
        check_dataset(tmp_path)
    (tmp_path / "val" / "dog").mkdir(parents=True)
    (tmp_path / "val" / "dog" / "b.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(DatasetError, match="differ"):
        check_dataset(tmp_path)
    r = _run_cli("check", str(tmp_path / "nope"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "make-demo" in r.stderr


# -- loaders --------------------------------------------------------------------------------------
def _dali():
    from gpunet_ray.trainables.loaders import dali_available

    if not dali_available():
        pytest.skip("NVIDIA DALI is not importable here (pip install nvidia-dali-cuda120)")


def _collect(loader):
    xs, ys = [], []
    for x, y in loader:
        xs.append(x)
        ys.append(y)
    return torch.cat(xs), torch.cat(ys)


@pytest.mark.timeout(120)
def test_dali_cpu_and_torchvision_agree(demo_dir):
    _dali()
    from gpunet_ray.trainables.loaders import make_loader

    kw = dict(batch_size=50, resolution=48, num_threads=1)
    # validation: same files, same order, same deterministic transform -> nearly the same tensors
    dv = make_loader(str(demo_dir), "val", train=False, loader="dali", **kw)
    tv = make_loader(str(demo_dir), "val", train=False, loader="torchvision", **{**kw, "num_threads": 0})
    assert dv.name == "dali-cpu" and tv.name == "torchvision"
    assert len(dv) == len(tv) == 20
    xd, yd = _collect(dv)
    xt, yt = _collect(tv)
    assert xd.shape == xt.shape == (1000, 3, 48, 48)
    assert xd.dtype == xt.dtype == torch.float32 and yd.dtype == yt.dtype == torch.int64
    assert torch.equal(yd, yt) and torch.equal(torch.bincount(yd), torch.full((10,), 100))
    # different JPEG decoders / resize kernels: close, not bit-identical (normalised units)
    assert (xd - xt).abs().mean() < 0.05
    # train: random crops and flips; same shapes, every class present, drop_last batches
    dtr = make_loader(str(demo_dir), "train", train=True, loader="dali", **kw)
    ttr = make_loader(str(demo_dir), "train", train=True, loader="torchvision", **{**kw, "num_threads": 0})
    assert len(dtr) == len(ttr) == 80
    xd, yd = _collect(dtr)
    xt, yt = _collect(ttr)
    assert xd.shape == xt.shape == (4000, 3, 48, 48)
    assert torch.equal(torch.bincount(yd), torch.bincount(yt))
    # normalised with ImageNet statistics in both: similar first and second moments
    assert abs(float(xd.mean()) - float(xt.mean())) < 0.15
    assert abs(float(xd.std()) - float(xt.std())) < 0.15


def test_sharding_partitions_the_validation_set(demo_dir):
    from gpunet_ray.trainables.loaders import dali_available, make_loader

    loaders = ["torchvision"] + (["dali"] if dali_available() else [])
    for kind in loaders:
        seen = []
        for shard in range(3):
            ld = make_loader(str(demo_dir), "val", batch_size=64, resolution=32, train=False, loader=kind,
                             num_threads=1 if kind == "dali" else 0, shard_id=shard, num_shards=3)
            _, y = _collect(ld)
            assert len(y) == ld.num_samples
            seen.append(len(y))
        assert sum(seen) == 1000, kind


def test_loader_choice(monkeypatch, demo_dir):
    import gpunet_ray.trainables.loaders as L

    with pytest.raises(ConfigError, match="unknown loader"):
        L.resolve_loader("opencv")
    monkeypatch.setattr(L, "dali_available", lambda: False)
    assert L.resolve_loader("auto") == "torchvision"
    with pytest.raises(BackendUnavailable, match="pip install nvidia-dali"):
        L.resolve_loader("dali")
    monkeypatch.setattr(L, "dali_available", lambda: True)
    assert L.resolve_loader("auto") == "dali"


@pytest.mark.gpu
def test_dali_gpu_loader(demo_dir):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU: the DALI GPU pipeline (mixed decode) needs one")
    _dali()
    from gpunet_ray.trainables.loaders import make_loader

    ld = make_loader(str(demo_dir), "train", batch_size=64, resolution=64, train=True, loader="dali", device="cuda")
    assert ld.name == "dali-gpu"
    x, y = next(iter(ld))
    assert x.is_cuda and y.is_cuda and x.shape == (64, 3, 64, 64) and y.dtype == torch.int64
