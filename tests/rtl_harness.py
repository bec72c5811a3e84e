"""Shared by the RTL tests: run a hardware op's RTL under cocotb against its golden model."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from bnnforge.generator.emit.rtl import verilog_parameters, write_memories
from bnnforge.generator.hwops.ports import in_port, out_port
from bnnforge.sim.csim import param_tuple
from bnnforge.sim.runner import lint_rtl, rtl_sources, run_stream_test

BUILD_ROOT = Path(__file__).resolve().parent.parent / ".sim_build"


def simulator_params(cases: list, verilator: set[str], reason: str = "") -> list:
    """Parameters (*case, simulator) of an op's RTL test: every case in Icarus, and in
    Verilator the cases named in `verilator` (a case is a value, or a tuple of values named
    "a-b"). Those are the cases whose RTL differs in structure (another generate branch,
    memory form or word layout); Verilator on the others repeats a structure it already
    simulates, at a C++ build of ~5 s each, and is `make test-full`'s (marker `full`;
    `reason` says otherwise where Verilator runs the structure elsewhere)."""
    def name(case) -> str:  # noqa: ANN001
        return "-".join(map(str, case)) if isinstance(case, tuple) else str(case)

    unknown = set(verilator) - {name(c) for c in cases}
    if unknown:
        raise ValueError(f"no such cases for Verilator: {sorted(unknown)}")
    repeat = pytest.mark.full(reason=reason or "Verilator on an RTL structure another case simulates in Verilator")
    params = []
    for case in cases:
        values = case if isinstance(case, tuple) else (case,)
        params.append(pytest.param(*values, "icarus", id=f"{name(case)}-icarus"))
        params.append(pytest.param(*values, "verilator", id=f"{name(case)}-verilator",
                                   marks=() if name(case) in verilator else repeat))
    return params


def assert_hls_rate(op, trips: dict[str, int]) -> None:  # noqa: ANN001
    """The HLS cycle model of a C-simulated template (hw/hls/bnf_trips.h): its slowest
    process's loop trips per frame (`csim(..., trips=True)`) equal the op's cycles(), the
    frame interval its RTL is verified to meet."""
    assert trips, f"{op.layer_name()}: no loop trips reported"
    assert max(trips.values()) == op.cycles(), (
        f"{op.layer_name()}: HLS loop trips per frame {trips}, slowest {max(trips.values())}; "
        f"cycles() {op.cycles()}")


def run_op_rtl(op, simulator: str, inputs: list[np.ndarray], weights: np.ndarray | None, expected: np.ndarray,
               stall: float, seed: int = 0) -> dict:  # noqa: ANN001
    """Drive the op's RTL with `inputs` (golden-model tensors), compare with `expected`.

    `weights`: none, the op's one parameter tensor, or a tuple of them in input order.
    `op.in_words` / `op.out_words` return one word list (ports in0_V / out0_V) or a dict
    {port: words} for ops with several streams. On Verilator the instance is first linted
    with -Wall (lint_rtl)."""
    inst = op.rtl(*param_tuple(weights))
    _, files = verilog_parameters(inst)
    # memory files named by content: parallel workers and repeated runs share them
    digest = hashlib.sha1("".join(sorted(files.values())).encode()).hexdigest()[:12]
    mem_dir = BUILD_ROOT / "mem" / digest
    params, files = verilog_parameters(inst, mem_dir=mem_dir)
    write_memories(files, mem_dir)
    sources = rtl_sources(*inst.files)
    if simulator == "verilator":  # what the generator emits is -Wall clean
        lint_rtl(inst.module, sources, params)
    in_words = op.in_words(*inputs)
    streams = in_words if isinstance(in_words, dict) else {in_port(0): in_words}
    out_words = op.out_words(expected)
    outs = out_words if isinstance(out_words, dict) else {out_port(0): out_words}
    vectors = {"inputs": streams, "outputs": outs, "stall": stall, "seed": seed,
               "timeout_cycles": 50 * (sum(map(len, streams.values())) + sum(map(len, outs.values()))) + 1000}
    return run_stream_test(simulator, inst.module, sources, params, vectors, BUILD_ROOT)


def frame_intervals(outs: list[int], frames: int) -> list[int]:
    """Cycles between the last output words of successive frames (`outs`: the handshake
    stamps of every output word of `frames` frames)."""
    per_frame = len(outs) // frames
    ends = [outs[(f + 1) * per_frame - 1] for f in range(frames)]
    return [b - a for a, b in zip(ends, ends[1:])]


def assert_cycles(op, stamps: dict, frames: int) -> None:  # noqa: ANN001
    """With no stalls: successive frames end op.cycles() apart (the initiation interval)
    and the first output word leaves op.latency() cycles after the first input word."""
    outs = stamps[out_port(0)]
    first_in = min(words[0] for port, words in stamps.items() if port.startswith("in") and words)
    ii = set(frame_intervals(outs, frames))
    assert ii == {op.cycles()}, f"{op.onnx_node.op_type}: frames end {sorted(ii)} cycles apart, model {op.cycles()}"
    assert outs[0] - first_in == op.latency(), \
        f"{op.onnx_node.op_type}: latency {outs[0] - first_in}, model {op.latency()}"


def verify_op_rtl(build, simulator: str, stall_frames: int, seed: int = 0, timed_frames: int = 3) -> None:  # noqa: ANN001
    """The standard RTL check of one op and parameter set.

    `build(frames, seed)` returns (op, inputs, weights, expected); it must draw the
    op's parameters (weights, thresholds) independently of `seed`, so both runs below share
    one simulator build. Random stalls: `stall_frames` frames with 30% TVALID gaps and
    TREADY backpressure, every word compared. On Icarus also a stall-free run whose
    handshake times must match the cost model (`assert_cycles`): every case runs in Icarus
    (simulator_params), and both simulators count the same clock edges."""
    op, inputs, weights, want = build(stall_frames, seed)
    run_op_rtl(op, simulator, inputs, weights, want, stall=0.3, seed=seed + 1)
    if simulator == "icarus":
        op, inputs, weights, want = build(timed_frames, seed + 2)
        stamps = run_op_rtl(op, simulator, inputs, weights, want, stall=0.0)["stamps"]
        assert_cycles(op, stamps, timed_frames)


def graph_io_ops(model) -> tuple[list, list]:  # noqa: ANN001
    """(consumer op of each graph input, producer op of each graph output): they pack the
    top's stream words."""
    from qonnx.custom_op.registry import getCustomOp

    ins = [getCustomOp(next(n for n in model.graph.node if i.name in n.input)) for i in model.graph.input]
    outs = [getCustomOp(next(n for n in model.graph.node if o.name in n.output)) for o in model.graph.output]
    return ins, outs


def _pack(op, arr: np.ndarray, which: str, tensor: str) -> list[int]:  # noqa: ANN001
    """Words of one tensor as the op packs it on the port carrying `tensor`."""
    node = op.onnx_node
    if which == "in":
        if node.input[0] != tensor:
            raise NotImplementedError(f"graph input {tensor} feeds a second port of {node.name}")
        words = op.in_words(arr)
        return words if isinstance(words, list) else words[in_port(0)]
    words = op.out_words(arr)
    return words if isinstance(words, list) else words[out_port(list(node.output).index(tensor))]


def stitch_graph(model, top: str = "composite") -> list[Path]:  # noqa: ANN001
    """The stitched top of `model` and the library files it uses (written once per graph)."""
    from bnnforge.generator.emit.rtl import write_rtl

    digest = hashlib.sha1(model.model.SerializeToString()).hexdigest()[:12]
    outdir = BUILD_ROOT / "stitch" / os.environ.get("PYTEST_XDIST_WORKER", "main") / digest
    top_file, lib = write_rtl(model, outdir, top, source="a bnnforge test graph")
    return [top_file, *rtl_sources(*lib)]


def run_graph_rtl(model, simulator: str, x: np.ndarray, stall: float, seed: int = 0, top: str = "composite") -> dict:  # noqa: ANN001
    """Stitch `model` (one input, one output), simulate it on `x` (the input tensor's codes)
    and compare every output word with the golden model (execute_onnx of the graph)."""
    from qonnx.core.onnx_exec import execute_onnx

    inp, out = model.graph.input[0].name, model.graph.output[0].name
    want = execute_onnx(model, {inp: x.astype(np.float32)})[out].astype(np.int64)
    sources = stitch_graph(model, top)
    (cons,), (prod,) = graph_io_ops(model)
    in_words = _pack(cons, x, "in", inp)
    out_words = _pack(prod, want, "out", out)
    vectors = {"inputs": {in_port(0): in_words}, "outputs": {out_port(0): out_words}, "stall": stall,
               "seed": seed, "timeout_cycles": 200 * (len(in_words) + len(out_words)) + 20000}
    if simulator == "verilator":
        lint_rtl(top, sources, {})
    res = run_stream_test(simulator, top, sources, {}, vectors, BUILD_ROOT)
    res["want"] = want
    res["words"] = (len(in_words), len(out_words))
    return res
