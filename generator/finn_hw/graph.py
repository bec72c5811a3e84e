"""A folded bnnforge dataflow graph as a graph of FINN HW layers (every node Bnf<Op>).

Node for node: the same inputs, outputs, parameters (initializers), folding and attributes,
in FINN's HW-layer domain with `backend = "fpgadataflow"`. Added per node:

- `bnf_in_shapes` / `bnf_in_dtypes`: shapes and datatypes of its inputs (layer.py says why);
- `inFIFODepths`: the FIFO depths bnnforge's SizeFIFOs gives its stream inputs, and
  `outFIFODepths` those of the FIFOs in front of our width converters on its outputs, so
  FINN's InsertFIFO builds the FIFOs the RTL and HLS projects have (one sizing, read by all);
- `preferred_impl_style`: which backend SpecializeLayers should pick;
- `bnnforge_layer`: the layer's name (SpecializeLayers renames nodes to <op_type>_<i>).

The graph has no width converters or FIFOs: FINN's InsertDWC and InsertFIFO add its own.
"""

from __future__ import annotations

import copy

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.util.basic import get_by_name

from bnnforge.generator.finn_export import LAYER_ATTR
from bnnforge.generator.finn_hw import FINN_DOMAIN, finn_op_type, register
from bnnforge.generator.finn_hw.layer import IN_DTYPES, IN_SHAPES, encode_shapes
from bnnforge.generator.hwops import DOMAIN
from bnnforge.generator.passes.streams import MIN_FIFO_DEPTH, RING_WAIT_ATTR, stream_inputs
from bnnforge.generator.passes.width_converters import prepare_interconnect
from bnnforge.quant.errors import BnnforgeError



def _set(node, name: str, value) -> None:  # noqa: ANN001
    old = get_by_name(node.attribute, name)
    if old is not None:
        node.attribute.remove(old)
    node.attribute.append(helper.make_attribute(name, value))


def to_finn_hw(folded: ModelWrapper, impl_style: str = "hls") -> ModelWrapper:
    """A copy of the folded graph in which every bnnforge node is its FINN HW layer.
    `impl_style` ("hls", "rtl" or "" for FINN's default, which is RTL where both exist) is
    stored as each node's preferred_impl_style."""
    register()
    if impl_style not in ("", "hls", "rtl"):
        raise BnnforgeError(f"impl_style must be 'hls', 'rtl' or '', not {impl_style!r}")
    linked = prepare_interconnect(folded)
    depths = {n.name: list(getCustomOp(n).get_nodeattr("in_fifo_depths"))
              for n in linked.graph.node if n.op_type != "WidthConverter"}
    # what SizeFIFOs set on an op itself (a dynamic sign's ring), which its estimate counts
    sized = {n.name: [a for a in n.attribute if a.name == RING_WAIT_ATTR]
             for n in linked.graph.node if n.op_type != "WidthConverter"}
    # the FIFO in front of one of our width converters is, in FINN's graph, the one InsertFIFO
    # puts between the producer and FINN's converter: the producer's outFIFODepths
    out_depths: dict[str, dict[int, int]] = {}
    for n in linked.graph.node:
        if n.op_type == "WidthConverter":
            producer = linked.find_producer(n.input[0])
            if producer is not None:
                out_depths.setdefault(producer.name, {})[list(producer.output).index(n.input[0])] = \
                    int(getCustomOp(n).get_nodeattr("in_fifo_depths")[0])
    model = ModelWrapper(copy.deepcopy(folded.model))
    for node in model.graph.node:
        if node.domain != DOMAIN:
            raise BnnforgeError(f"{node.name}: {node.domain}.{node.op_type} is not a bnnforge hardware op")
        if node.op_type == "WidthConverter":
            raise BnnforgeError("to_finn_hw takes the folded graph before width converters (FINN's InsertDWC adds them)")
        n_streams = len(stream_inputs(model, node))
        shapes = [model.get_tensor_shape(t) for t in node.input]
        dtypes = [model.get_tensor_datatype(t).name for t in node.input]
        node.domain, node.op_type = FINN_DOMAIN, finn_op_type(node.op_type)
        _set(node, "backend", "fpgadataflow")
        _set(node, IN_SHAPES, encode_shapes(shapes))
        _set(node, IN_DTYPES, dtypes)
        _set(node, LAYER_ATTR, node.name)
        if impl_style:
            _set(node, "preferred_impl_style", impl_style)
        for a in sized.get(node.name, []):
            _set(node, a.name, helper.get_attribute_value(a))
        fifo = depths.get(node.name) or []
        if len(fifo) == n_streams and n_streams:
            _set(node, "inFIFODepths", [int(d) for d in fifo])
        if node.name in out_depths:
            _set(node, "outFIFODepths", [out_depths[node.name].get(i, MIN_FIFO_DEPTH) for i in range(len(node.output))])
    return model
