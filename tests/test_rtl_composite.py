"""Stitched dataflow modules (generator/emit/rtl.py, generator/emit/hls.py): several ops joined by FIFOs behave like
their graph's golden model word for word under random stalls, on Icarus and Verilator."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper

from bnnforge.generator.hwops import DOMAIN
from tests.rtl_harness import run_graph_rtl


# elements per word of (sign, shift, MVAU input): one width everywhere, or three that need
# width converters between them
FOLDINGS = {"matched": (4, 4, 4), "converted": (4, 2, 8)}


def chain(frames: int, folding: str = "matched") -> ModelWrapper:
    """Thresholding -> LongShortShift -> 1x1 BinaryMVAU on a 5x3x16 stream (odd sizes)."""
    pe_sign, pe_shift, simd = FOLDINGS[folding]
    h, w, c, mh = 5, 3, 16, 8
    rng = np.random.default_rng(0)
    nodes = [
        helper.make_node("Thresholding", ["x", "t"], ["b"], name="sign", domain=DOMAIN, PE=pe_sign, in_bits=12,
                         out_shape=[frames, h, w, c], out_dtype="BINARY"),
        helper.make_node("LongShortShift", ["b"], ["s"], name="shift", domain=DOMAIN, dh=h // 2, dw=w // 2, PE=pe_shift,
                         out_shape=[frames, h, w, c], out_dtype="BINARY"),
        helper.make_node("BinaryMVAU", ["s", "wt"], ["y"], name="mvau", domain=DOMAIN, MW=c, MH=mh, PE=2, SIMD=simd,
                         out_shape=[frames, h, w, mh], out_dtype="INT6"),
    ]
    graph = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", 1, [frames, h, w, c])],
                              [helper.make_tensor_value_info("y", 1, [frames, h, w, mh])])
    model = ModelWrapper(helper.make_model(graph))
    model.set_initializer("t", rng.integers(-100, 100, c).astype(np.float32))
    model.set_initializer("wt", rng.integers(0, 2, (mh, c)).astype(np.float32))
    for t, shape in (("b", [frames, h, w, c]), ("s", [frames, h, w, c])):
        model.set_tensor_shape(t, shape)
    return model


@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
@pytest.mark.parametrize("folding", list(FOLDINGS))
def test_chain_random_stalls(folding: str, simulator: str) -> None:
    frames = 18
    x = np.random.default_rng(1).integers(-2048, 2048, (frames, 5, 3, 16))
    res = run_graph_rtl(chain(frames, folding), simulator, x, stall=0.3, seed=2)
    assert res["words"][0] >= 1000


@pytest.mark.parametrize("folding", list(FOLDINGS))
def test_chain_runs_at_its_slowest_op_rate(folding: str) -> None:
    """No FIFO or handshake in the stitched module costs throughput: frames leave exactly
    as fast as the slowest op's cost model allows."""
    from qonnx.custom_op.registry import getCustomOp

    frames = 4
    model = chain(frames, folding)
    x = np.random.default_rng(3).integers(-2048, 2048, (frames, 5, 3, 16))
    outs = run_graph_rtl(model, "verilator", x, stall=0.0)["stamps"]["out0_V"]
    per_frame = len(outs) // frames
    ends = [outs[(f + 1) * per_frame - 1] for f in range(frames)]
    slowest = max(getCustomOp(n).cycles() for n in model.graph.node)
    assert {b - a for a, b in zip(ends, ends[1:])} == {slowest}


@pytest.mark.parametrize("folding", list(FOLDINGS))
def test_chain_hls_csim(folding: str, tmp_path) -> None:  # noqa: ANN001
    from qonnx.core.onnx_exec import execute_onnx

    from bnnforge.sim.csim import run_csim
    from bnnforge.generator.emit.hls import write_hls
    from tests.rtl_harness import graph_io_ops

    frames = 10
    model = chain(frames, folding)
    x = np.random.default_rng(4).integers(-2048, 2048, (frames, 5, 3, 16))
    want = execute_onnx(model, {"x": x.astype(np.float32)})["y"].astype(np.int64)
    write_hls(model, tmp_path, "composite")
    (cons,), (prod,) = graph_io_ops(model)
    ins, outs = cons.in_ports()[:1], prod.out_ports()[:1]
    assert run_csim(tmp_path, "composite", ins, outs, cons.in_words(x), frames) == prod.out_words(want)
