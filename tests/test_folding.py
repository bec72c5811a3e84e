"""Folding from a file or `auto`: validation errors name the layer and the legal values,
auto folding meets its target, and the estimate follows the folding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bnnforge.generator.dataflow import build_dataflow
from bnnforge.generator.estimate import estimate_graph
from bnnforge.generator.passes.folding import apply_folding, auto_folding, folding_of, read_folding
from bnnforge.quant import models
from bnnforge.quant.errors import BnnforgeError
from tests.randomize import randomize_


@pytest.fixture(scope="module")
def graph():  # noqa: ANN201
    return build_dataflow(randomize_(models.create("bcdnet-b-tiny", width=8), seed=5))[1]


def layer(graph, op_type: str) -> str:  # noqa: ANN001
    return next(n.name for n in graph.graph.node if n.op_type == op_type)


@pytest.mark.parametrize("target", [64, 1000, 20000])
def test_auto_folding_meets_the_target(graph, target: int) -> None:  # noqa: ANN001
    g, warnings = auto_folding(graph, target)
    report = estimate_graph(g)
    assert warnings == []
    assert all(row["estimate"]["cycles"] <= target for row in report["layers"])
    assert report["throughput"]["cycles_per_frame_estimate"] <= target


def test_slower_target_needs_fewer_resources(graph) -> None:  # noqa: ANN001
    fast = estimate_graph(auto_folding(graph, 64)[0])["totals"]["estimate"]
    slow = estimate_graph(auto_folding(graph, 20000)[0])["totals"]["estimate"]
    assert slow["lut"] < fast["lut"] and slow["dsp"] <= fast["dsp"]


def test_unreachable_target_is_a_warning_naming_the_layer(graph) -> None:  # noqa: ANN001
    _, warnings = auto_folding(graph, 1)
    assert warnings and "cycles per frame" in warnings[0]


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_folding_file_round_trip(graph, tmp_path: Path, suffix: str) -> None:  # noqa: ANN001
    import yaml

    want = folding_of(auto_folding(graph, 500)[0])
    path = tmp_path / f"fold{suffix}"
    path.write_text(json.dumps(want) if suffix == ".json" else yaml.safe_dump(want))
    auto_folding(graph, 64)
    assert folding_of(apply_folding(graph, read_folding(path))) == want


def test_window_follows_its_mvau(graph) -> None:  # noqa: ANN001
    mvau = layer(graph, "BinaryMVAU")
    g = apply_folding(graph, {"Defaults": {"PE": 1, "SIMD": 1}, mvau: {"SIMD": 8}})
    swg = next(n for n in g.graph.node if n.op_type == "SlidingWindow" and g.find_consumer(n.output[0]).name == mvau)
    assert next(a.i for a in swg.attribute if a.name == "SIMD") == 8


def test_pe_that_does_not_divide_names_layer_and_legal_values(graph) -> None:  # noqa: ANN001
    name = layer(graph, "FixedAffine")
    with pytest.raises(BnnforgeError, match=rf"{name}.*PE=3 is not legal.*one of 1, 2, 4, 8"):
        apply_folding(graph, {name: {"PE": 3}})


def test_unknown_layer_lists_the_layers(graph) -> None:  # noqa: ANN001
    with pytest.raises(BnnforgeError, match=r"'MVAU_99'.*not in the graph.*BinaryMVAU_0"):
        apply_folding(graph, {"MVAU_99": {"PE": 1}})


def test_unknown_parameter_says_what_the_op_takes(graph) -> None:  # noqa: ANN001
    name = layer(graph, "Thresholding") if any(n.op_type == "Thresholding" for n in graph.graph.node) \
        else layer(graph, "RPReLU")
    with pytest.raises(BnnforgeError, match=rf"{name}.*no folding parameter 'SIMD'.*takes PE"):
        apply_folding(graph, {name: {"SIMD": 2}})
    swg = layer(graph, "SlidingWindow")
    with pytest.raises(BnnforgeError, match="no folding parameters"):
        apply_folding(graph, {swg: {"SIMD": 2}})


def test_corrupt_folding_file(tmp_path: Path) -> None:
    bad = tmp_path / "fold.json"
    bad.write_text("{PE: 2")
    with pytest.raises(BnnforgeError, match="not valid JSON"):
        read_folding(bad)
    bad.write_text('{"BinaryMVAU_0": 4}')
    with pytest.raises(BnnforgeError, match="must map layer names"):
        read_folding(bad)
    with pytest.raises(BnnforgeError, match="cannot read folding file"):
        read_folding(tmp_path / "missing.json")


def test_unsupported_layer_is_named_with_what_is_supported() -> None:
    from bnnforge.generator.frontend import export_model
    from bnnforge.generator.lower import check_supported

    graph = export_model(models.create("reactnet-r18", input_size=32))
    with pytest.raises(BnnforgeError, match=r"'MaxPool_0' \(MaxPool\).*Supported: .*LongShortShift"):
        check_supported(graph)


def test_finn_export_uses_finn_layers_and_agrees_on_mvau_cycles(graph) -> None:  # noqa: ANN001
    from bnnforge.generator.finn_export import FINN_DOMAIN, finn_estimates, to_finn

    g, _ = auto_folding(graph, 500)
    finn_graph = to_finn(g)
    finn_ops = {n.op_type for n in finn_graph.graph.node if n.domain == FINN_DOMAIN}
    assert {"MVAU", "ConvolutionInputGenerator", "FMPadding", "ElementwiseAdd", "DuplicateStreams"} <= finn_ops
    # what FINN has no layer for stays a bnnforge op
    assert any(n.op_type == "LongShortShift" for n in finn_graph.graph.node)
    finn = finn_estimates(finn_graph)
    ours = {row["name"]: row for row in estimate_graph(g)["layers"]}
    mvaus = [name for name, row in ours.items() if row["op"] == "BinaryMVAU" and finn.get(name)]
    assert mvaus
    for name in mvaus:  # same folding, same schedule: FINN's expected cycles are ours
        assert finn[name]["cycles"] == ours[name]["estimate"]["cycles"]
        assert finn[name]["lut"] > 0
    assert finn[next(n for n in ours if ours[n]["op"] == "LongShortShift")] is None


def test_converters_and_fifo_depths_are_stored_on_the_graph(graph, tmp_path: Path) -> None:  # noqa: ANN001
    """The passes leave their results on the graph (they survive a save), and the stitched
    RTL, the HLS top and the estimate all use those very depths."""
    import re

    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.custom_op.registry import getCustomOp

    from bnnforge.generator.emit.hls import write_hls
    from bnnforge.generator.emit.rtl import write_rtl
    from bnnforge.generator.passes import edges, prepare_interconnect, stream_inputs
    from bnnforge.generator.passes.fifos import latency
    from bnnforge.generator.passes.streams import MIN_FIFO_DEPTH

    folded, _ = auto_folding(graph, 1000)
    prepared = prepare_interconnect(folded)
    assert any(n.op_type == "WidthConverter" for n in prepared.graph.node)
    prepared.save(str(tmp_path / "g.onnx"))
    reloaded = ModelWrapper(str(tmp_path / "g.onnx"))
    depths = []
    for node in reloaded.graph.node:
        d = list(getCustomOp(node).get_nodeattr("in_fifo_depths"))
        assert len(d) == len(stream_inputs(reloaded, node)), node.name
        depths += d
    assert max(depths) > 4 * MIN_FIFO_DEPTH  # bypass FIFOs around the frame-latency ops
    again = prepare_interconnect(reloaded)  # idempotent: converters replaced, not doubled
    assert [n.op_type for n in again.graph.node] == [n.op_type for n in reloaded.graph.node]
    top, _ = write_rtl(reloaded, tmp_path / "rtl", "net")
    rtl_depths = [int(d) for d in re.findall(r"\.DEPTH\((\d+)\)", top.read_text())]
    hls_depths = [int(d) for d in re.findall(r"depth = (\d+)", write_hls(reloaded, tmp_path / "hls", "net").read_text())]
    est = estimate_graph(reloaded)
    est_depths = [row["folding"]["depth"] for row in est["interconnect"] if row["op"] == "FIFO"]
    assert sorted(rtl_depths) == sorted(est_depths) == sorted(depths)
    # the HLS top's input ports are axis interfaces, every other stream an hls::stream
    internal = [e.depth for e in edges(again) if e.src is not None and e.dst is not None]
    assert sorted(hls_depths) == sorted(internal)
    assert est["latency"]["cycles_estimate"] == latency(again)
