"""Issue 15: the cluttered-digits task (``python -m gpunet_ray.data make-task``)."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from PIL import Image

from gpunet_ray.data import make_demo, make_task
from gpunet_ray.errors import ConfigError

SMALL = dict(train_per_class=30, val_per_class=10)


def _digest(root) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.JPEG")):
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    d = tmp_path_factory.mktemp("task") / "cluttered"
    make_task(d, size=64, seed=0, **SMALL)
    return d


def test_layout_counts_sizes_and_marker(task):
    info = make_task(task, size=64, seed=0, **SMALL)  # same settings: a no-op
    assert info.classes == tuple(str(i) for i in range(10)) or list(info.classes) == [str(i) for i in range(10)]
    assert info.num_train == 300 and info.num_val == 100
    for split, n in (("train", 30), ("val", 10)):
        for c in range(10):
            files = sorted((task / split / str(c)).glob("*.JPEG"))
            assert len(files) == n
    img = Image.open(next((task / "val" / "3").glob("*.JPEG")))
    assert img.size == (64, 64) and img.mode == "RGB"
    meta = json.loads((task / ".gpunet_task.json").read_text())
    assert meta["kind"] == "cluttered" and meta["seed"] == 0 and meta["size"] == 64
    # train and val never share a digit
    names = {split: {p.name for p in (task / split).rglob("*.JPEG")} for split in ("train", "val")}
    assert not names["train"] & names["val"]


def test_deterministic_for_a_seed(task, tmp_path):
    again = tmp_path / "again"
    make_task(again, size=64, seed=0, **SMALL)
    assert _digest(again) == _digest(task)
    other = tmp_path / "other"
    make_task(other, size=64, seed=1, **SMALL)
    assert _digest(other) != _digest(task)


def test_refuses_bad_input(task, tmp_path):
    with pytest.raises(ConfigError, match="not a task folder made with these settings"):
        make_task(task, size=64, seed=1, **SMALL)
    with pytest.raises(ConfigError, match="--kind"):
        make_task(tmp_path / "x", kind="mosaic")
    with pytest.raises(ConfigError, match="--size"):
        make_task(tmp_path / "x", size=16)


def _pixels(root, split):
    X, y = [], []
    for p in sorted((root / split).rglob("*.JPEG")):
        X.append(np.asarray(Image.open(p).convert("L").resize((28, 28), Image.BILINEAR), dtype=np.float32) / 255)
        y.append(int(p.parent.name))
    return np.stack(X).reshape(len(X), -1), np.array(y)


def test_harder_than_the_demo_digits(task, tmp_path):
    """A fixed logistic regression on raw pixels: >= 30 points lower on the task than on the plain digits."""
    from sklearn.linear_model import LogisticRegression

    demo = tmp_path / "demo"
    make_demo(demo, **SMALL)
    scores = {}
    for name, root in (("demo", demo), ("task", task)):
        Xtr, ytr = _pixels(root, "train")
        Xva, yva = _pixels(root, "val")
        clf = LogisticRegression(max_iter=300, C=1.0).fit(Xtr, ytr)
        scores[name] = 100.0 * clf.score(Xva, yva)
    assert scores["demo"] - scores["task"] >= 30.0, scores


def test_cli(tmp_path, capsys):
    from gpunet_ray.data import main

    assert main(["make-task", str(tmp_path / "t"), "--size", "48", "--seed", "3", "--train-per-class", "2",
                 "--val-per-class", "1"]) == 0
    assert "10 classes, 20 train / 10 val images" in capsys.readouterr().out
    assert main(["make-task", str(tmp_path / "t"), "--size", "48", "--seed", "4"]) == 2
