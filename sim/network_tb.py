"""cocotb test bench of a whole bnnforge network (or any RTL with its stream ports: hand
written, stitched by bnnforge or made by Vivado HLS from DIR/hls).

Stand-alone: it needs cocotb and cocotbext-axi only, so `bnnforge build` copies it into
DIR/rtl/tb where cocotb's own flow runs it (`make SIM=icarus`). It reads the test images'
stream words and the golden output words from tb_data (in0_V.hex, out0_V.hex,
tb_data.json), drives in0_V with random TVALID gaps, applies random TREADY backpressure on
out0_V, and compares every output word. A mismatching image is counted and reported, not
raised: the test fails only on a protocol fault (a lost or extra word, a timeout).

Environment (all optional):
    BNF_TB_DATA   tb_data directory (default: ../../tb_data from this file, i.e. DIR/tb_data)
    BNF_IMAGES    simulate the first N images (default: all)
    BNF_STALL     probability of a gap / backpressure cycle on each side (default 0.2)
    BNF_SEED      random seed of the stalls (default 0)
    BNF_RESULT    write the result (mismatches, cycles) as JSON to this file
    BNF_PROGRESS  append one line per finished image to this file
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout
from cocotbext.axi import AxiStreamBus, AxiStreamSink, AxiStreamSource

CLOCK, RESET_N, IN, OUT = "ap_clk", "ap_rst_n", "in0_V", "out0_V"
CLOCK_NS = 10


def _tb_dir() -> Path:
    default = Path(__file__).resolve().parent.parent.parent / "tb_data"
    return Path(os.environ.get("BNF_TB_DATA", default))


def _words(path: Path) -> list[int]:
    return [int(line, 16) for line in path.read_text().split()]


def _pauses(rng: random.Random, p: float):  # noqa: ANN202
    while True:
        yield rng.random() < p


async def _stamp(dut, prefix: str, stamps: list[int]) -> None:  # noqa: ANN001
    """The cycle of every handshake on one port (cycle 0: the first after reset)."""
    clk = getattr(dut, CLOCK)
    valid, ready = getattr(dut, f"{prefix}_TVALID"), getattr(dut, f"{prefix}_TREADY")
    cycle = 0
    while True:
        await RisingEdge(clk)
        if valid.value == 1 and ready.value == 1:
            stamps.append(cycle)
        cycle += 1


async def _read(sink: AxiStreamSink, n: int) -> list[int]:
    words: list[int] = []
    while len(words) < n:
        words.extend(int(w) for w in await sink.read(n - len(words)))
    return words


@cocotb.test()
async def network_matches_golden(dut) -> None:  # noqa: ANN001
    tb_dir = _tb_dir()
    meta = json.loads((tb_dir / "tb_data.json").read_text())
    n_in, n_out = meta["in_words_per_image"], meta["out_words_per_image"]
    images = min(int(os.environ.get("BNF_IMAGES", meta["images"])), meta["images"])
    words_in = _words(tb_dir / "in0_V.hex")[:images * n_in]
    want = _words(tb_dir / "out0_V.hex")[:images * n_out]
    stall = float(os.environ.get("BNF_STALL", "0.2"))
    rng = random.Random(int(os.environ.get("BNF_SEED", "0")))
    progress = os.environ.get("BNF_PROGRESS")

    clk, rst_n = getattr(dut, CLOCK), getattr(dut, RESET_N)
    cocotb.start_soon(Clock(clk, CLOCK_NS, unit="ns").start())
    rst_n.value = 0
    source = AxiStreamSource(AxiStreamBus.from_prefix(dut, IN), clk, rst_n, reset_active_level=False, byte_lanes=1)
    sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, OUT), clk, rst_n, reset_active_level=False, byte_lanes=1)
    if stall:
        source.set_pause_generator(_pauses(rng, stall))
        sink.set_pause_generator(_pauses(rng, stall))
    await ClockCycles(clk, 4)
    rst_n.value = 1
    await ClockCycles(clk, 2)
    stamps_in: list[int] = []
    stamps_out: list[int] = []
    cocotb.start_soon(_stamp(dut, IN, stamps_in))
    cocotb.start_soon(_stamp(dut, OUT, stamps_out))
    cocotb.start_soon(source.send(words_in))

    # a frame may take as long as its slowest layer plus the pipeline: give each image the
    # build's estimate many times over (stalls included) before calling it a hang
    per_image = 8 * int(meta.get("cycles_per_frame_estimate") or 50 * n_in) + 20 * (n_in + n_out)
    first = 8 * int(meta.get("latency_estimate") or 0) + per_image
    mismatches = []
    for image in range(images):
        budget = (first if image == 0 else per_image) * CLOCK_NS
        got = await with_timeout(_read(sink, n_out), budget, "ns")
        ref = want[image * n_out:(image + 1) * n_out]
        bad = [i for i, (a, b) in enumerate(zip(got, ref)) if a != b]
        if bad:
            mismatches.append({"image": image, "word": bad[0], "got": f"{got[bad[0]]:x}", "want": f"{ref[bad[0]]:x}"})
        if progress:
            with open(progress, "a") as f:
                f.write(f"{image}\n")
    await ClockCycles(clk, 20)
    extra = sink.count()
    assert extra == 0, f"{OUT}: {extra} words more than the {images * n_out} expected"

    ends = [stamps_out[(k + 1) * n_out - 1] for k in range(images)]
    intervals = [b - a for a, b in zip(ends, ends[1:])]
    result = {"images": images, "stall": stall, "mismatches": mismatches,
              "cycles_per_frame": sorted(intervals)[len(intervals) // 2] if intervals else None,
              "latency": ends[0] - stamps_in[0] if images else None,
              "total_cycles": ends[-1] - stamps_in[0] if images else None}
    dut._log.info("%d images, %d mismatching, cycles per frame %s, latency %s", images, len(mismatches),
                  result["cycles_per_frame"], result["latency"])
    if "BNF_RESULT" in os.environ:
        Path(os.environ["BNF_RESULT"]).write_text(json.dumps(result, indent=2))
