"""The ``gpunet-ray`` console script (setup.cfg ``console_scripts``): its subcommands are the
``python -m gpunet_ray.<x>`` tools, which keep working; usage errors exit 2 with one line."""

import subprocess
import sys
from pathlib import Path

import pytest

from gpunet_ray.console import SUBCOMMANDS, main

pytestmark = pytest.mark.timeout(120)
SCRIPT = Path(sys.executable).parent / "gpunet-ray"


def script(*args):
    if not SCRIPT.is_file():
        pytest.skip(f"{SCRIPT} is not installed (run: pip install -e .)")
    return subprocess.run([str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=120)


def one_line_error(res, needle):
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert needle in lines[0]


def test_installed_script_lists_the_subcommands():
    assert list(SUBCOMMANDS) == ["search", "hub", "arch", "latency", "data", "bench"]
    res = script("--help")
    assert res.returncode == 0, res.stderr
    for name, (module, _) in SUBCOMMANDS.items():
        assert f"  {name} " in res.stdout and f"python -m {module.removesuffix('.__main__')}" in res.stdout


def test_unknown_or_missing_subcommand_exits_2_with_one_line():
    one_line_error(script("frob"), "unknown subcommand 'frob'; use one of search, hub, arch, latency, data, bench")
    one_line_error(script(), "a subcommand is required")


def test_subcommands_run_the_module_tools():
    res = script("arch", "presets")
    same = subprocess.run([sys.executable, "-m", "gpunet_ray.arch", "presets"], capture_output=True, text=True,
                          timeout=120)
    assert res.returncode == same.returncode == 0 and res.stdout == same.stdout and "gpunet-0" in res.stdout
    one_line_error(script("hub", "list", "--hub", "/nonexistent/hub"), "holds no hub")


@pytest.mark.parametrize("name", list(SUBCOMMANDS))
def test_every_subcommand_dispatches(name, capsys):
    try:
        rc = main([name, "--help"])
    except SystemExit as exc:  # argparse's --help
        rc = exc.code
    assert rc == 0
    assert "usage" in capsys.readouterr().out.lower()


def test_errors_of_a_subcommand_are_one_line(capsys):
    assert main(["data", "check", "/nonexistent/data"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "/nonexistent/data" in err[0]
    assert main(["arch", "--no-such-flag"]) == 2
    assert "gpunet-ray: error:" in capsys.readouterr().err


def test_python_dash_m_gpunet_ray_is_the_same_command():
    res = subprocess.run([sys.executable, "-m", "gpunet_ray", "--help"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "subcommands:" in res.stdout
