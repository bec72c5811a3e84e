"""Streamlining: the clean QONNX graph -> FINN's streamlined graph, with FINN's own passes.

ConvertQONNXtoFINN folds the weight quantizers into integer initializers and turns the
bipolar activation quantizers into MultiThreshold nodes; FINN's Streamline then moves the
scales out and absorbs the RSign biases into those thresholds. The bnnforge nodes pass
through untouched and the result still runs under `execute_onnx`, bit-exact.

Only BipolarQuant activations become MultiThreshold: FINN derives a Quant node's
thresholds at the midpoints between levels and compares with x >= t, which rounds ties
upwards, while bnnforge's (and QONNX Quant's) rounding is half to even. The 8-bit
requantizers in front of the context maps and the classifier therefore stay Quant nodes.
"""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.general import GiveReadableTensorNames, GiveUniqueNodeNames
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes
from onnx import NodeProto


def _bipolar_only(model: ModelWrapper, node: NodeProto) -> bool:
    return node.op_type == "BipolarQuant"


def streamline(model: ModelWrapper) -> ModelWrapper:
    """FINN's ConvertQONNXtoFINN and Streamline on a cleaned bnnforge QONNX graph."""
    from finn.transformation.qonnx.convert_qonnx_to_finn import ConvertQONNXtoFINN
    from finn.transformation.streamline import Streamline

    model = model.transform(ConvertQONNXtoFINN(filter_function=_bipolar_only))
    model = model.transform(Streamline())
    for t in (InferShapes(), InferDataTypes(), GiveUniqueNodeNames(), GiveReadableTensorNames()):
        model = model.transform(t)
    return model
