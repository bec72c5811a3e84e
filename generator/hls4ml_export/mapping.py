"""A folded bnnforge dataflow graph -> the layer list of an hls4ml ModelGraph.

Layer by layer, in graph order:

    Input (hls4ml's own)            the graph input, one nnet::array<ap_uint<8>, C> per pixel
    BnfStreamIn                     -> the first op's folded words (bnf_from_nnet)
    Bnf<OpType> for every op        its bnf_*.h template, its config struct, its arrays, its
                                    FIFO depths; width converters (BnfWidthConverter) and
                                    stream forks (BnfDuplicate) are layers like any other
    BnfStreamOut                    the last op's words -> one nnet::array per pixel/vector,
                                    elements ap_fixed<B, B - frac>: predict() returns the
                                    real-valued outputs, code * 2**-frac, exactly

Every stream keeps the word geometry of the op contract (ports()), so the hls4ml project
runs the same words as the HLS project (DIR/hls) and the RTL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.hls4ml_export.layers import op_layer_name
from bnnforge.generator.hwops.base import HWOp
from bnnforge.generator.lower import OUTPUT_FRAC_KEY
from bnnforge.generator.passes.streams import MIN_FIFO_DEPTH, edges, op_params, stream_inputs
from bnnforge.quant.errors import BnnforgeError

STREAM_IN, STREAM_OUT = "StreamIn", "StreamOut"


@dataclass
class Mapped:
    """The hls4ml layer list of a graph and what the config needs besides it."""

    layers: list[dict]
    input_name: str  # the hls4ml Input layer (= the top function's input port)
    output_name: str  # the BnfStreamOut layer (= the top function's output port)
    input_precision: str  # e.g. ap_uint<8>
    output_frac: int
    layer_config: dict[str, dict] = field(default_factory=dict)  # HLSConfig LayerName entries
    classes: list[str] = field(default_factory=list)  # extension layer classes used


def _ident(name: str) -> str:
    """hls4ml layer/output names end up in C++ comments and identifiers."""
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return out if out[:1].isalpha() else f"t_{out}"


def _op(node) -> HWOp:  # noqa: ANN001
    """The node's hardware op, or a one-line error naming the layer nothing can map."""
    try:
        op = getCustomOp(node)
    except Exception:  # noqa: BLE001  (qonnx raises bare Exceptions for unknown ops)
        op = None
    if not isinstance(op, HWOp):
        raise BnnforgeError(f"hls4ml: cannot map layer {node.name or '?'} ({node.op_type}): it is not a bnnforge "
                            "hardware op, and neither hls4ml nor the bnnforge extension layers implement it")
    return op


def check_mappable(graph: ModelWrapper) -> None:
    """A one-line error naming the first layer that neither hls4ml nor the extension maps."""
    for node in graph.graph.node:
        _op(node)


def reuse_factor(op: HWOp) -> int:
    """hls4ml's ReuseFactor of a folded op: clock cycles per output pixel (per output vector
    for per-frame ops), i.e. how often each PE/SIMD lane is reused: (MW/SIMD)*(MH/PE) for an
    MVAU, C/PE for a per-channel op, 1 for plumbing that moves a word per cycle."""
    return max(1, math.ceil(op.cycles() / max(1, op.pixels())))


def _precision(dt: DataType, frac: int = 0) -> str:
    bits, signed = dt.bitwidth(), dt.signed()
    if frac:
        return f"ap_{'' if signed else 'u'}fixed<{bits},{bits - frac}>"
    return f"ap_{'' if signed else 'u'}int<{bits}>"


def map_graph(graph: ModelWrapper) -> Mapped:
    """The layer list of a folded graph that already has width converters and FIFO depths
    (passes.width_converters.prepare_interconnect)."""
    check_mappable(graph)
    if len(graph.graph.input) != 1 or len(graph.graph.output) != 1:
        raise BnnforgeError(f"hls4ml: the graph has {len(graph.graph.input)} inputs and {len(graph.graph.output)} "
                            "outputs; the hls4ml project supports one of each")
    g_in, g_out = graph.graph.input[0].name, graph.graph.output[0].name
    all_edges = edges(graph)
    depth = {e.tensor: e.depth for e in all_edges if e.dst is not None}
    # the hls4ml output name a tensor is read by
    source = {g_in: f"{_ident(g_in)}_words"}
    for node in graph.graph.node:
        for t in node.output:
            source[t] = _ident(t)

    in_name = _ident(g_in)
    in_shape = graph.get_tensor_shape(g_in)
    in_dt = graph.get_tensor_datatype(g_in)
    (first,) = [(e.dst[1]) for e in all_edges if e.src is None]
    (last,) = [(e.src[1]) for e in all_edges if e.dst is None]
    frac = int(graph.get_metadata_prop(OUTPUT_FRAC_KEY) or 0)
    producer = graph.find_producer(g_out)
    out_shape = getCustomOp(producer).out_shape()
    out_dt = DataType[getCustomOp(producer).get_nodeattr("out_dtype")]
    for what, shape, port in (("input", in_shape, first), ("output", out_shape, last)):
        if shape[-1] % port.elems:
            raise BnnforgeError(f"hls4ml: the graph {what} has {shape[-1]} channels, not a multiple of the "
                                f"{port.elems} elements per stream word")
    if last.elem_bits != out_dt.bitwidth():
        raise BnnforgeError(f"hls4ml: output words carry {last.elem_bits}-bit elements, the output type is {out_dt.name}")

    layers: list[dict] = [{"class_name": "Input", "name": in_name, "input_shape": list(in_shape[1:])}]
    layers.append({
        "class_name": "BnfStreamIn", "name": STREAM_IN, "inputs": [in_name], "outputs": [source[g_in]],
        "bnf_source": f"{STREAM_IN} (graph input {g_in})", "bnf_header": "bnf_nnet_io.h", "bnf_function": "bnf_from_nnet",
        "bnf_config": {"WORDS_IN": int(math.prod(in_shape[1:-1])), "N": in_shape[-1], "ELEMS": first.elems,
                       "EB": first.elem_bits, "OUT_TW": first.tdata_bits},
        "bnf_outputs": [(first.tdata_bits, first.frame_words(in_shape), depth.get(g_in, MIN_FIFO_DEPTH))]})
    layer_config: dict[str, dict] = {in_name: {"Precision": {"result": _precision(in_dt)}}}
    classes = ["BnfStreamIn", "BnfStreamOut"]
    for node in graph.graph.node:
        op = _op(node)
        try:
            inst = op.hls(*op_params(graph, node))
        except NotImplementedError:
            raise BnnforgeError(f"hls4ml: cannot map layer {node.name} ({node.op_type}): it has no HLS template") from None
        cls = op_layer_name(node.op_type)
        classes.append(cls)
        outs = [(p.tdata_bits, p.frame_words(op.out_shape()), depth.get(t, MIN_FIFO_DEPTH))
                for p, t in zip(op.out_ports(), node.output)]
        layers.append({
            "class_name": cls, "name": _ident(node.name), "inputs": [source[t] for t in stream_inputs(graph, node)],
            "outputs": [source[t] for t in node.output], "bnf_source": f"{node.name} ({node.op_type})",
            "bnf_header": inst.header, "bnf_function": inst.function, "bnf_config": dict(inst.config),
            "bnf_arrays": [(a.name, a.bits, a.words) for a in inst.arrays],
            "bnf_outputs": outs})
        layer_config[_ident(node.name)] = {"ReuseFactor": reuse_factor(op), "Folding": dict(op.folding())}
    layers.append({
        "class_name": "BnfStreamOut", "name": STREAM_OUT, "inputs": [source[g_out]], "outputs": [STREAM_OUT],
        "bnf_source": f"{STREAM_OUT} (graph output {g_out})", "bnf_header": "bnf_nnet_io.h", "bnf_function": "bnf_to_nnet",
        "bnf_config": {"WORDS_OUT": int(math.prod(out_shape[1:-1])), "N": out_shape[-1], "ELEMS": last.elems,
                       "EB": last.elem_bits, "IN_TW": last.tdata_bits},
        "out_shape": list(out_shape[1:]), "out_precision": _precision(out_dt, frac)})
    return Mapped(layers, in_name, STREAM_OUT, _precision(in_dt), frac, layer_config, classes)
