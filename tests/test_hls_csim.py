"""HLS C-simulation (g++ with hls4ml's ap_types headers) of the op templates, bit-exact
with the golden models, same stream words as the RTL."""

from __future__ import annotations

from pathlib import Path

import pytest

from bnnforge.sim.csim import csim
from tests import test_rtl_mvau, test_rtl_shift


@pytest.mark.parametrize("case", list(test_rtl_mvau.CASES))
def test_binary_mvau_csim(case: str, tmp_path: Path) -> None:
    frames = 40
    mvau, (x,), params, want = test_rtl_mvau.build_case(case, frames=frames, seed=21)
    got = csim(mvau, "mvau", mvau.in_words(x), frames, tmp_path, params)
    assert got == mvau.out_words(want)


@pytest.mark.parametrize("case", list(test_rtl_shift.CASES))
def test_long_short_shift_csim(case: str, tmp_path: Path) -> None:
    frames = 30
    op, x, want = test_rtl_shift.build(case, frames, seed=4)
    got = csim(op, "shift", op.in_words(x), frames, tmp_path)
    assert got == op.out_words(want)
