"""The streams of a dataflow graph: which op port feeds which, how wide, how deep a FIFO."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.hwops.ports import Port
from bnnforge.generator.passes.linear_qonnx import IndexedModel, read_only
from bnnforge.quant.errors import BnnforgeError

# every FIFO holds at least this many words: a word in flight on each side of a handshake
MIN_FIFO_DEPTH = 2


@dataclass
class Edge:
    """One stream: producer (layer, port) -> FIFO -> consumer (layer, port). A graph input has
    no producer, a graph output no consumer (and no FIFO)."""

    tensor: str
    src: tuple[str, Port] | None
    dst: tuple[str, Port] | None
    depth: int = MIN_FIFO_DEPTH
    ram_style: str = "auto"  # where the FIFO's storage goes (memory.RAM_STYLES)

    @property
    def width(self) -> int:
        """TDATA bits (both ends agree: edges() checks it)."""
        return (self.src or self.dst)[1].tdata_bits


def stream_inputs(model: ModelWrapper, node) -> list[str]:  # noqa: ANN001
    """Inputs of a node that are streams (not initializers: weights, thresholds, ...)."""
    if isinstance(model, IndexedModel):
        return [t for t in node.input if not model.has_initializer(t)]
    return [t for t in node.input if model.get_initializer(t) is None]


def tensor_shape(model: ModelWrapper, tensor: str) -> list[int]:
    """Shape of a stream tensor: its producer's out_shape (a graph input's declared shape)."""
    producer = model.find_producer(tensor)
    return getCustomOp(producer).out_shape() if producer is not None else model.get_tensor_shape(tensor)


def op_params(model: ModelWrapper, node) -> list[np.ndarray]:  # noqa: ANN001
    """The node's initializer inputs (weights, thresholds, gains, ...) as integer codes, in
    input order: the `*params` of the op's rtl() and hls()."""
    inits = [model.get_initializer(t) for t in node.input]
    return [np.rint(np.asarray(p, np.float64)).astype(np.int64) for p in inits if p is not None]


def fifo_depths(model: ModelWrapper, node) -> list[int]:  # noqa: ANN001
    """Depth of the FIFO in front of each stream input (SizeFIFOs stores them)."""
    depths = list(getCustomOp(node).get_nodeattr("in_fifo_depths"))
    n = len(stream_inputs(model, node))
    return depths if len(depths) == n else [MIN_FIFO_DEPTH] * n


# what SizeFIFOs sets on an op itself, which its estimate counts (a dynamic sign's ring)
RING_WAIT_ATTR = "ring_wait_words"
# node attributes the interconnect passes write on a prepared graph (SizeFIFOs,
# apply_fifo_ram_styles): none of them bears on the interconnect itself
INTERCONNECT_ATTRS = ("in_fifo_depths", "in_fifo_ram_styles", RING_WAIT_ATTR)

# graph metadata: {"<consumer>:<tensor>": ram_style} of the FIFOs place_memories moved, kept
# on the folded graph (which has no FIFOs or converters yet) and applied to every graph
# prepare_interconnect makes from it (apply_fifo_ram_styles)
FIFO_RAM_STYLES_KEY = "bnnforge_fifo_ram_styles"


def fifo_key(consumer: str, tensor: str) -> str:
    return f"{consumer}:{tensor}"


def apply_fifo_ram_styles(model: ModelWrapper) -> None:
    """Set each op's in_fifo_ram_styles from the graph's FIFO_RAM_STYLES_KEY metadata."""
    styles = json.loads(model.get_metadata_prop(FIFO_RAM_STYLES_KEY) or "{}")
    if not styles:
        return
    for node in model.graph.node:
        inputs = stream_inputs(model, node)
        if any(fifo_key(node.name, t) in styles for t in inputs):
            getCustomOp(node).set_nodeattr("in_fifo_ram_styles", [styles.get(fifo_key(node.name, t), "auto")
                                                                  for t in inputs])


def fifo_ram_styles(model: ModelWrapper, node) -> list[str]:  # noqa: ANN001
    """Where the storage of the FIFO in front of each stream input goes (apply_fifo_ram_styles
    sets them): "auto" unless set."""
    styles = [s.decode() if isinstance(s, bytes) else s for s in getCustomOp(node).get_nodeattr("in_fifo_ram_styles")]
    n = len(stream_inputs(model, node))
    return styles if len(styles) == n else ["auto"] * n


def edges(model: ModelWrapper) -> list[Edge]:
    """Every stream of the graph, checking both ends agree on its word: graph inputs first,
    then op inputs in graph order, then graph outputs."""
    model = read_only(model)
    producer: dict[str, tuple[str, Port]] = {}
    for node in model.graph.node:
        for tensor, port in zip(node.output, getCustomOp(node).out_ports()):
            producer[tensor] = (node.name, port)
    consumers = []
    for node in model.graph.node:
        ports = getCustomOp(node).in_ports()
        streams = stream_inputs(model, node)
        if len(ports) != len(streams):
            raise BnnforgeError(f"{node.name}: {len(streams)} stream inputs but {len(ports)} input ports")
        consumers += [(t, (node.name, p), d, s) for t, p, d, s in
                      zip(streams, ports, fifo_depths(model, node), fifo_ram_styles(model, node))]
    graph_inputs = {i.name for i in model.graph.input}
    result = [Edge(t, None, dst, d, s) for t, dst, d, s in consumers if t in graph_inputs]
    for tensor, dst, depth, style in consumers:
        if tensor in graph_inputs:
            continue
        if tensor not in producer:
            raise BnnforgeError(f"stream {tensor} into {dst[0]} has no producing op")
        src = producer[tensor]
        if (src[1].elems, src[1].elem_bits) != (dst[1].elems, dst[1].elem_bits):
            raise BnnforgeError(
                f"stream {tensor}: {src[0]} writes words of {src[1].elems} x {src[1].elem_bits} bits but {dst[0]} "
                f"reads {dst[1].elems} x {dst[1].elem_bits} (a lowering bug, or width converters not inserted)")
        result.append(Edge(tensor, src, dst, depth, style))
    for o in model.graph.output:
        if o.name not in producer:
            raise BnnforgeError(f"graph output {o.name} has no producing op")
        result.append(Edge(o.name, producer[o.name], None, 0))
    return result
