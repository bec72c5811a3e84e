"""The FINN side of our comparisons: the dataflow graph rebuilt with FINN's own HW layers.

Every bnnforge op that FINN has a layer for becomes that layer with the same folding
(SlidingWindow -> FMPadding + ConvolutionInputGenerator, BinaryMVAU -> MVAU in XNOR mode,
IntMVAU -> MVAU, Thresholding, ResidualAdd -> ElementwiseAdd, Duplicate -> DuplicateStreams,
Concat -> StreamingConcat, global AvgPool -> GlobalAccPool). The rest (circular shift,
dynamic thresholds, fixed-point batch norm and activations, grouped binary convs, ...) stay
bnnforge nodes: FINN has nothing for them, which is the point of bnnforge.

The FINN graph is for FINN's estimates (`exp_cycles_per_layer`, `res_estimation`), not for
execution: FINN's XNOR MVAU outputs the popcount and pads binary maps with a value, where
bnnforge's semantics need the signed dot with zero-padding correction. (DIR/finn's graph,
which FINN executes bit-exactly, is generator/finn_hw's: every layer bnnforge's own op as a
FINN HW layer. This one is the comparison with FINN's cost model of its own layers.)
"""

from __future__ import annotations

import copy
import math

import numpy as np
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.util.basic import get_by_name

from bnnforge.generator.finn_hw import FINN_DOMAIN  # FINN's HW-layer domain (also where ours register)
from bnnforge.generator.hwops.base import bits_for
from bnnforge.generator.passes.linear_qonnx import IndexedModel, linear_qonnx

DEFAULT_PART = "xc7z020clg400-1"
LAYER_ATTR = "bnnforge_layer"  # which bnnforge layer a FINN node stands for


def _node(op_type: str, inputs: list[str], outputs: list[str], layer: str, **attrs) -> object:  # noqa: ANN003
    return helper.make_node(op_type, inputs, outputs, domain=FINN_DOMAIN, name=layer, backend="fpgadataflow",
                            **{LAYER_ATTR: layer}, **attrs)


def _dtype(model: ModelWrapper, tensor: str) -> str:
    return model.get_tensor_datatype(tensor).name


def _vectors(shape: list[int]) -> list[int]:
    return list(shape[:-1])


def _sliding_window(model: ModelWrapper, node, op) -> list:  # noqa: ANN001
    h, w = op.get_nodeattr("ifm_dim")
    k, s, p, c = (op.get_nodeattr(a) for a in ("kernel", "stride", "pad", "channels"))
    simd = math.gcd(op.get_nodeattr("SIMD"), c)
    dt = _dtype(model, node.input[0])
    src, nodes = node.input[0], []
    if p:
        src = node.name + "_padded"
        n = model.get_tensor_shape(node.input[0])[0]
        model.graph.value_info.append(helper.make_tensor_value_info(src, TensorProto.FLOAT, [n, h + 2 * p, w + 2 * p, c]))
        model.set_tensor_datatype(src, model.get_tensor_datatype(node.input[0]))
        nodes.append(_node("FMPadding", [node.input[0]], [src], node.name, ImgDim=[h, w], Padding=[p, p, p, p],
                           NumChannels=c, SIMD=simd, inputDataType=dt))
    oh, ow = op.out_shape()[1:3]
    nodes.append(_node("ConvolutionInputGenerator", [src], list(node.output), node.name, ConvKernelDim=[k, k],
                       IFMChannels=c, IFMDim=[h + 2 * p, w + 2 * p], OFMDim=[oh, ow], SIMD=simd, Stride=[s, s],
                       Dilation=[1, 1], inputDataType=dt, outputDataType=dt))
    return nodes


def _mvau(model: ModelWrapper, node, op, binary: bool) -> list | None:  # noqa: ANN001
    if binary and op.get_nodeattr("groups") != 1:
        return None  # FINN's MVAU has no grouped form
    w = model.get_initializer(node.input[1])
    mw, mh = op.get_nodeattr("MW"), op.get_nodeattr("MH")
    wname = node.name + "_finn_weights"
    model.set_initializer(wname, np.asarray(w, dtype=np.float32).T.copy())
    if binary:
        out_dt = f"UINT{bits_for(0, mw)}"  # FINN's XNOR mode outputs the popcount
        attrs = dict(binaryXnorMode=1, inputDataType="BINARY", weightDataType="BINARY")
    else:
        out_dt = _dtype(model, node.output[0]) if op.get_nodeattr("mode") == "acc" else "INT32"
        attrs = dict(inputDataType=_dtype(model, node.input[0]),
                     weightDataType=f"INT{max(2, op.get_nodeattr('w_bits'))}")
    model.set_tensor_datatype(wname, model.get_tensor_datatype(node.input[1]))
    return [_node("MVAU", [node.input[0], wname], list(node.output), node.name, MW=mw, MH=mh,
                  PE=op.get_nodeattr("PE"), SIMD=op.get_nodeattr("SIMD"), outputDataType=out_dt, accDataType=out_dt,
                  noActivation=1, numInputVectors=_vectors(op.out_shape()), mem_mode="internal_decoupled", **attrs)]


def _thresholding(model: ModelWrapper, node, op) -> list:  # noqa: ANN001
    c = op.channels()
    tname = node.name + "_finn_thresholds"
    model.set_initializer(tname, np.asarray(model.get_initializer(node.input[1]), np.float32).reshape(c, 1))
    dt = _dtype(model, node.input[0])
    return [_node("Thresholding", [node.input[0], tname], list(node.output), node.name, PE=op.get_nodeattr("PE"),
                  NumChannels=c, numSteps=1, inputDataType=dt, weightDataType=dt, outputDataType="BINARY",
                  numInputVectors=_vectors(op.out_shape()))]


def _add(model: ModelWrapper, node, op) -> list:  # noqa: ANN001
    shape = op.out_shape()
    return [_node("ElementwiseAdd", list(node.input), list(node.output), node.name,
                  lhs_dtype=_dtype(model, node.input[0]), rhs_dtype=_dtype(model, node.input[1]),
                  out_dtype=_dtype(model, node.output[0]), lhs_shape=shape, rhs_shape=shape, out_shape=shape,
                  PE=op.get_nodeattr("PE"))]


def _duplicate(model: ModelWrapper, node, op) -> list:  # noqa: ANN001
    return [_node("DuplicateStreams", list(node.input), list(node.output), node.name, NumChannels=op.channels(),
                  PE=op.get_nodeattr("PE"), NumOutputStreams=len(node.output),
                  inputDataType=_dtype(model, node.input[0]), numInputVectors=_vectors(op.out_shape()))]


def _concat(model: ModelWrapper, node, op) -> list:  # noqa: ANN001
    per = [model.get_tensor_shape(i)[-1] for i in node.input]
    simd = math.gcd(op.get_nodeattr("PE"), *per)
    return [_node("StreamingConcat", list(node.input), list(node.output), node.name, SIMD=simd,
                  ChannelsPerStream=per, inputDataTypes=[_dtype(model, i) for i in node.input],
                  numInputVectors=_vectors(op.out_shape()))]


def _global_pool(model: ModelWrapper, node, op) -> list | None:  # noqa: ANN001
    if op.get_nodeattr("kernel") != 0:
        return None
    h, w = op.get_nodeattr("ifm_dim")
    n = op.out_shape()[0]
    return [_node("GlobalAccPool", list(node.input), list(node.output), node.name, NumChannels=op.channels(),
                  PE=op.get_nodeattr("PE"), inputDataType=_dtype(model, node.input[0]), numInputVectors=[n, h, w])]


_CONVERTERS = {
    "SlidingWindow": _sliding_window,
    "BinaryMVAU": lambda m, n, op: _mvau(m, n, op, binary=True),
    "IntMVAU": lambda m, n, op: _mvau(m, n, op, binary=False),
    "Thresholding": _thresholding,
    "ResidualAdd": _add,
    "Duplicate": _duplicate,
    "Concat": _concat,
    "AvgPool": _global_pool,
}


def to_finn(graph: ModelWrapper) -> ModelWrapper:
    """A copy of the folded dataflow graph with FINN HW layers wherever FINN has one."""
    with linear_qonnx():
        # the converters change initializers only through the model: those lookups are indexed
        model = IndexedModel(ModelWrapper(copy.deepcopy(graph.model)), ("init",))
        nodes = []
        for node in list(model.graph.node):
            convert = _CONVERTERS.get(node.op_type)
            replacement = convert(model, node, getCustomOp(node)) if convert else None
            nodes.extend(replacement or [node])
        del model.graph.node[:]
        model.graph.node.extend(nodes)
        return model.plain()


def finn_reports(finn_graph: ModelWrapper, part: str = DEFAULT_PART) -> tuple[ModelWrapper, dict, dict]:
    """(the graph specialized for `part`, FINN's exp_cycles_per_layer, FINN's res_estimation)."""
    from finn.analysis.fpgadataflow.exp_cycles_per_layer import exp_cycles_per_layer
    from finn.analysis.fpgadataflow.res_estimation import res_estimation
    from finn.transformation.fpgadataflow.specialize_layers import SpecializeLayers

    with linear_qonnx():
        special = finn_graph.transform(SpecializeLayers(part))
        cycles = special.analysis(exp_cycles_per_layer)
        res = res_estimation(special, part)
    return special, cycles, res


def per_layer(special: ModelWrapper, cycles: dict, res: dict, layers: list[str]) -> dict[str, dict | None]:
    """FINN's numbers summed per bnnforge layer ({layer: {"cycles", "lut", "bram18", "dsp",
    "finn_ops": [...]}}; None for the `layers` FINN has no op for)."""
    out: dict[str, dict | None] = dict.fromkeys(layers)
    for node in special.graph.node:
        attr = get_by_name(node.attribute, LAYER_ATTR)
        if attr is None or node.name not in cycles:
            continue
        layer = attr.s.decode()
        r = res.get(node.name, {})
        acc = out.get(layer) or {"cycles": 0, "lut": 0, "bram18": 0, "dsp": 0, "finn_ops": []}
        acc["cycles"] = max(acc["cycles"], int(cycles[node.name]))
        acc["lut"] += int(math.ceil(r.get("LUT", 0)))
        acc["bram18"] += int(math.ceil(r.get("BRAM_18K", 0)))
        acc["dsp"] += int(math.ceil(r.get("DSP", 0)))
        acc["finn_ops"].append(node.op_type)
        out[layer] = acc
    return out


def finn_estimates(finn_graph: ModelWrapper, part: str = DEFAULT_PART) -> dict[str, dict | None]:
    """FINN's exp_cycles_per_layer and res_estimation, summed per bnnforge layer (per_layer)."""
    special, cycles, res = finn_reports(finn_graph, part)
    return per_layer(special, cycles, res, [n.name for n in finn_graph.graph.node if n.domain != FINN_DOMAIN])
