"""The front end `bnnforge build` runs on a full-size zoo model (BCDNet-A, 224x224, untrained,
as `bnnforge build bcdnet-a` builds it): export, FINN streamlining, lowering, folding, width
converters and FIFOs, our estimate and FINN's, and one golden-model image. Structure only,
no timing (this was 20 minutes for BCDNet-B before qonnx's passes ran in linear time)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch

from bnnforge.quant import models

# the hardware ops of bcdnet-a's dataflow graph (as lowered before the speed-up, unchanged):
# among them the window generators of the stem and the ten 3x3 binary convs, the 8-bit stem
# and classifier, two circular shifts in each of the nine shift blocks, the channel-doubling
# concatenations, four 2x2 average-pooled shortcuts and the global pool
# the reference layout: nine ShiftBlocks and three PointBlocks at 1024 x 7 x 7 (282 ops)
BCDNET_A_OPS = {"BinaryMVAU": 55, "Duplicate": 46, "FixedAffine": 38, "ResidualAdd": 37, "Thresholding": 32,
                "RPReLU": 32, "LongShortShift": 18, "SlidingWindow": 11, "Concat": 5, "AvgPool": 5, "IntMVAU": 2,
                "Requantize": 1}


@pytest.mark.parametrize("name", ["bcdnet-b-tiny", "ftbnn-tiny"])
def test_linear_time_passes_give_qonnx_graphs_byte_for_byte(name: str) -> None:
    """What makes the full-size build fast (passes.linear_qonnx, indexed lookups, cached
    attributes in the folding search) changes no graph: every stage serializes to the same
    bytes as with qonnx's and FINN's own code, and the estimates are equal."""
    from bnnforge.generator.dataflow import build_dataflow
    from bnnforge.generator.estimate import estimate_graph
    from bnnforge.generator.finn_export import to_finn
    from bnnforge.generator.frontend import export_model
    from bnnforge.generator.graph import fold
    from bnnforge.generator.passes.linear_qonnx import reference_qonnx
    from bnnforge.generator.passes.width_converters import prepare_interconnect
    from tests.randomize import randomize_

    model = randomize_(models.create(name), seed=7)

    def stages() -> tuple[list[bytes], dict]:
        streamlined, graph = build_dataflow(model, batch=1)
        folded, _ = fold(graph, "auto", 64)
        interconnect = prepare_interconnect(folded)
        graphs = [export_model(model, batch=3), streamlined, graph, folded, to_finn(folded), interconnect]
        return [g.model.SerializeToString(deterministic=True) for g in graphs], estimate_graph(interconnect)

    fast = stages()
    with reference_qonnx():
        reference = stages()
    assert fast[0] == reference[0] and fast[1] == reference[1]


@pytest.mark.full
def test_bcdnet_a_224_build_front_end() -> None:
    from bnnforge.generator.dataflow import build_dataflow, run_dataflow
    from bnnforge.generator.estimate import estimate_graph
    from bnnforge.generator.finn_export import finn_estimates, to_finn
    from bnnforge.generator.graph import fold
    from bnnforge.generator.hwops.base import RESOURCE_KEYS
    from bnnforge.generator.lower import lower
    from bnnforge.generator.passes.width_converters import prepare_interconnect

    model = models.create("bcdnet-a")
    assert model.input_shape == (3, 224, 224)
    streamlined, graph = build_dataflow(model, batch=1)
    assert dict(Counter(n.op_type for n in graph.graph.node)) == BCDNET_A_OPS

    folded, warnings = fold(graph, "auto", None)
    finn = finn_estimates(to_finn(folded), "xc7z020clg400-1")
    interconnect = prepare_interconnect(folded)
    report = estimate_graph(interconnect)

    names = {n.name for n in folded.graph.node}
    assert {row["name"] for row in report["layers"]} == names  # every layer, once
    assert len(report["layers"]) == sum(BCDNET_A_OPS.values())
    for row in report["layers"] + report["interconnect"]:
        assert set(RESOURCE_KEYS) | {"cycles"} <= set(row["estimate"]), row["name"]
        assert all(v >= 0 for v in row["estimate"].values()), row["name"]
    assert any(row["op"] == "FIFO" for row in report["interconnect"])
    cycles = report["throughput"]["cycles_per_frame_estimate"]
    assert cycles > 0 and cycles == max(row["estimate"]["cycles"] for row in report["layers"] + report["interconnect"])
    assert report["latency"]["cycles_estimate"] > cycles
    assert set(finn) >= names  # FINN's estimate answers for every layer (None where FINN has no op)
    assert sum(v is not None for v in finn.values()) > 100  # convs, thresholds, adds, forks, ...

    x = torch.randint(0, 256, (1, *model.input_shape), generator=torch.Generator().manual_seed(3)).float()
    with torch.no_grad():
        want = model(x).numpy()
    assert np.array_equal(run_dataflow(lower(streamlined, batch=1), x.numpy()), want)
