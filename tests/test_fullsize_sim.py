"""Opt-in (`make test-full`): the full-size BCDNet layouts at a 32x32 input, built, C-simulated
and simulated in cocotb bit-exactly on one image. Too slow for `make test` (the measured time
is in the README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bnnforge.quant import models
from tests.conftest import run_cli
from tests.randomize import randomize_

pytestmark = pytest.mark.full


@pytest.mark.verilator
@pytest.mark.parametrize("name", ["bcdnet-a", "bcdnet-b"])
def test_full_size_layout_at_32x32_simulates_bit_exactly(name: str, tmp_path: Path) -> None:
    ckpt = tmp_path / f"{name}.pt"
    models.save(randomize_(models.create(name, input_size=32), seed=6, calibration_batches=1), ckpt, metrics={})
    out = tmp_path / "net"
    p = run_cli("build", str(ckpt), "--out", str(out), "--images", "1", timeout=3600)
    assert p.returncode == 0, p.stderr
    p = run_cli("csim", str(out), timeout=3600)
    assert p.returncode == 0 and "0 mismatching" in p.stdout, p.stdout + p.stderr
    p = run_cli("sim", str(out), "--images", "1", timeout=7200)
    assert p.returncode == 0, p.stdout + p.stderr
    v = json.loads((out / "report.json").read_text())["verification"]
    assert (v["golden_mismatches"], v["csim_mismatches"], v["rtl_mismatches"], v["rtl_images"]) == (0, 0, 0, 1)
