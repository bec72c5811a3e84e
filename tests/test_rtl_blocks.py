"""The network blocks the issue names as composites, stitched from the op library and
simulated against their graph's golden model under random stalls:

- BCDNet's binary MLP block: sign, fork into three branches (plain, and the long and short
  circular shifts), three 1x1 binary convs, per-branch scales summed and batch-normed in one
  FixedAffine, residual add with the skip path buffered, RPReLU;
- BCDNet-B's dynamic-threshold unit: the frame waits in DynamicSign's frame buffer while the
  global average pool and the context maps compute this frame's thresholds and embedding.

The blocks come from the real lowered zoo models (random weights), their inputs are the
real activations of random images at the block's input.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from qonnx.core.onnx_exec import execute_onnx
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.dataflow import build_dataflow
from bnnforge.generator.passes.folding import apply_folding
from bnnforge.generator.passes.subgraph import subgraph
from bnnforge.quant import models
from tests.conftest import opt_in
from tests.randomize import randomize_
from tests.rtl_harness import run_graph_rtl, simulator_params


@functools.lru_cache(maxsize=None)
def lowered(name: str, batch: int):  # noqa: ANN201
    model = randomize_(models.create(name), seed=5)
    _, graph = build_dataflow(model, batch=batch)
    images = np.random.default_rng(6).integers(0, 256, graph.get_tensor_shape(graph.graph.input[0].name))
    ctx = execute_onnx(graph, {graph.graph.input[0].name: images.astype(np.float32)}, return_full_exec_context=True)
    return graph, ctx


def consumers(graph, tensor: str) -> list:  # noqa: ANN001
    return [n for n in graph.graph.node if tensor in n.input]


def mlp_block(graph):  # noqa: ANN001, ANN201
    """(input tensor, output tensor) of the first binary MLP block: its three-branch
    FixedAffine, the ResidualAdd and RPReLU after it, and the fork before the sign."""
    affine = next(n for n in graph.graph.node if n.op_type == "FixedAffine" and getCustomOp(n).get_nodeattr("branches") == 3)
    (add,) = consumers(graph, affine.output[0])
    (act,) = consumers(graph, add.output[0])
    fork = next(n for n in graph.graph.node if add.input[1] in n.output)
    return fork.input[0], act.output[0]


def dynamic_unit(graph):  # noqa: ANN001, ANN201
    """(input, output) of the first BCDNet-B block: fork -> global pool -> context maps ->
    DynamicSign / conv / EmbeddingAdd -> ResidualAdd -> RPReLU."""
    sign = next(n for n in graph.graph.node if n.op_type == "DynamicSign")
    fork = next(n for n in graph.graph.node if sign.input[0] in n.output)
    add = next(n for n in graph.graph.node if n.op_type == "ResidualAdd" and set(n.input) & set(fork.output))
    (act,) = consumers(graph, add.output[0])
    return fork.input[0], act.output[0]


def stem(graph):  # noqa: ANN001, ANN201
    """(input, output) of the 8-bit first layer: window generator, IntMVAU, batch norm."""
    affine = next(n for n in graph.graph.node if n.op_type == "FixedAffine")
    return graph.graph.input[0].name, affine.output[0]


def classifier(graph):  # noqa: ANN001, ANN201
    """(input, output) of the head: global average pool, 8-bit requantization, classifier."""
    pool = next(n for n in graph.graph.node if n.op_type == "AvgPool" and getCustomOp(n).get_nodeattr("kernel") == 0
                and consumers(graph, n.output[0])[0].op_type == "Requantize"
                and consumers(graph, consumers(graph, n.output[0])[0].output[0])[0].output[0]
                == graph.graph.output[0].name)
    return pool.input[0], graph.graph.output[0].name


BLOCKS = {
    # the whole 3x3x1 window per word into the 8-bit MVAU
    "bcdnet-a-stem": ("bcdnet-a-tiny", stem, {"PE": 4, "SIMD": 9}),
    "bcdnet-a-mlp": ("bcdnet-a-tiny", mlp_block, {"PE": 4, "SIMD": 4}),
    "bcdnet-b-dynamic": ("bcdnet-b-tiny", dynamic_unit, {"PE": 4, "SIMD": 4}),
    "bcdnet-a-classifier": ("bcdnet-a-tiny", classifier, {"PE": 4, "SIMD": 4}),
}


def block(key: str, frames: int):  # noqa: ANN201
    name, find, folding = BLOCKS[key]
    graph, ctx = lowered(name, frames)
    src, dst = find(graph)
    sub = apply_folding(subgraph(graph, [src], [dst]), {"Defaults": folding})
    return sub, ctx[src].astype(np.int64)


# Verilator: BCDNet-B's dynamic-threshold unit runs in it whole-network, bcdnet-b-tiny under
# stalls in test_build.py (and the demo), so its block-alone run there is `make test-full`'s
@pytest.mark.parametrize("key,simulator", simulator_params(
    list(BLOCKS), set(BLOCKS) - {"bcdnet-b-dynamic"}, reason="the dynamic unit in Verilator: bcdnet-b-tiny, test_build.py"))
def test_block_random_stalls(key: str, simulator: str) -> None:
    sub, x = block(key, frames=16)
    res = run_graph_rtl(sub, simulator, x, stall=0.3, seed=9)
    assert res["words"][0] >= 1000


@pytest.mark.parametrize("key", opt_in(list(BLOCKS), {
    "bcdnet-b-dynamic": "bcdnet-b-tiny's cycles-per-frame check (test_rtl_network.py) runs it in context"}))
def test_block_streams_at_its_slowest_op_rate(key: str) -> None:
    """The skip and fork FIFOs the stitcher sized keep every path flowing: with no stalls,
    frames leave exactly as fast as the slowest op's cost model allows."""
    frames = 4
    sub, x = block(key, frames)
    outs = run_graph_rtl(sub, "verilator", x, stall=0.0)["stamps"]["out0_V"]
    per_frame = len(outs) // frames
    ends = [outs[(f + 1) * per_frame - 1] for f in range(frames)]
    slowest = max(getCustomOp(n).cycles() for n in sub.graph.node)
    assert {b - a for a, b in zip(ends[1:], ends[2:])} == {slowest}
