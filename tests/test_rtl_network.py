"""Rung 5 for whole networks: each tiny zoo model, folded automatically, stitched into one
RTL module (width converters and bypass FIFOs inserted by the stitcher) and simulated on
random images under random stalls; every logit word equals the dataflow golden model's.
The HLS DATAFLOW top of the same graph is C-simulated too (rung 4)."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
from qonnx.core.onnx_exec import execute_onnx

from bnnforge.generator.dataflow import build_dataflow
from bnnforge.generator.passes.folding import auto_folding
from bnnforge.sim.csim import run_csim
from bnnforge.generator.emit.hls import write_hls
from bnnforge.quant import models
from tests.randomize import randomize_
from tests.rtl_harness import graph_io_ops, run_graph_rtl

MODELS = ["reactnet-tiny", "bcdnet-a-tiny", "bcdnet-b-tiny", "ftbnn-tiny"]
IMAGES = 3


@functools.lru_cache(maxsize=None)
def folded(name: str):  # noqa: ANN201
    model = randomize_(models.create(name), seed=11)
    _, graph = build_dataflow(model, batch=IMAGES)
    graph, _ = auto_folding(graph, target_cycles=256)
    return graph


def images(graph) -> np.ndarray:  # noqa: ANN001
    shape = graph.get_tensor_shape(graph.graph.input[0].name)
    return np.random.default_rng(12).integers(0, 256, shape)


@pytest.mark.parametrize("simulator", ["verilator", "icarus"])
@pytest.mark.parametrize("name", MODELS)
def test_network_rtl_random_stalls(name: str, simulator: str) -> None:
    graph = folded(name)
    run_graph_rtl(graph, simulator, images(graph), stall=0.2, seed=13, top=name.replace("-", "_"))


@pytest.mark.parametrize("name", MODELS)
def test_network_hls_csim(name: str, tmp_path: Path) -> None:
    graph = folded(name)
    x = images(graph)
    inp, out = graph.graph.input[0].name, graph.graph.output[0].name
    want = execute_onnx(graph, {inp: x.astype(np.float32)})[out].astype(np.int64)
    top = name.replace("-", "_")
    write_hls(graph, tmp_path, top)
    (cons,), (prod,) = graph_io_ops(graph)
    got = run_csim(tmp_path, top, cons.in_ports()[:1], prod.out_ports()[:1], cons.in_words(x), IMAGES)
    assert got == prod.out_words(want)
