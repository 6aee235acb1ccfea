"""Bad files in the dataset: the check names them (exit 2 from the CLI), or, with skip_bad, both
loaders (torchvision, DALI on the CPU) train without them and every result counts them.

Kinds: a zero-byte file, a truncated JPEG (an interrupted copy), a text file named ``x.JPEG``,
and three that cannot be read even by root (the tests run as root, so ``chmod 000`` alone would
not fail): a dangling symlink (a dataset of links into storage that moved), a directory named
like an image, and a FIFO (opening it for reading would block: the check must never do that).
A real permission failure is tested by inspecting a ``chmod 000`` file from a child process that
dropped root. Damage that only decoding reveals (a zero height in the JPEG frame header) is found
by ``check --decode`` and by the loaders.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from gpunet_ray.data import check_dataset, inspect_image, make_demo
from gpunet_ray.errors import DatasetError

BAD = "zz_bad.JPEG"  # sorts last in its class folder
KINDS = {
    "empty": "empty (0 bytes)",
    "truncated": "truncated (no JPEG end-of-image marker)",
    "text": "not a JPEG or PNG (starts with b'this is ')",
    "dangling_symlink": "dangling symlink",
    "directory": "not a regular file (a directory)",
    "fifo": "not a regular file (a FIFO)",
}


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("small") / "demo"
    make_demo(d, train_per_class=8, val_per_class=4)  # 80 train / 40 val real digits
    return d


def _good_jpeg(root: Path) -> bytes:
    return sorted((root / "val" / "3").iterdir())[0].read_bytes()


def _make_bad(path: Path, kind: str, good: bytes) -> None:
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif kind == "text":
        path.write_text("this is not an image\n")
    elif kind == "dangling_symlink":
        path.symlink_to(path.parent / "moved-away.JPEG")
    elif kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "undecodable":  # intact header and end marker, but a zero image height
        b = bytearray(good)
        i = b.find(b"\xff\xc0")
        b[i + 5:i + 7] = b"\x00\x00"
        path.write_bytes(bytes(b))
    else:  # pragma: no cover
        raise ValueError(kind)


@pytest.fixture
def dataset(small_demo, tmp_path):
    """``make(kind, split="val")``: a copy of the small demo with one bad file of that kind."""

    def make(kind: str, split: str = "val") -> tuple[Path, Path]:
        root = tmp_path / f"data-{kind}-{split}"
        shutil.copytree(small_demo, root)
        bad = root / split / "3" / BAD
        _make_bad(bad, kind, _good_jpeg(small_demo))
        return root, bad

    return make


def _data_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gpunet_ray.data", *args], capture_output=True, text=True,
                          timeout=120)


# -- the check --------------------------------------------------------------------------------------
@pytest.mark.parametrize("split", ["val", "train"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_check_names_the_bad_file_or_counts_it(dataset, kind, split):
    root, bad = dataset(kind, split)
    with pytest.raises(DatasetError) as err:
        check_dataset(root)
    msg = str(err.value)
    assert f"1 bad image file ({split}/3/{BAD}: {KINDS[kind]})" in msg and "skip_bad" in msg
    info = check_dataset(root, skip_bad=True)
    assert info.bad == ((str(bad), KINDS[kind]),)
    assert (info.num_train, info.num_val) == (80, 40)  # the good images, every one of them
    # the layout-only check (what a trial runs first) reads no file: it lists the regular ones
    listed = check_dataset(root, verify=False)
    extra = kind in ("empty", "truncated", "text")
    assert (listed.num_train, listed.num_val) == (80 + (extra and split == "train"), 40 + (extra and split == "val"))


def test_check_cli_exit_2_one_line_or_lists_with_skip_bad(dataset):
    root, bad = dataset("fifo")
    _make_bad(root / "train" / "0" / BAD, "truncated", _good_jpeg(root))
    r = _data_cli("check", str(root))  # a FIFO in the data must not hang the check
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "2 bad image files (train/0/zz_bad.JPEG: truncated" in lines[0]
    assert f"val/3/{BAD}: not a regular file (a FIFO)" in lines[0] and "--skip-bad" in lines[0]
    r = _data_cli("check", str(root), "--skip-bad")
    assert r.returncode == 0, r.stderr
    assert f"bad: {bad}: not a regular file (a FIFO)" in r.stdout
    assert "80 train / 40 val images (2 bad image files left out)" in r.stdout


def test_decode_only_damage_is_found_by_check_decode(dataset):
    root, bad = dataset("undecodable")
    assert inspect_image(bad) is None  # header and end marker look fine
    assert check_dataset(root).num_val == 41
    assert inspect_image(bad, decode=True).startswith("cannot be decoded")
    r = _data_cli("check", str(root), "--decode")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert f"val/3/{BAD}: cannot be decoded" in r.stderr


def test_permission_denied_is_unreadable_for_a_non_root_reader(small_demo):
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to another user")
    base = Path(tempfile.mkdtemp(prefix="gpunet-perm-", dir="/tmp"))
    try:
        os.chmod(base, 0o755)
        f = base / "x.JPEG"
        f.write_bytes(_good_jpeg(small_demo))
        f.chmod(0o000)
        assert inspect_image(f) is None  # root reads it anyway
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: become nobody, inspect, report through the pipe
            try:
                os.close(r)
                os.setgid(65534)
                os.setuid(65534)
                os.write(w, str(inspect_image(f)).encode())
            finally:
                os._exit(0)
        os.close(w)
        with os.fdopen(r) as pipe:
            got = pipe.read()
        os.waitpid(pid, 0)
        assert got == "unreadable (Permission denied)"
    finally:
        shutil.rmtree(base, ignore_errors=True)


# -- the loaders ------------------------------------------------------------------------------------
_RECIPE = {"epochs": 1, "batch_size": 8, "resolution": 32, "limit_train_batches": 2, "warmup_epochs": 0}


def _loader(name: str) -> str:
    if name == "dali":
        from gpunet_ray.trainables.loaders import dali_available

        if not dali_available():
            pytest.skip("NVIDIA DALI is not importable here")
    return name


def _spec():
    from gpunet_ray.search_space import get_space

    space = get_space("tiny")
    return space.from_config({d.name: d.choices[0] for d in space.all_dims})


def _train(root, loader, skip_bad):
    import torch

    from gpunet_ray.trainables import train

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return train(_spec(), root, _RECIPE, loader=loader, device="cpu", num_threads=1, skip_bad=skip_bad,
                     loader_threads=0 if loader == "torchvision" else 1).metrics
    finally:
        torch.set_num_threads(n)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("loader", ["torchvision", "dali"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_loaders_refuse_or_skip_and_count(dataset, monkeypatch, kind, loader):
    loader = _loader(loader)
    root, bad = dataset(kind)
    import gpunet_ray.search_space.builder as builder

    real_build = builder.build_model
    built = []
    monkeypatch.setattr(builder, "build_model", lambda *a, **k: built.append(1) or real_build(*a, **k))
    with pytest.raises(DatasetError, match=f"val/3/{BAD}: " + KINDS[kind].replace("(", r"\(").replace(")", r"\)")):
        _train(root, loader, skip_bad=False)
    assert not built  # refused before the model was built
    m = _train(root, loader, skip_bad=True)
    assert m["loader"].startswith(loader)
    assert m["val_images"] == 40 and m["bad_images"] == 1 and m["bad_val_images"] == 1
    assert 0 <= m["top1"] <= 100 and m["train_images"] == 16


@pytest.mark.timeout(120)
def test_undecodable_image_torchvision_skips_and_counts_dali_names_it(dataset):
    root, bad = dataset("undecodable")
    with pytest.raises(DatasetError, match=f"{bad}: cannot be decoded .*--decode"):
        _train(root, "torchvision", skip_bad=False)
    m = _train(root, "torchvision", skip_bad=True)
    # passed the cheap check, dropped while decoding: scored 40 of the 41 files, and says so
    assert m["val_images"] == 40 and m["bad_images"] == 1 and m["bad_val_images"] == 1
    _loader("dali")
    for skip in (False, True):  # DALI cannot drop one sample from a batch: a one-line error naming the file
        with pytest.raises(DatasetError, match=f"DALI could not read or decode an image .*{BAD}.*--decode"):
            _train(root, "dali", skip_bad=skip)


@pytest.mark.timeout(120)
def test_trial_reports_bad_images(dataset):
    from gpunet_ray.trainables import check_trial_config, run_candidate

    root, bad = dataset("text")
    config = {"arch": _spec().arch_string, "data_dir": str(root), "loader": "torchvision", "loader_threads": 0,
              "device": "cpu", "recipe": _RECIPE}
    with pytest.raises(DatasetError, match="1 bad image file"):
        check_trial_config(config)  # the driver's check: the search fails once, before any trial
    config["skip_bad"] = True
    assert check_trial_config(config).bad == ((str(bad), KINDS["text"]),)
    reports = []
    result = run_candidate(config, lambda m, c: reports.append(m))
    assert len(reports) == 1 and result["feasible"] is True
    assert result["bad_images"] == 1 and result["bad_val_images"] == 1 and result["val_images"] == 40
    assert not math.isnan(result["top1"])
