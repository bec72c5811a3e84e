"""Rung 5 for whole networks: each tiny zoo model, folded automatically, stitched into one
RTL module (width converters and bypass FIFOs inserted by the stitcher), linted with
Verilator -Wall and simulated in Icarus on random images under random stalls; every logit
word equals the dataflow golden model's. The HLS DATAFLOW top of the same graph is
C-simulated too (rung 4).

Whole networks in Verilator (a 30-60 s C++ build each) run where a build is verified:
bcdnet-b-tiny, which has every block kind, in test_build.py and bcdnet-tiny in the demo
test; every op, and every block but the dynamic unit (in Verilator within bcdnet-b-tiny),
runs in both simulators in the test_rtl_* files."""

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
from tests.conftest import opt_in
from tests.randomize import randomize_
from bnnforge.sim.runner import lint_rtl
from bnnforge.generator.hwops.ports import out_port
from tests.rtl_harness import frame_intervals, graph_io_ops, run_graph_rtl, stitch_graph

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


@pytest.mark.parametrize("simulator", ["icarus"])
@pytest.mark.parametrize("name", MODELS)
def test_network_rtl_random_stalls(name: str, simulator: str) -> None:
    graph = folded(name)
    run_graph_rtl(graph, simulator, images(graph), stall=0.2, seed=13, top=name.replace("-", "_"))


TIMED_IMAGES = 5
# bcdnet-b-tiny has every block kind; the other three (a minute of Icarus each) are
# bench/network_cycles.py's too, and `make test-full`'s
TIMED_MODELS = opt_in(MODELS, {name: "a repeat of bcdnet-b-tiny's cycle check" for name in MODELS
                              if name != "bcdnet-b-tiny"})


@pytest.mark.parametrize("name", TIMED_MODELS)
def test_network_cycles_per_frame_equal_estimate(name: str) -> None:
    """Issue 12's "cycles equal to simulation": with no stalls, frames leave the stitched
    network exactly the estimate's cycles per frame apart (the median interval, as `bnnforge
    sim` reports it; every word is also checked against the golden model)."""
    from bnnforge.generator.estimate import estimate_graph

    model = randomize_(models.create(name), seed=11)
    _, graph = build_dataflow(model, batch=TIMED_IMAGES)
    graph, _ = auto_folding(graph, target_cycles=256)
    res = run_graph_rtl(graph, "icarus", images(graph), stall=0.0, top=name.replace("-", "_"))
    intervals = sorted(frame_intervals(res["stamps"][out_port(0)], TIMED_IMAGES))
    assert intervals[len(intervals) // 2] == estimate_graph(graph)["throughput"]["cycles_per_frame_estimate"], intervals


@pytest.mark.verilator
@pytest.mark.parametrize("name", MODELS)
def test_network_top_lints_clean(name: str) -> None:
    top = name.replace("-", "_")
    lint_rtl(top, stitch_graph(folded(name), top), {})


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
