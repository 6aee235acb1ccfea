"""``python -m gpunet_ray.arch``: real subprocess runs, exit codes, one-line errors, nothing half-written."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gpunet_ray.search_space import get_space, load_arch_file


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "gpunet_ray.arch", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


def assert_usage_error(res, needle):
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert needle in lines[0] and "Traceback" not in res.stderr


def test_info_json_for_released_file(shared_gpunet):
    res = run("info", shared_gpunet / "GPUNet-1.json", "--json")
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert d["params"] == 12_704_192 and d["resolution"] == 288
    assert d["arch"].startswith("r288i3:") and d["macs"] > 3e9
    assert [s["stage"] for s in d["stages"]] == [0, 1, 2, 3, 4, 5, 6]


def test_info_preset_table_and_space_check():
    res = run("info", "--preset", "gpunet-0", "--space", "gpunet")
    assert res.returncode == 0
    assert "11,885,432" in res.stdout and "stage 4 (irb): filters 256" in res.stdout


def test_sample_writes_valid_specs_in_space(tmp_path):
    out = tmp_path / "s"
    res = run("sample", "--space", "tiny", "--n", 3, "--seed", 4, "--out", out)
    assert res.returncode == 0, res.stderr
    files = sorted(out.glob("*.json"))
    assert len(files) == 3
    space = get_space("tiny")
    specs = [load_arch_file(f) for f in files]
    for s in specs:
        space.validate(s)
    again = run("sample", "--space", "tiny", "--n", 3, "--seed", 4, "--out", tmp_path / "t")
    assert sorted(p.read_text() for p in (tmp_path / "t").glob("*.json")) == sorted(f.read_text() for f in files)
    clash = run("sample", "--space", "tiny", "--n", 3, "--seed", 4, "--out", out)
    assert_usage_error(clash, "already exists")
    assert again.returncode == 0


def test_export_writes_onnx(tmp_path):
    spec_dir = tmp_path / "s"
    run("sample", "--space", "tiny", "--n", 1, "--seed", 0, "--out", spec_dir)
    f = next(spec_dir.glob("*.json"))
    res = run("export", f, "--onnx", tmp_path / "m.onnx")
    assert res.returncode == 0, res.stderr
    import onnx

    onnx.checker.check_model(onnx.load(str(tmp_path / "m.onnx")))


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "a.json"
    p.write_text(text)
    return p


BAD = [
    ("missing file", None, "does not exist"),
    ("not json", "{not json", "is not valid JSON"),
    ("unknown layer", '[{"layer_type":"data","img_resolution":32},{"layer_type":"lstm"}]', "unknown layer_type"),
    ("no channels", '[{"layer_type":"data","img_resolution":32},{"layer_type":"head","num_in_channels":3}]',
     "'num_out_channels' is missing"),
    ("zero channels", '[{"layer_type":"data","img_resolution":32},'
     '{"layer_type":"head","num_in_channels":3,"num_out_channels":0}]', "positive integer"),
    ("chain", '[{"layer_type":"data","img_resolution":32},{"layer_type":"head","num_in_channels":3,"num_out_channels":8},'
     '{"layer_type":"tail","num_in_channels":16,"num_out_channels":32,"num_classes":10}]', "must chain"),
    ("stride", '[{"layer_type":"data","img_resolution":32},{"layer_type":"head","num_in_channels":3,"num_out_channels":8},'
     '{"layer_type":"conv","num_in_channels":8,"num_out_channels":8,"stride":4,"kernel_size":3,"act":"relu"}]',
     "stride must be 1 or 2"),
]


@pytest.mark.parametrize("name, text, needle", BAD, ids=[b[0] for b in BAD])
def test_info_rejects_bad_files(tmp_path, name, text, needle):
    path = tmp_path / "missing.json" if text is None else _write(tmp_path, text)
    assert_usage_error(run("info", path), needle)


def test_export_bad_input_writes_nothing(tmp_path):
    bad = _write(tmp_path, "[]")
    out = tmp_path / "x.onnx"
    assert_usage_error(run("export", bad, "--onnx", out), "non-empty JSON list")
    assert not out.exists() and not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize(
    "args, needle",
    [
        (("info", "--preset", "resnet50"), "unknown preset"),
        (("sample", "--space", "nope", "--out", "x"), "unknown space"),
        (("sample", "--n", "0", "--out", "x"), "--n must be positive"),
        (("sample", "--n", "two", "--out", "x"), "invalid int value"),
        (("frobnicate",), "invalid choice"),
    ],
)
def test_cli_usage_errors(tmp_path, args, needle):
    res = run(*args, cwd=tmp_path)
    assert_usage_error(res, needle)
    assert not (tmp_path / "x").exists()
