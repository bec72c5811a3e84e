"""The stitcher's FIFO passes every word once, in order, under random stalls, at one word
per cycle with its 2-cycle pass-through (the depths the stitcher computes rely on it)."""

from __future__ import annotations

import random

import pytest

from bnnforge.generator.emit.rtl import FIFO_FILES
from bnnforge.sim.runner import rtl_sources, run_stream_test
from tests.rtl_harness import BUILD_ROOT

CASES = {"w8_d2": (8, 2), "w17_d5": (17, 5), "w64_d32": (64, 32)}


def run(case: str, simulator: str, words: int, stall: float) -> dict:
    width, depth = CASES[case]
    rng = random.Random(depth)
    data = [rng.getrandbits(width) for _ in range(words)]
    tw = (width + 7) // 8 * 8
    vectors = {"inputs": {"in0_V": data}, "outputs": {"out0_V": data}, "stall": stall, "seed": 3,
               "timeout_cycles": 50 * words + 1000}
    return run_stream_test(simulator, "bnf_fifo", rtl_sources(*FIFO_FILES), {"W": tw, "DEPTH": depth}, vectors,
                           BUILD_ROOT)


@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
@pytest.mark.parametrize("case", list(CASES))
def test_fifo_random_stalls(case: str, simulator: str) -> None:
    run(case, simulator, 1000, stall=0.3)
    if simulator == "verilator":
        stamps = run(case, simulator, 50, stall=0.0)["stamps"]
        ins, outs = stamps["in0_V"], stamps["out0_V"]
        assert outs == [t + 2 for t in ins] and outs[-1] - outs[0] == 49
