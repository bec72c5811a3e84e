"""Streamlining: the clean QONNX graph -> FINN's streamlined graph, with FINN's own passes.

ConvertQONNXtoFINN folds the weight quantizers into integer initializers and turns the
bipolar activation quantizers into MultiThreshold nodes; FINN's streamlining passes then
absorb the RSign biases into those thresholds. The bnnforge nodes pass through untouched
and the result still runs under `execute_onnx`, bit-exact.

FINN's `Streamline` runs 22 passes with a full renaming after each, quadratic in the graph
size (150 s on BCDNet-A). On bnnforge graphs only two of them change anything, so by
default only those run; `full=True` runs FINN's whole `Streamline`, and a test checks
both give the same graph. Everything runs inside `passes.linear_qonnx`: the same graph,
byte for byte, in linear time (full-size BCDNet-B on a 2-core machine: 17 minutes -> 10 s).

Only BipolarQuant activations become MultiThreshold: FINN derives a Quant node's
thresholds at the midpoints between levels and compares with x >= t, which rounds ties
upwards, while bnnforge's (and QONNX Quant's) rounding is half to even. The 8-bit
requantizers in front of the context maps and the classifier therefore stay Quant nodes.
"""

from __future__ import annotations

import logging

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.general import GiveReadableTensorNames, GiveUniqueNodeNames
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes
from onnx import NodeProto

from bnnforge.generator.passes.linear_qonnx import linear_qonnx


def _bipolar_only(model: ModelWrapper, node: NodeProto) -> bool:
    return node.op_type == "BipolarQuant"


def streamline(model: ModelWrapper, full: bool = False) -> ModelWrapper:
    """FINN's ConvertQONNXtoFINN and streamlining passes on a cleaned bnnforge QONNX graph."""
    with linear_qonnx():
        return _streamline(model, full)


def _streamline(model: ModelWrapper, full: bool) -> ModelWrapper:
    from finn.transformation.qonnx.convert_qonnx_to_finn import ConvertQONNXtoFINN
    from finn.transformation.streamline import Streamline
    from finn.transformation.streamline.absorb import AbsorbAddIntoMultiThreshold
    from qonnx.transformation.general import ConvertSubToAdd

    # FINN logs a warning for every Quant node the filter keeps, which is all of them on purpose
    finn_log = logging.getLogger("finn_logger")
    level = finn_log.level
    finn_log.setLevel(logging.ERROR)
    try:
        model = model.transform(ConvertQONNXtoFINN(filter_function=_bipolar_only))
    finally:
        finn_log.setLevel(level)
    passes = [Streamline()] if full else [ConvertSubToAdd(), AbsorbAddIntoMultiThreshold(), InferDataTypes()]
    # the first transform copied the caller's graph: the rest change that copy in place
    for t in (*passes, InferShapes(), InferDataTypes(), GiveUniqueNodeNames(), GiveReadableTensorNames()):
        model = model.transform(t, make_deepcopy=False)
    return model
