"""Search configuration: YAML + CLI overrides, validation, resolved dump."""

from pathlib import Path

import pytest
import yaml


from gpunet_ray.config import load_config
from gpunet_ray.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "experiments").glob("*.yaml")))
def test_shipped_experiments_load(name):
    cfg = load_config(ROOT / "experiments" / name)
    assert cfg.budgets and all(b > 0 for b in cfg.budgets)


def test_overrides_win_and_roundtrip(tmp_path):
    cfg = load_config(ROOT / "experiments" / "demo.yaml",
                      {"budgets_ms": (1.2, 0.5), "train.epochs": 3, "latency.backend": "torch-cpu", "trials": None})
    assert cfg.budgets == (0.5, 1.2) and cfg.train.epochs == 3 and cfg.latency.backend == "torch-cpu"
    assert cfg.trials == yaml.safe_load((ROOT / "experiments" / "demo.yaml").read_text())["trials"]  # None: not given
    cfg.dump_yaml(tmp_path / "c.yaml")
    assert load_config(tmp_path / "c.yaml") == cfg
    # backend options (e.g. eager torch-cuda timing) survive the saved config
    cfg2 = load_config(ROOT / "experiments" / "demo.yaml", {"latency.options": {"cuda_graphs": False}})
    cfg2.dump_yaml(tmp_path / "c2.yaml")
    assert load_config(tmp_path / "c2.yaml").latency.options == {"cuda_graphs": False}


@pytest.mark.parametrize(
    "text, needle",
    [
        ("budgets_ms: [0]", "positive"),
        ("budgets_ms: [-1, 2]", "positive"),
        ("budgets_ms: [1, 1]", "distinct"),
        ("trials: 0", "--trials must be positive"),
        ("train: {epochs: 0}", "epochs"),
        ("train: {epoch: 2}", "unknown key 'epoch' in"),
        ("colour: blue", "unknown key 'colour'"),
        ("budgets_ms: [1", "not valid YAML"),
        ("- 1\n- 2", "must hold a mapping"),
        ("budgets_ms: [1]\nlatency: {options: [cuda_graphs]}", "latency.options must be a mapping"),
    ],
)
def test_bad_configs(tmp_path, text, needle):
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=needle):
        load_config(p)


def test_missing_file():
    with pytest.raises(ConfigError, match="does not exist"):
        load_config("/nonexistent/x.yaml")
