"""Generic cocotb testbench for one bnnforge stream op (hand RTL or HLS-made RTL alike).

The vectors file (env BNF_VECTORS, JSON) names the input and output AXI-stream ports (the
Vivado HLS names, e.g. in0_V and out_V, with _TDATA/_TVALID/_TREADY), the words to send and
the words expected. cocotbext-axi sources drive the inputs with random TVALID gaps, a sink
applies random TREADY backpressure, and the scoreboard fails on any lost, duplicated or
wrong word. Handshake cycles are written to env BNF_RESULT for the cycle checks.
"""

from __future__ import annotations

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout
from cocotbext.axi import AxiStreamBus, AxiStreamSink, AxiStreamSource

from bnnforge.generator.hwops.ports import CLOCK, RESET_N


def _pauses(rng: random.Random, p: float):  # noqa: ANN202
    while True:
        yield rng.random() < p


async def _watch(dut, prefix: str, stamps: list[int], counter: list[int]) -> None:  # noqa: ANN001
    valid, ready = getattr(dut, f"{prefix}_TVALID"), getattr(dut, f"{prefix}_TREADY")
    while True:
        await RisingEdge(getattr(dut, CLOCK))
        if valid.value == 1 and ready.value == 1:
            stamps.append(counter[0])


async def _count(dut, counter: list[int]) -> None:  # noqa: ANN001
    while True:
        await RisingEdge(getattr(dut, CLOCK))
        counter[0] += 1


async def _read(sink: AxiStreamSink, n: int) -> list:
    words: list = []
    while len(words) < n:
        words.extend(await sink.read(n - len(words)))
    return words


@cocotb.test()
async def stream_matches_golden(dut) -> None:  # noqa: ANN001
    spec = json.loads(open(os.environ["BNF_VECTORS"]).read())
    rng = random.Random(spec.get("seed", 0))
    clk, rst_n = getattr(dut, CLOCK), getattr(dut, RESET_N)
    cocotb.start_soon(Clock(clk, 10, unit="ns").start())
    rst_n.value = 0
    sources = {p: AxiStreamSource(AxiStreamBus.from_prefix(dut, p), clk, rst_n, reset_active_level=False,
                                  byte_lanes=1) for p in spec["inputs"]}
    sinks = {p: AxiStreamSink(AxiStreamBus.from_prefix(dut, p), clk, rst_n, reset_active_level=False,
                              byte_lanes=1) for p in spec["outputs"]}
    stall = float(spec.get("stall", 0.0))
    for s in [*sources.values(), *sinks.values()]:
        if stall:
            s.set_pause_generator(_pauses(rng, stall))
    await ClockCycles(clk, 4)
    rst_n.value = 1
    await ClockCycles(clk, 2)
    counter = [0]
    cocotb.start_soon(_count(dut, counter))
    # and any internal streams the caller names (a stitched top's s_<node>_<port> wires)
    stamps = {p: [] for p in [*spec["inputs"], *spec["outputs"], *spec.get("watch", [])]}
    for p in stamps:
        cocotb.start_soon(_watch(dut, p, stamps[p], counter))
    for p, words in spec["inputs"].items():
        await sources[p].send(words)
    got = {}
    for p, want in spec["outputs"].items():
        got[p] = [int(w) for w in await with_timeout(_read(sinks[p], len(want)), spec["timeout_cycles"] * 10, "ns")]
    await ClockCycles(clk, 20)  # anything extra would be a duplicated word
    for p, want in spec["outputs"].items():
        extra = sinks[p].count()
        assert extra == 0, f"{p}: {extra} words more than the {len(want)} expected"
        bad = [i for i, (a, b) in enumerate(zip(got[p], want)) if a != b]
        assert not bad, (f"{p}: {len(bad)} wrong words, first at {bad[0]}: got {got[p][bad[0]]:#x}, "
                         f"want {want[bad[0]]:#x}")
    if "BNF_RESULT" in os.environ:
        with open(os.environ["BNF_RESULT"], "w") as f:
            json.dump({"stamps": stamps}, f)
