"""The one latency model of a dataflow graph, and SizeFIFOs, which sizes every stream's FIFO
from it so that reconvergent paths never stall each other.

A word's earliest arrival at an op is the longest path of first-output delays, counting
every FIFO (bnf_fifo passes a word in FIFO_LATENCY cycles) and every width converter (an op
of the graph once InsertWidthConverters ran). The graph streams at its slowest op's rate
(T cycles per frame), so an op whose input words arrive T / (its input words per frame)
cycles apart waits that much longer for the words its latency counts (all of its latency but
the output register), but never more than a frame plus its own latency. Per-frame vectors (a pool's result, the MLP after it) are not
paced by the frame: their words come as fast as their producers make them (a pool's in a
burst, an MVAU's one per its cycles per word), and a slice of a vector waits for the words
before it at that pace. An op that takes a frame into a buffer of its own without waiting
for its other inputs (a dynamic sign) still waits once its output runs more frames behind
than the buffer holds. Where an op joins streams that arrive at different
times, the early stream's words pile up for the difference at the graph's rate: that
stream's FIFO holds them.
"""

from __future__ import annotations

import math

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from bnnforge.generator.hwops.memory import FIFO_LATENCY, FIFO_SLACK, buffer_words
from bnnforge.generator.passes.linear_qonnx import read_only
from bnnforge.generator.passes.streams import MIN_FIFO_DEPTH, RING_WAIT_ATTR, stream_inputs, tensor_shape


def period(model: ModelWrapper) -> int:
    """Cycles per frame of the whole graph: its slowest op's."""
    return max(getCustomOp(n).cycles() for n in model.graph.node)


def _timing(model: ModelWrapper) -> tuple[dict[str, float], dict[tuple[str, str], float]]:
    """({tensor: cycle its first word leaves its producer}, {(node, input port): cycles its
    first word waits in the FIFO for the node's other inputs}) of a read-only graph."""
    t_frame = period(model)
    ready: dict[str, float] = {i.name: 0.0 for i in model.graph.input}
    wait: dict[tuple[str, str], float] = {}
    # cycles between the words of a per-frame vector: a pool emits its vector in a burst, an
    # MVAU one word per (its cycles / its words), a slice or a copy as fast as its input comes
    gap: dict[str, float] = {}
    for node in model.graph.node:  # qonnx graphs are topologically sorted
        op = getCustomOp(node)
        ports = list(zip(op.in_ports(), stream_inputs(model, node)))
        words = {t: p.frame_words(tensor_shape(model, t)) for p, t in ports}
        vectors = [t for _, t in ports if len(tensor_shape(model, t)) == 2]
        frames = [(p, t) for p, t in ports if t not in vectors]
        mixed = bool(vectors and frames)
        # a vector joined with a frame stream (an embedding, thresholds) is taken whole, into
        # the op's own banks, before the frame's words that need it; its words trickle in over
        # `span` cycles while the frame's may all be there (the branches' modelled latencies
        # are bounds, not exact): a waiting frame stream holds at least that long
        spans = {v: (words[v] - 1) * gap.get(v, 1.0) for v in vectors} if mixed else {}
        complete = max((ready[v] + spans[v] for v in spans), default=None)
        span = max(spans.values(), default=0.0)
        buffered = op.frame_buffered_inputs()
        waiting = [t for p, t in frames if p.name not in buffered] if frames else [t for _, t in ports]
        begin = max([ready[t] for t in waiting] + ([complete] if complete is not None else []), default=0.0)
        timed = [t for _, t in frames] or [t for _, t in ports]
        words_in = min(words[t] for t in timed) if timed else 1
        stretch = max((gap.get(t, 1.0) for t in timed), default=1.0) if not frames else max(1.0, t_frame / words_in)
        # the latency's last cycle is the output register; the cycles before it wait for
        # input words, which come `stretch` cycles apart
        delay = min((op.latency() - 1) * stretch + 1, t_frame + op.latency()) if op.latency() > 0 else 0.0
        if mixed and not buffered:
            out = begin + FIFO_LATENCY + 2  # all it needs is in: the output register
        else:
            out = max([ready[t] for t in timed], default=0.0) + FIFO_LATENCY + delay
            if mixed:
                out = max(out, complete + FIFO_LATENCY + 2)  # the last vector word, then the output register
        for p, t in ports:
            if t in waiting:
                wait[(node.name, p.name)] = max(begin - ready[t], span)
            elif p.name in buffered:  # the op's buffer holds so many frames: beyond, words wait
                wait[(node.name, p.name)] = max(0.0, out - ready[t] - op.buffered_frames() * t_frame)
            else:
                wait[(node.name, p.name)] = 0.0
        for t, port in zip(node.output, op.out_ports()):
            ready[t] = out
            shape = tensor_shape(model, t)
            if len(shape) == 2:
                words_out = port.frame_words(shape)
                # an output word needs words_in / words_out input words (a width converter
                # gathering a wide word waits for all of its parts)
                gap[t] = max(op.cycles() / words_out, stretch * words_in / words_out) if not frames else 1.0
    return ready, wait


def schedule(model: ModelWrapper) -> dict[str, float]:
    """Cycle at which the first word of every tensor leaves its producer (graph inputs: 0)."""
    return _timing(read_only(model))[0]


def latency(model: ModelWrapper) -> int:
    """First input word to last output word of a frame: the output's first word, then the
    last op's cycles for the rest of the frame."""
    model = read_only(model)
    ready = schedule(model)
    out = model.graph.output[0].name
    last = next(n for n in model.graph.node if out in n.output)
    return int(math.ceil(ready[out] + getCustomOp(last).cycles()))


def waiting_words(model: ModelWrapper) -> dict[tuple[str, str], int]:
    """{(consumer, its input port): words that stream must hold so that no op stalls}: those
    it holds while the consumer waits for a later stream, and the burst its producer emits
    faster than the stream's pace (HWOp.out_burst_words); 0 where nothing waits. The least a
    FIFO there can hold (the report's floor)."""
    view = read_only(model)
    _, wait = _timing(view)
    t_frame = period(view)
    producers = {o: getCustomOp(n) for n in view.graph.node for o in n.output}
    out = {}
    for node in view.graph.node:
        op = getCustomOp(node)
        for port, t in zip(op.in_ports(), stream_inputs(view, node)):
            cycles = wait[(node.name, port.name)]
            words = math.ceil(cycles * port.frame_words(tensor_shape(view, t)) / t_frame) if cycles > 0 else 0
            out[(node.name, port.name)] = words + (producers[t].out_burst_words() if t in producers else 0)
    return out


def fifo_depth(words: int, joins: bool) -> int:
    """The depth of a FIFO that must hold `words`: memory.buffer_words (those words, a
    margin for the latency model's branch delays, which are estimates: a skip FIFO a few
    percent short stalls the graph every frame, and a slack). Where nothing waits,
    MIN_FIFO_DEPTH, or FIFO_SLACK in front of an op joining several frame streams, whose
    words meet a few cycles apart."""
    if words:
        return buffer_words(words)
    return FIFO_SLACK if joins else MIN_FIFO_DEPTH


class SizeFIFOs(Transformation):
    """Stores the depth of the FIFO in front of every stream input as the consumer's
    `in_fifo_depths` (visible in the saved graph; the emitters and the estimate read it):
    fifo_depth of the words it must hold (waiting_words). An op with a ring buffer on an
    input (HWOp.ring_input: a dynamic sign's frame) takes those words into its ring instead
    (`ring_wait_words`), one memory rather than a frame and a FIFO beside it."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        view = read_only(model)  # only node attributes change below
        ops = [getCustomOp(node) for node in view.graph.node]
        for op in ops:
            if op.ring_input() is not None:
                op.set_nodeattr(RING_WAIT_ATTR, 0)  # the least ring: what waits beyond it is measured
        waiting = waiting_words(view)
        for node, op in zip(view.graph.node, ops):
            frames = [t for t in stream_inputs(view, node) if len(tensor_shape(view, t)) > 2]
            words = [waiting[(node.name, port.name)] for port in op.in_ports()]
            ring = op.ring_input()
            if ring is not None:
                k = [p.name for p in op.in_ports()].index(ring)
                op.set_nodeattr(RING_WAIT_ATTR, words[k])
                words[k] = 0
            op.set_nodeattr("in_fifo_depths", [fifo_depth(w, len(frames) > 1) for w in words])
        return model, False
