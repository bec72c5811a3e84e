"""Where memories go: the RTL places a stream buffer as its ram_style says (Yosys puts a
"ultra" FIFO and a "ultra" circular-shift buffer in URAM288 on UltraScale+, as the cost model
counts them), and place_memories moves FIFOs to UltraRAM when a part's block RAM is short; the
placed network stays bit-exact in RTL simulation and its HLS top binds the moved streams. When
block RAM is still short, place_memories banks sliced weight ROMs, most RAMB18s per LUT first."""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.dataflow import build_dataflow
from bnnforge.generator.emit.hls import write_hls
from bnnforge.generator.emit.rtl import FIFO_FILES, verilog_parameters
from bnnforge.generator.estimate import estimate_graph
from bnnforge.generator.hwops import DOMAIN
from bnnforge.generator.hwops.memory import fifo_cost, memory_cost
from bnnforge.generator.passes.folding import auto_folding
from bnnforge.generator.passes.memories import place_memories
from bnnforge.generator.passes.streams import edges
from bnnforge.generator.passes.width_converters import prepare_interconnect
from bnnforge.generator.report.devices import find_device
from bnnforge.generator.synth import synth_xilinx
from bnnforge.quant import models
from bnnforge.sim.runner import rtl_sources
from tests.randomize import randomize_
from tests.rtl_harness import run_graph_rtl, stitch_graph


def test_a_rom_never_goes_to_ultraram() -> None:
    # a URAM288 has no initial contents
    assert memory_cost(64, 1024, "rom", "ultra") == memory_cost(64, 1024, "rom", "block")
    assert memory_cost(64, 1024, "sync", "ultra")["uram"] == 1


@pytest.mark.yosys
@pytest.mark.parametrize("width,depth", [(16, 1500), (8, 6272), (72, 6000)])
def test_ultra_fifo_is_uram_in_yosys(width: int, depth: int) -> None:
    params = {"W": str(width), "DEPTH": str(depth), "RAM_STYLE": '"ultra"'}
    got = synth_xilinx("bnf_fifo", rtl_sources(*FIFO_FILES), params, family="xcup")
    want = fifo_cost(width, depth, "ultra")
    assert (got["uram"], got["bram18"]) == (want["uram"], 0)
    assert abs(got["lut"] - want["lut"]) <= 0.15 * got["lut"] + 2, (got, want)


@pytest.mark.yosys
def test_ultra_shift_buffer_is_uram_in_yosys() -> None:
    op = getCustomOp(helper.make_node("LongShortShift", ["x"], ["y"], domain=DOMAIN, dh=3, dw=3, PE=16,
                                      out_shape=[1, 7, 7, 256], out_dtype="BINARY", ram_style="ultra"))
    inst = op.rtl()
    values, files = verilog_parameters(inst)
    got = synth_xilinx(inst.module, rtl_sources(*inst.files), values, files, family="xcup")
    assert (got["uram"], got["bram18"]) == (op.estimate()["uram"], 0) == (1, 0)


@functools.lru_cache(maxsize=None)
def placed():  # noqa: ANN201
    """bcdnet-a-tiny at 256 cycles/frame on an xczu7ev with 3 BRAM18 too few."""
    model = randomize_(models.create("bcdnet-a-tiny"), seed=11)
    _, graph = build_dataflow(model, batch=3)
    graph, _ = auto_folding(graph, target_cycles=256)
    before = estimate_graph(graph, memory=False)["totals"]["estimate"]
    device = replace(find_device("xczu7ev"), bram18=before["bram18"] - 3)
    graph, notes = place_memories(graph, device)
    return graph, notes, before, device


def test_place_memories_moves_fifos_until_block_ram_fits() -> None:
    graph, notes, before, device = placed()
    after = estimate_graph(graph, memory=False)["totals"]["estimate"]
    ultra = [e for e in edges(prepare_interconnect(graph)) if e.ram_style == "ultra"]
    # the folded graph keeps no converters (FINN's export and a folding file need it so)
    assert not any(n.op_type == "WidthConverter" for n in graph.graph.node)
    assert notes and ultra
    assert after["bram18"] <= device.bram18 < before["bram18"]
    assert after["uram"] == sum(fifo_cost(e.width, e.depth, "ultra")["uram"] for e in ultra)
    # nothing moves where block RAM suffices
    graph2, notes2 = place_memories(graph, replace(device, bram18=10 ** 6))
    assert notes2 == []


def test_placed_network_rtl_and_hls_name_the_placement(tmp_path: Path) -> None:
    graph, *_ = placed()
    n = sum(e.ram_style == "ultra" for e in edges(prepare_interconnect(graph)))
    top_file = stitch_graph(graph, "placed")[0]
    assert top_file.read_text().count('.RAM_STYLE("ultra")') == n
    assert write_hls(graph, tmp_path, "placed").read_text().count("impl = uram") == n


@pytest.mark.parametrize("simulator", ["icarus"])
def test_placed_network_rtl_random_stalls(simulator: str) -> None:
    graph, *_ = placed()
    x = np.random.default_rng(12).integers(0, 256, graph.get_tensor_shape(graph.graph.input[0].name))
    run_graph_rtl(graph, simulator, x, stall=0.2, seed=13, top="placed")


def _two_mvaus() -> ModelWrapper:
    """Two 1x1 BinaryMVAUs with 1152-word weight ROMs, sliced by default: 96 bits wide (11
    RAMB18; banked 9, for a 96-LUT multiplexer and the input vector's LUTRAM, which the sliced
    ROM holds in its spare rows) and 32 (4; banked 3, for 32 LUT and the same)."""
    layers = [(576, 192, 12, 8), (192, 192, 4, 8)]  # MW, MH, PE, SIMD
    nodes = []
    for i, (mw, mh, pe, simd) in enumerate(layers):
        src, dst = ("x", "h") if i == 0 else ("h", "y")
        nodes.append(helper.make_node("BinaryMVAU", [src, f"w{i}", f"t{i}"], [dst], name=f"mvau{i}", domain=DOMAIN,
                                      MW=mw, MH=mh, PE=pe, SIMD=simd, out_shape=[1, 2, 1, mh], out_dtype="BINARY",
                                      thresholds=1))
    graph = helper.make_graph(nodes, "two", [helper.make_tensor_value_info("x", 1, [1, 2, 1, 576])],
                              [helper.make_tensor_value_info("y", 1, [1, 2, 1, 192])])
    model = ModelWrapper(helper.make_model(graph))
    rng = np.random.default_rng(0)
    for i, (mw, mh, _, _) in enumerate(layers):
        model.set_initializer(f"w{i}", rng.integers(0, 2, (mh, mw)).astype(np.float32))
        model.set_initializer(f"t{i}", rng.integers(-8, 9, mh).astype(np.float32))
    model.set_tensor_shape("h", [1, 2, 1, 192])
    return model


def test_place_memories_banks_weight_roms_most_ramb18_per_lut_first() -> None:
    model = _two_mvaus()
    ops = [getCustomOp(n) for n in model.graph.node]
    assert [op.weight_slice_bits() for op in ops] == [9, 9]
    sliced = [op.estimate() for op in ops]
    for op in ops:
        op.set_nodeattr("weight_layout", "banked")
    banked = [op.estimate() for op in ops]
    assert [(s["bram18"] - b["bram18"], b["lut"] - s["lut"]) for s, b in zip(sliced, banked)] == [(2, 128), (1, 48)]
    model = _two_mvaus()
    used = estimate_graph(model, memory=False)["totals"]["estimate"]["bram18"]
    # one RAMB18 short, on a part without UltraRAM: the second ROM, which saves more per LUT
    device = replace(find_device("xc7z020"), bram18=used - 1)
    model, notes = place_memories(model, device)
    assert [getCustomOp(n).get_nodeattr("weight_layout") for n in model.graph.node] == ["sliced", "banked"]
    assert notes == [f"Weight ROMs: 1 banked (fewest block RAMs, a read multiplexer each), freeing 1 BRAM18 for "
                     f"48 LUT ({used:,} -> {used - 1:,} of {used - 1:,})"]
    assert estimate_graph(model, memory=False)["totals"]["estimate"]["bram18"] == used - 1
    # both when that is not enough; none when block RAM suffices
    model, _ = place_memories(_two_mvaus(), replace(device, bram18=used - 2))
    assert [getCustomOp(n).get_nodeattr("weight_layout") for n in model.graph.node] == ["banked", "banked"]
    assert place_memories(_two_mvaus(), replace(device, bram18=used))[1] == []
