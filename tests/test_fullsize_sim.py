"""Opt-in (`make test-full`): the full-size BCDNet layouts at a 32x32 input, built, C-simulated
and simulated in cocotb (Verilator) bit-exactly on one image. Too slow for `make test` (the
measured times are in the README).

The build is folded to 8192 cycles/frame on an xcu250 (bcdnet-b at 32x32 needs 4,683 BRAM18,
more than an xcvu9p's 4,320): at the default one pixel per cycle (1024 cycles/frame, 376k LUT)
Verilator's C++ for the stitched top does not compile in reasonable time on 2 cores; at 8192
(about 100k LUT) it is 52 files, 28 MB."""

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
    p = run_cli("build", str(ckpt), "--out", str(out), "--images", "1", "--target-cycles", "8192", "--part", "xcu250",
                timeout=3600)
    assert p.returncode == 0, p.stderr
    p = run_cli("csim", str(out), timeout=3600)
    assert p.returncode == 0 and "0 mismatching" in p.stdout, p.stdout + p.stderr
    p = run_cli("sim", str(out), "--simulator", "verilator", "--images", "1", timeout=7200)
    assert p.returncode == 0, p.stdout + p.stderr
    v = json.loads((out / "report.json").read_text())["verification"]
    assert (v["golden_mismatches"], v["csim_mismatches"], v["rtl_mismatches"], v["rtl_images"]) == (0, 0, 0, 1)
