import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_GPUNET = ROOT.parent / "shared" / "reference" / "gpunet"


@pytest.fixture(scope="session")
def shared_gpunet() -> Path:
    """NVIDIA's released GPUNet-0/1/2 JSON files (../shared); the test skips when absent."""
    if not (SHARED_GPUNET / "GPUNet-0.json").is_file():
        pytest.skip(f"reference JSONs not found at {SHARED_GPUNET} (../shared is absent)")
    return SHARED_GPUNET


@pytest.fixture(autouse=True, scope="session")
def _quiet_threads():
    # 2-core CI box: keep torch from oversubscribing when several processes run.
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    yield
