"""HLS C-simulation (g++ with hls4ml's ap_types headers) of the op templates, bit-exact
with the golden models, same stream words as the RTL, and at the RTL's rate in the HLS
loop-trip model (hw/hls/bnf_trips.h)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bnnforge.sim.csim import csim, parse_trips, trips_per_frame
from bnnforge.generator.emit.hls import hls_dir
from bnnforge.quant.errors import BnnforgeError
from tests import test_rtl_mvau, test_rtl_shift
from tests.rtl_harness import assert_hls_rate


@pytest.mark.parametrize("case", [*test_rtl_mvau.CASES, *test_rtl_mvau.WIDE_CASES])
def test_binary_mvau_csim(case: str, tmp_path: Path) -> None:
    frames = 40
    mvau, (x,), params, want = test_rtl_mvau.build_case(case, frames=frames, seed=21)
    got, trips = csim(mvau, "mvau", mvau.in_words(x), frames, tmp_path, params, trips=True)
    assert got == mvau.out_words(want)
    assert_hls_rate(mvau, trips)


@pytest.mark.parametrize("case", list(test_rtl_shift.CASES))
def test_long_short_shift_csim(case: str, tmp_path: Path) -> None:
    frames = 30
    op, x, want = test_rtl_shift.build(case, frames, seed=4)
    got, trips = csim(op, "shift", op.in_words(x), frames, tmp_path, trips=True)
    assert got == op.out_words(want)
    assert trips == {"load": op.cycles(), "store": op.cycles()}  # two processes, a frame each
    assert_hls_rate(op, trips)


def test_trip_check_fails_on_a_slow_template_csim(tmp_path: Path) -> None:
    """The rate check can fail: the shift template with its load and store loops in one
    process (no DATAFLOW ping-pong, 2 trips per word) is still bit-exact but too slow. The
    variant, a copy in the work directory, shadows hw/hls for the generated top's include."""
    text = (hls_dir() / "bnf_long_short_shift.h").read_text()
    assert text.count('"store"') == 1
    (tmp_path / "bnf_long_short_shift.h").write_text(text.replace('"store"', '"load"'))
    op, x, want = test_rtl_shift.build("short_5x7", 3, seed=4)
    got, trips = csim(op, "shift", op.in_words(x), 3, tmp_path, trips=True)
    assert got == op.out_words(want)
    assert trips == {"load": 2 * op.cycles()}
    with pytest.raises(AssertionError, match="cycles"):
        assert_hls_rate(op, trips)


def test_trip_lines_parse() -> None:
    text = "garbage\nTRIP conv0 folds 120\nTRIP shift0 load 60\nTRIP shift0 store 60\n"
    assert parse_trips(text) == {"conv0": {"folds": 120}, "shift0": {"load": 60, "store": 60}}
    assert trips_per_frame({"load": 60, "store": 60}, 3) == {"load": 20, "store": 20}
    with pytest.raises(BnnforgeError, match="per frame"):
        trips_per_frame({"folds": 121}, 3, "conv0")
    with pytest.raises(BnnforgeError, match="malformed"):
        parse_trips("TRIP conv0 folds")
