"""InsertWidthConverters: a WidthConverter wherever a producer and its consumer fold a
stream to different elements per word (FINN's InsertDWC plays this role there)."""

from __future__ import annotations

import hashlib

from onnx import helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from bnnforge.generator.hwops.base import DOMAIN
from bnnforge.generator.passes.linear_qonnx import IndexedModel
from bnnforge.generator.passes.streams import INTERCONNECT_ATTRS, apply_fifo_ram_styles, stream_inputs


def _remove_converters(model: ModelWrapper) -> None:
    """Take out the converters of an earlier run (the folding may have changed since)."""
    converters = [n for n in model.graph.node if n.op_type == "WidthConverter" and n.domain == DOMAIN]
    source = {n.output[0]: n.input[0] for n in converters}

    def before_converters(t: str) -> str:
        while t in source:
            t = source[t]
        return t

    if source:
        for consumer in model.graph.node:
            inputs = [before_converters(t) for t in consumer.input]
            if inputs != list(consumer.input):
                consumer.input[:] = inputs
    for node in converters:
        model.graph.node.remove(node)


class InsertWidthConverters(Transformation):
    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        _remove_converters(model)
        producers = {t: n for n in model.graph.node for t in n.output}
        weights = IndexedModel(model, ("init",))  # initializers do not change below
        added = 0
        for node in list(model.graph.node):
            ports = getCustomOp(node).in_ports()
            for port, tensor in zip(ports, stream_inputs(weights, node)):
                if tensor not in producers:
                    continue
                src = producers[tensor]
                have = getCustomOp(src).out_ports()[list(src.output).index(tensor)]
                if have.elems == port.elems:
                    continue
                shape = getCustomOp(src).out_shape()
                dtype = DataType[getCustomOp(src).get_nodeattr("out_dtype")]
                converted = f"{tensor}_dwc{added}"
                dwc = helper.make_node("WidthConverter", [tensor], [converted],
                                       name=f"WidthConverter_{tensor}_{added}", domain=DOMAIN, in_elems=have.elems,
                                       out_elems=port.elems, elem_bits=have.elem_bits, out_shape=list(shape),
                                       out_dtype=dtype.name)
                added += 1
                node.input[list(node.input).index(tensor)] = converted
                model.graph.node.insert(list(model.graph.node).index(node), dwc)
                model.set_tensor_shape(converted, shape)
                model.set_tensor_datatype(converted, dtype)
        return model, False


# metadata of a graph prepare_interconnect made: the folding it was made for
INTERCONNECT_KEY = "bnnforge_interconnect_of"


def _folding_key(model: ModelWrapper) -> str:
    """A digest of every op's name, type and attributes but the converters', the FIFO
    depths SizeFIFOs writes and where memories go: what the interconnect depends on."""
    h = hashlib.sha256()
    for node in model.graph.node:
        if node.op_type == "WidthConverter":
            continue
        h.update(f"{node.name}\0{node.op_type}\0".encode())
        for a in node.attribute:
            # set by the interconnect passes and place_memories, no bearing on the interconnect
            if a.name not in INTERCONNECT_ATTRS and a.name != "ram_style":
                h.update(a.SerializeToString())
    return h.hexdigest()


def prepare_interconnect(model: ModelWrapper) -> ModelWrapper:
    """A copy of a folded graph with width converters and sized FIFOs, as the emitters and the
    estimate need it (again on a graph that has them: earlier converters are replaced). A
    graph this function made, unchanged since, is returned as it is: the build's emitters
    each ask for it, and a full-size graph takes seconds to copy and size."""
    from bnnforge.generator.passes.fifos import SizeFIFOs

    key = _folding_key(model)
    if model.get_metadata_prop(INTERCONNECT_KEY) == key:
        return model
    out = model.transform(InsertWidthConverters(), cleanup=False).transform(SizeFIFOs(), cleanup=False)
    apply_fifo_ram_styles(out)
    out.set_metadata_prop(INTERCONNECT_KEY, key)
    return out
