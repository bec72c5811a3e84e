"""Stitching: a dataflow graph of hardware ops becomes one RTL module (and one HLS DATAFLOW
top) whose ops are connected by FIFOs, with the same AXI-stream interface as a single op.

The binary MLP block and BCDNet-B's dynamic-threshold unit are built this way from the op
library, and so is a whole network. Every edge gets a bnf_fifo; a path that bypasses slow
ops (a residual skip, a fork feeding a frame-buffering op) gets a FIFO deep enough for the
words that pile up while the other path fills its pipeline, so nothing stalls.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.hls import cpp_array, stream_ports
from bnnforge.generator.hwops.base import HWOp
from bnnforge.quant.errors import BnnforgeError
from bnnforge.sim.ports import CLOCK, RESET_N, in_port, out_port

# every edge holds at least this many words: a word in flight on each side of a handshake
MIN_FIFO_DEPTH = 2
# extra words on a bypass path, for the cycles an op's first word can vary around its model
FIFO_SLACK = 8


@dataclass
class Edge:
    """One stream: producer (layer, output port) -> consumer (layer, input port)."""

    tensor: str
    src: tuple[str, str] | None  # None: the top's input port
    dst: tuple[str, str] | None  # None: the top's output port
    width: int
    depth: int = MIN_FIFO_DEPTH


def stream_inputs(model: ModelWrapper, node) -> list[str]:  # noqa: ANN001
    """Inputs of a node that are streams (not initializers: weights, thresholds, ...)."""
    return [t for t in node.input if model.get_initializer(t) is None]


def params_of(model: ModelWrapper, node) -> list[np.ndarray]:  # noqa: ANN001
    """The node's initializer inputs (weights, thresholds, gains, ...) in input order."""
    return [model.get_initializer(t) for t in node.input if model.get_initializer(t) is not None]


def literal_parameters(mems: dict[str, str]) -> dict[str, str]:
    """Entries of an op's `rtl_memories()` that are Verilog literals (e.g. 128'h...: the
    constant-weight MVAU's weights) rather than $readmemh file contents: they go straight
    into a parameter."""
    return {k: v for k, v in mems.items() if "'" in v}


def memories(op: HWOp, params: list[np.ndarray]) -> dict[str, str]:
    """$readmemh files of one op from its parameters (empty for parameterless ops)."""
    if not hasattr(op, "rtl_memories"):
        return {}
    ints = [np.rint(np.asarray(p)).astype(np.int64) for p in params]
    return op.rtl_memories(*ints) if ints else op.rtl_memories()


def port_elements(op: HWOp, side: str, index: int = 0) -> int:
    """Elements per word on the op's `index`-th input (`side` "in") or output stream:
    window and MVAU inputs carry SIMD elements, a one-pixel-per-cycle Concat its inputs'
    channels, everything else PE."""
    from bnnforge.generator.hwops.mvau import _MVAU
    from bnnforge.generator.hwops.sliding_window import SlidingWindow
    from bnnforge.generator.hwops.streams import Concat
    from bnnforge.generator.hwops.width_converter import WidthConverter

    if isinstance(op, WidthConverter):
        return op.get_nodeattr("in_elems" if side == "in" else "out_elems")
    if isinstance(op, SlidingWindow):
        return op.in_simd() if side == "in" else op.get_nodeattr("SIMD")
    if isinstance(op, _MVAU) and side == "in":
        return op.get_nodeattr("SIMD")
    if isinstance(op, Concat) and side == "in":
        return op.in_elements()[index]
    return op.get_nodeattr("PE")


def insert_width_converters(model: ModelWrapper) -> ModelWrapper:
    """A copy of `model` with a WidthConverter on every stream whose producer and consumer
    were folded to different elements per word."""
    from onnx import helper

    from bnnforge.generator.hwops import DOMAIN

    model = ModelWrapper(copy.deepcopy(model.model))
    producers = {t: n for n in model.graph.node for t in n.output}
    added = 0
    for node in list(model.graph.node):
        for k, tensor in enumerate(node.input):
            if tensor not in producers or model.get_initializer(tensor) is not None:
                continue
            src = getCustomOp(producers[tensor])
            streams = [t for t in node.input if model.get_initializer(t) is None]
            have = port_elements(src, "out")
            want = port_elements(getCustomOp(node), "in", streams.index(tensor))
            if have == want:
                continue
            shape = model.get_tensor_shape(tensor)
            dtype = DataType[src.get_nodeattr("out_dtype")]
            converted = f"{tensor}_dwc{added}"
            dwc = helper.make_node("WidthConverter", [tensor], [converted], name=f"WidthConverter_{tensor}_{added}",
                                   domain=DOMAIN, in_elems=have, out_elems=want, elem_bits=dtype.bitwidth(),
                                   out_shape=list(shape), out_dtype=dtype.name)
            added += 1
            node.input[k] = converted
            model.graph.node.insert(list(model.graph.node).index(node), dwc)
            model.set_tensor_shape(converted, shape)
            model.set_tensor_datatype(converted, dtype)
    return model


def _check_rtl(model: ModelWrapper) -> None:
    missing = sorted({n.op_type for n in model.graph.node if not hasattr(getCustomOp(n), "rtl_top")})
    if missing:
        raise BnnforgeError(f"no RTL for op type(s) {', '.join(missing)}; cannot stitch this graph")


def edges(model: ModelWrapper) -> list[Edge]:
    """Every stream of the graph with its TDATA width, checking both ends agree on it."""
    producer: dict[str, tuple[str, str, int]] = {}
    for node in model.graph.node:
        _, outs = stream_ports(getCustomOp(node))
        for tensor, (port, width) in zip(node.output, outs):
            producer[tensor] = (node.name, port, width)
    result = []
    for i, inp in enumerate(model.graph.input):
        cons = [(n, k) for n in model.graph.node for k, t in enumerate(stream_inputs(model, n)) if t == inp.name]
        for node, k in cons:
            ins, _ = stream_ports(getCustomOp(node))
            result.append(Edge(inp.name, None, (node.name, ins[k][0]), ins[k][1]))
    for node in model.graph.node:
        ins, _ = stream_ports(getCustomOp(node))
        for (port, width), tensor in zip(ins, stream_inputs(model, node)):
            if tensor not in producer:
                continue
            src_name, src_port, src_width = producer[tensor]
            if src_width != width:
                raise BnnforgeError(
                    f"stream {tensor}: {src_name} writes {src_width}-bit words but {node.name} reads {width}-bit "
                    "words (their element widths differ: a lowering bug)")
            result.append(Edge(tensor, (src_name, src_port), (node.name, port), width))
    for o in model.graph.output:
        if o.name not in producer:
            raise BnnforgeError(f"graph output {o.name} has no producing op")
        src_name, src_port, width = producer[o.name]
        result.append(Edge(o.name, (src_name, src_port), None, width))
    return result


def size_fifos(model: ModelWrapper, graph_edges: list[Edge]) -> None:
    """Depth of every FIFO so reconvergent paths never stall each other.

    A word's earliest arrival at an op is the longest path of first-output delays. The
    graph streams at its slowest op's rate (T cycles per frame), so an op whose input words
    arrive T / (its input words per frame) cycles apart waits that much longer for the words
    its latency counts, but never more than a frame plus its own latency. Per-frame vectors
    arrive in a burst (a pool emits them at the end of a frame) and are not stretched.
    Where an op joins streams that arrive at different times, the early stream's words pile
    up for the difference at the graph's rate: that FIFO holds them.
    """
    nodes = {n.name: n for n in model.graph.node}
    period = max(getCustomOp(n).cycles() for n in model.graph.node)
    arrival: dict[str, float] = {i.name: 0.0 for i in model.graph.input}  # tensor -> cycle
    for node in model.graph.node:  # qonnx graphs are topologically sorted
        op = getCustomOp(node)
        streams = stream_inputs(model, node)
        start = max((arrival[t] for t in streams), default=0.0)
        vectors = all(len(model.get_tensor_shape(t)) == 2 for t in streams)
        words_in = min((_words_per_frame(model, t, op, "in", k) for k, t in enumerate(streams)), default=1)
        stretch = 1.0 if vectors else max(1.0, period / words_in)
        delay = min(op.latency() * stretch, period + op.latency())
        for t in node.output:
            arrival[t] = start + delay
    for e in graph_edges:
        if e.dst is None:
            continue
        node = nodes[e.dst[0]]
        streams = stream_inputs(model, node)
        wait = max(arrival[t] for t in streams) - arrival[e.tensor]
        if wait > 0:
            words = _words_per_frame(model, e.tensor, getCustomOp(node), "in", streams.index(e.tensor))
            e.depth = math.ceil(wait * words / period) + FIFO_SLACK
        else:
            e.depth = MIN_FIFO_DEPTH


def _words_per_frame(model: ModelWrapper, tensor: str, op: HWOp, side: str, index: int = 0) -> int:
    """Words of `tensor` per frame on the op's port that carries it."""
    elems = int(np.prod(model.get_tensor_shape(tensor)[1:]))
    return max(1, elems // port_elements(op, side, index))


def _tie_offs(op: HWOp, n_in: int, n_out: int) -> list[tuple[str, str]]:
    """Inputs of the stream ports a module has but this instance does not use (Duplicate
    and Concat modules have four): no data in, always ready out."""
    from bnnforge.generator.hwops.streams import MAX_STREAMS, Concat, Duplicate

    ties = []
    if isinstance(op, Duplicate):
        ties += [(f"{out_port(k)}_TREADY", "1'b1") for k in range(n_out, MAX_STREAMS)]
    if isinstance(op, Concat) and op.rtl_top == "bnf_concat":
        ties += [(f"{in_port(k)}_{s}", "0") for k in range(n_in, MAX_STREAMS) for s in ("TDATA", "TVALID")]
    return ties


def _verilog_value(v) -> str:  # noqa: ANN001
    if isinstance(v, str) and "'" in v:  # a sized literal such as 16'h1f
        return v
    return f'"{v}"' if isinstance(v, (str, Path)) else str(int(v))


def _inst(module: str, name: str, params: dict, ports: list[tuple[str, str]]) -> str:
    plist = ",\n".join(f"        .{k}({_verilog_value(v)})" for k, v in params.items())
    conns = ",\n".join(f"        .{p}({s})" for p, s in ports)
    head = f"    {module} #(\n{plist}\n    ) {name} (\n" if params else f"    {module} {name} (\n"
    return f"{head}{conns}\n    );\n"


def _wire(tag: str) -> str:
    return "s_" + "".join(c if c.isalnum() else "_" for c in tag)


def write_rtl(model: ModelWrapper, outdir: Path, top: str, source: str = "",
              relative_mem: bool = False) -> tuple[Path, list[str]]:
    """Write `top`.v (the stitched module) and the ops' memory files into `outdir`/mem.

    The module refers to the memory files by absolute path, or by bare file name with
    `relative_mem` (for tools that run where the files were copied, like sandboxed Yosys).
    Returns the top file and the hw/rtl library files it instantiates.
    """
    _check_rtl(model)
    model = insert_width_converters(model)
    outdir = Path(outdir)
    (outdir / "mem").mkdir(parents=True, exist_ok=True)
    graph_edges = edges(model)
    size_fifos(model, graph_edges)
    files = {"bnf_fifo.v"}
    decl, body = [], []
    ports = [f"    input  wire {CLOCK}", f"    input  wire {RESET_N}"]
    n_in = n_out = 0
    # each edge: producer side wires -> FIFO -> consumer side wires
    ends: dict[tuple[str, str], str] = {}
    for k, e in enumerate(graph_edges):
        if e.src is None:
            src = in_port(n_in)
            n_in += 1
            ports += [f"    input  wire [{e.width - 1}:0] {src}_TDATA", f"    input  wire {src}_TVALID",
                      f"    output wire {src}_TREADY"]
        else:
            src = _wire(f"{e.src[0]}_{e.src[1]}")
            decl.append(f"    wire [{e.width - 1}:0] {src}_TDATA;\n    wire {src}_TVALID, {src}_TREADY;")
            ends[e.src] = src
        if e.dst is None:
            dst = out_port(n_out)
            n_out += 1
            ports += [f"    output wire [{e.width - 1}:0] {dst}_TDATA", f"    output wire {dst}_TVALID",
                      f"    input  wire {dst}_TREADY"]
            body.append(f"    assign {dst}_TDATA = {src}_TDATA;\n    assign {dst}_TVALID = {src}_TVALID;\n"
                        f"    assign {src}_TREADY = {dst}_TREADY;\n")
            continue
        dst = _wire(f"{e.dst[0]}_{e.dst[1]}")
        decl.append(f"    wire [{e.width - 1}:0] {dst}_TDATA;\n    wire {dst}_TVALID, {dst}_TREADY;")
        ends[e.dst] = dst
        body.append(f"    // {e.tensor}: {e.src[0] if e.src else 'input'} -> {e.dst[0]}, {e.depth} words\n" + _inst(
            "bnf_fifo", f"fifo_{k}", {"W": e.width, "DEPTH": e.depth},
            [("ap_clk", CLOCK), ("ap_rst_n", RESET_N),
             *[(f"in0_V_{s}", f"{src}_{s}") for s in ("TDATA", "TVALID", "TREADY")],
             *[(f"out0_V_{s}", f"{dst}_{s}") for s in ("TDATA", "TVALID", "TREADY")]]))
    for node in model.graph.node:
        op = getCustomOp(node)
        files.update(op.rtl_files)
        params = dict(op.rtl_parameters())
        mems = memories(op, params_of(model, node))
        params.update(literal_parameters(mems))
        for pname, text in mems.items():
            if pname in params:
                continue
            path = (outdir / "mem" / f"{node.name}_{pname.lower()}.mem").resolve()
            path.write_text(text)
            params[pname] = path.name if relative_mem else path
        ins, outs = stream_ports(op)
        conns = [("ap_clk", CLOCK), ("ap_rst_n", RESET_N)]
        for port, _ in ins + outs:
            wire = ends.get((node.name, port))
            if wire is None:
                raise BnnforgeError(f"{node.name}: stream port {port} is not connected")
            conns += [(f"{port}_{s}", f"{wire}_{s}") for s in ("TDATA", "TVALID", "TREADY")]
        conns += _tie_offs(op, len(ins), len(outs))
        body.append(f"    // {node.name} ({node.op_type})\n" + _inst(op.rtl_top, f"u_{node.name}", params, conns))
    header = (f"// generated by bnnforge: stitched dataflow module {top}"
              + (f" from {source}" if source else "") + f"\n// {len(model.graph.node)} hardware ops, "
              f"{sum(e.dst is not None for e in graph_edges)} FIFOs; library: hw/rtl\n")
    text = (f"{header}`default_nettype none\n\nmodule {top} (\n" + ",\n".join(ports) + "\n);\n"
            + "\n".join(decl) + "\n\n" + "\n".join(body) + "endmodule\n\n`default_nettype wire\n")
    path = outdir / f"{top}.v"
    path.write_text(text)
    return path, sorted(files)


def write_hls(model: ModelWrapper, outdir: Path, top: str, source: str = "") -> Path:
    """Write `top`.cpp: a DATAFLOW region calling each op's template on hls::streams (with
    the FIFO depths of the RTL), and `top`_params.h with every layer's parameter arrays."""
    _check_rtl(model)
    model = insert_width_converters(model)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    graph_edges = edges(model)
    size_fifos(model, graph_edges)
    headers, arrays, calls, streams = set(), [], [], []
    names: dict[tuple[str, str], str] = {}
    top_ins, top_outs = [], []
    for e in graph_edges:
        if e.src is None:
            name = in_port(len(top_ins))
            top_ins.append((name, e.width))
        elif e.dst is None:
            name = out_port(len(top_outs))
            top_outs.append((name, e.width))
        else:
            name = _wire(e.tensor)
            streams.append(f"    hls::stream<ap_uint<{e.width}> > {name};\n"
                           f"#pragma HLS STREAM variable = {name} depth = {e.depth}\n")
        if e.src:
            names[e.src] = name
        if e.dst:
            names[e.dst] = name
    for node in model.graph.node:
        op = getCustomOp(node)
        ints = [np.rint(np.asarray(p)).astype(np.int64) for p in params_of(model, node)]
        header, template, args, arrs = op.hls_instance(*ints) if ints else op.hls_instance()
        headers.add(header)
        ins, outs = stream_ports(op)
        local = []
        for ctype, aname, words in arrs:
            arrays.append(cpp_array(ctype, f"{node.name}_{aname}", words))
            local.append(f"{node.name}_{aname}")
        call_args = [names[(node.name, p)] for p, _ in ins + outs] + local
        calls.append(f"    {template}<{', '.join(map(str, args))}>({', '.join(call_args)});  // {node.name}\n")
    signature = ", ".join(f"hls::stream<ap_uint<{w}> > &{p}" for p, w in top_ins + top_outs)
    pragmas = "".join(f"#pragma HLS INTERFACE axis port = {p}\n" for p, _ in top_ins + top_outs)
    stamp = f"// generated by bnnforge: {top}" + (f" from {source}" if source else "") + "\n"
    (outdir / f"{top}_params.h").write_text(stamp + "#include <ap_int.h>\n" + "".join(arrays))
    text = (stamp + "".join(f'#include "{h}"\n' for h in sorted(headers)) + f'#include "{top}_params.h"\n\n'
            f"void {top}({signature}) {{\n{pragmas}#pragma HLS INTERFACE ap_ctrl_none port = return\n"
            "#pragma HLS DATAFLOW\n" + "".join(streams) + "".join(calls) + "}\n")
    path = outdir / f"{top}.cpp"
    path.write_text(text)
    return path


def subgraph(model: ModelWrapper, inputs: list[str], outputs: list[str]) -> ModelWrapper:
    """The ops between tensors `inputs` and `outputs` as a graph of its own (e.g. one block
    of a network, to stitch and simulate it alone)."""
    from onnx import helper

    producers = {t: n for n in model.graph.node for t in n.output}
    keep, todo = set(), list(outputs)
    while todo:
        t = todo.pop()
        if t in inputs or t not in producers or producers[t].name in keep:
            continue
        node = producers[t]
        keep.add(node.name)
        todo.extend(stream_inputs(model, node))
    nodes = [n for n in model.graph.node if n.name in keep]
    reached = {t for n in nodes for t in n.input} | set(outputs)
    for t in inputs:
        if t not in reached:
            raise BnnforgeError(f"subgraph input {t} does not feed the ops producing {', '.join(outputs)}")
    inits = [model.get_initializer(t) for n in nodes for t in n.input if model.get_initializer(t) is not None]
    init_names = [t for n in nodes for t in n.input if model.get_initializer(t) is not None]

    def vi(t: str):  # noqa: ANN202
        return helper.make_tensor_value_info(t, 1, model.get_tensor_shape(t))

    graph = helper.make_graph(nodes, "subgraph", [vi(t) for t in inputs], [vi(t) for t in outputs])
    sub = ModelWrapper(helper.make_model(graph))
    for name, value in zip(init_names, inits):
        sub.set_initializer(name, value)
    for n in nodes:
        for t in n.output:
            if t not in outputs:
                sub.set_tensor_shape(t, model.get_tensor_shape(t))
    for t in [*inputs, *outputs, *(t for n in nodes for t in n.output)]:
        dt = model.get_tensor_datatype(t)
        sub.set_tensor_datatype(t, dt)
    return sub


def fifo_estimate(width: int, depth: int) -> dict[str, int]:
    """bnf_fifo's cost: its storage (memory_cost), the output register, pointers and count
    (Yosys, 16 bits x 32: 29 LUT, 33 FF)."""
    from bnnforge.generator.hwops.base import memory_cost

    aw = max(1, (depth - 1).bit_length())
    mem = memory_cost(width, depth)
    return {"lut": mem["lut"] + 3 * aw + 2, "ff": width + 3 * aw + 2, "bram18": mem["bram18"], "dsp": 0}


def interconnect(model: ModelWrapper) -> list[dict]:
    """What stitching adds to the ops: width converters and the FIFO on every stream, each
    with its estimate (rows shaped like the report's layers)."""
    from bnnforge.generator.hwops.width_converter import WidthConverter

    model = insert_width_converters(model)
    rows = []
    for node in model.graph.node:
        op = getCustomOp(node)
        if isinstance(op, WidthConverter):
            rows.append({"name": node.name, "op": node.op_type, "folding": {}, "estimate": op.estimate()})
    graph_edges = edges(model)
    size_fifos(model, graph_edges)
    for e in graph_edges:
        if e.dst is not None:
            est = {**fifo_estimate(e.width, e.depth), "cycles": 0}
            rows.append({"name": f"FIFO_{e.tensor}", "op": "FIFO", "folding": {"depth": e.depth, "width": e.width},
                         "estimate": est})
    return rows
