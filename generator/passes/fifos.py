"""The one latency model of a dataflow graph, and SizeFIFOs, which sizes every stream's FIFO
from it so that reconvergent paths never stall each other.

A word's earliest arrival at an op is the longest path of first-output delays, counting
every FIFO (bnf_fifo passes a word in FIFO_LATENCY cycles) and every width converter (an op
of the graph once InsertWidthConverters ran). The graph streams at its slowest op's rate
(T cycles per frame), so an op whose input words arrive T / (its input words per frame)
cycles apart waits that much longer for the words its latency counts, but never more than a
frame plus its own latency. Per-frame vectors arrive in a burst (a pool emits them at the
end of a frame) and are not stretched. Where an op joins streams that arrive at different
times, the early stream's words pile up for the difference at the graph's rate: that
stream's FIFO holds them.
"""

from __future__ import annotations

import math

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from bnnforge.generator.hwops.memory import FIFO_LATENCY
from bnnforge.generator.passes.linear_qonnx import read_only
from bnnforge.generator.passes.streams import MIN_FIFO_DEPTH, stream_inputs, tensor_shape

# extra words on a bypass path, for the cycles an op's first word can vary around its model
FIFO_SLACK = 8


def period(model: ModelWrapper) -> int:
    """Cycles per frame of the whole graph: its slowest op's."""
    return max(getCustomOp(n).cycles() for n in model.graph.node)


def schedule(model: ModelWrapper) -> dict[str, float]:
    """Cycle at which the first word of every tensor leaves its producer (graph inputs: 0)."""
    model = read_only(model)
    t_frame = period(model)
    ready: dict[str, float] = {i.name: 0.0 for i in model.graph.input}
    for node in model.graph.node:  # qonnx graphs are topologically sorted
        op = getCustomOp(node)
        streams = stream_inputs(model, node)
        start = max((ready[t] for t in streams), default=0.0) + FIFO_LATENCY
        vectors = all(len(tensor_shape(model, t)) == 2 for t in streams)
        words_in = min(p.frame_words(tensor_shape(model, t)) for p, t in zip(op.in_ports(), streams))
        stretch = 1.0 if vectors else max(1.0, t_frame / words_in)
        delay = min(op.latency() * stretch, t_frame + op.latency())
        for t in node.output:
            ready[t] = start + delay
    return ready


def latency(model: ModelWrapper) -> int:
    """First input word to last output word of a frame: the output's first word, then the
    last op's cycles for the rest of the frame."""
    model = read_only(model)
    ready = schedule(model)
    out = model.graph.output[0].name
    last = next(n for n in model.graph.node if out in n.output)
    return int(math.ceil(ready[out] + getCustomOp(last).cycles()))


def waiting_words(model: ModelWrapper) -> dict[tuple[str, str], int]:
    """{(consumer, its input port): words that stream must hold while the consumer waits for
    a later one}: 0 where nothing waits. The least a FIFO there can hold (the report's floor)."""
    view = read_only(model)
    ready = schedule(view)
    t_frame = period(view)
    out = {}
    for node in view.graph.node:
        op = getCustomOp(node)
        streams = stream_inputs(view, node)
        last = max(ready[t] for t in streams)
        for port, t in zip(op.in_ports(), streams):
            wait = last - ready[t]
            out[(node.name, port.name)] = math.ceil(wait * port.frame_words(tensor_shape(view, t)) / t_frame) \
                if wait > 0 else 0
    return out


class SizeFIFOs(Transformation):
    """Stores the depth of the FIFO in front of every stream input as the consumer's
    `in_fifo_depths` (visible in the saved graph; the emitters and the estimate read it):
    the words it must hold (waiting_words) and FIFO_SLACK, or MIN_FIFO_DEPTH where nothing waits."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        view = read_only(model)  # only node attributes change below
        waiting = waiting_words(view)
        for node in view.graph.node:
            op = getCustomOp(node)
            words = [waiting[(node.name, port.name)] for port in op.in_ports()]
            op.set_nodeattr("in_fifo_depths", [w + FIFO_SLACK if w else MIN_FIFO_DEPTH for w in words])
        return model, False
