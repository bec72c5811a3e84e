"""RTL emitter: an op's rtl() as Verilog parameter values and instance text, and a whole
dataflow graph as one stitched module with a bnf_fifo on every stream and the same
AXI-stream interface as a single op.

`verilog_parameters` is the one place where typed RTL parameters become Verilog values: the
stitcher, the cocotb harness (-P / -G) and Yosys (chparam) all take its output.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.hwops.base import SLICE_SUFFIX, Literal, MemoryFile, RTLInstance
from bnnforge.generator.hwops.ports import AXIS_SIGNALS, CLOCK, RESET_N, in_port, out_port
from bnnforge.generator.passes.streams import edges, op_params
from bnnforge.generator.passes.width_converters import prepare_interconnect
from bnnforge.quant.errors import BnnforgeError

FIFO_MODULE = "bnf_fifo"
FIFO_FILES = ("bnf_ram.v", "bnf_fifo.v")  # hw/rtl sources of a FIFO, dependencies first


def verilog_parameters(inst: RTLInstance, prefix: str = "", mem_dir: Path | None = None,
                       mem_param: str | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(parameter -> Verilog value text, memory file name -> $readmemh contents).

    A memory parameter names the file `prefix` + its lower-case name + ".mem" (a sliced one
    names the stem of its slice files, base.SLICE_SUFFIX): by bare name,
    inside `mem_dir` by absolute path when given (simulators run elsewhere), or behind the
    enclosing module's string parameter `mem_param` (`{MEM_DIR, "name.mem"}`)."""
    values, files = {}, {}
    for k, v in inst.parameters.items():
        if isinstance(v, MemoryFile):
            if v.slice_bits:  # the parameter is the slice files' stem
                fname = f"{prefix}{k.lower()}"
                files.update({fname + SLICE_SUFFIX % i: text for i, text in enumerate(v.slices())})
            else:
                fname = f"{prefix}{k.lower()}.mem"
                files[fname] = v.contents
            if mem_param is not None:
                values[k] = f'{{{mem_param}, "{fname}"}}'
            else:
                values[k] = f'"{(Path(mem_dir) / fname).resolve() if mem_dir is not None else fname}"'
        elif isinstance(v, Literal):
            values[k] = v.text
        elif isinstance(v, str):
            values[k] = f'"{v}"'
        else:
            values[k] = str(int(v))
    return values, files


def write_memories(files: dict[str, str], mem_dir: Path) -> None:
    """Write memory files; each appears whole (parallel test workers share content-named ones)."""
    mem_dir.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = mem_dir / name
        if path.exists() and path.read_text() == text:
            continue
        tmp = path.with_name(f"{name}.{os.getpid()}.tmp")
        tmp.write_text(text)
        tmp.replace(path)


def instance_text(module: str, name: str, params: dict[str, str], conns: list[tuple[str, str]]) -> str:
    plist = ",\n".join(f"        .{k}({v})" for k, v in params.items())
    clist = ",\n".join(f"        .{p}({s})" for p, s in conns)
    head = f"    {module} #(\n{plist}\n    ) {name} (\n" if params else f"    {module} {name} (\n"
    return f"{head}{clist}\n    );\n"


def signal_name(tag: str) -> str:
    """A Verilog/C++ identifier for a stream tag (tensor or layer_port)."""
    return "s_" + "".join(c if c.isalnum() else "_" for c in tag)


def _axis(port: str, wire: str) -> list[tuple[str, str]]:
    return [(f"{port}_{s}", f"{wire}_{s}") for s in AXIS_SIGNALS]


MEM_PARAM = "MEM_DIR"
INSTANCES_FILE = "instances.json"


def write_rtl(model: ModelWrapper, outdir: Path, top: str, source: str = "",
              mem_prefix: str | None = None) -> tuple[Path, list[str]]:
    """Write `top`.v (the stitched module), the ops' memory files into `outdir`/mem, and
    INSTANCES_FILE: every instance of the top (layers, width converters, FIFOs) with its
    module, library files, parameters and memory files, so that each one can be synthesized
    or simulated alone exactly as the top has it (`bnnforge report --synth`).

    The module finds its memory files behind its string parameter MEM_DIR, whose default is
    `mem_prefix` ("mem/" for a relocatable project, "./" for tools that run where the files
    were copied, like sandboxed Yosys) or else the absolute path of `outdir`/mem/.
    Returns the top file and the hw/rtl library files it instantiates."""
    model = prepare_interconnect(model)
    outdir = Path(outdir)
    mem_dir = outdir / "mem"
    graph_edges = edges(model)
    files, decl, body = set(FIFO_FILES), [], []
    instances: list[dict] = []
    ports = [f"    input  wire {CLOCK}", f"    input  wire {RESET_N}"]
    n_in = n_out = 0
    has_memories = False
    ends: dict[tuple[str, str], str] = {}  # (layer, port) -> the wire prefix its port connects to
    for k, e in enumerate(graph_edges):
        w = e.width
        if e.src is None:
            src = in_port(n_in)
            n_in += 1
            ports += [f"    input  wire [{w - 1}:0] {src}_TDATA", f"    input  wire {src}_TVALID",
                      f"    output wire {src}_TREADY"]
        else:
            src = signal_name(f"{e.src[0]}_{e.src[1].name}")
            decl.append(f"    wire [{w - 1}:0] {src}_TDATA;\n    wire {src}_TVALID, {src}_TREADY;")
            ends[(e.src[0], e.src[1].name)] = src
        if e.dst is None:
            dst = out_port(n_out)
            n_out += 1
            ports += [f"    output wire [{w - 1}:0] {dst}_TDATA", f"    output wire {dst}_TVALID",
                      f"    input  wire {dst}_TREADY"]
            body.append(f"    assign {dst}_TDATA = {src}_TDATA;\n    assign {dst}_TVALID = {src}_TVALID;\n"
                        f"    assign {src}_TREADY = {dst}_TREADY;\n")
            continue
        dst = signal_name(f"{e.dst[0]}_{e.dst[1].name}")
        decl.append(f"    wire [{w - 1}:0] {dst}_TDATA;\n    wire {dst}_TVALID, {dst}_TREADY;")
        ends[(e.dst[0], e.dst[1].name)] = dst
        fifo_params = {"W": str(w), "DEPTH": str(e.depth)}
        if e.ram_style != "auto":
            fifo_params["RAM_STYLE"] = f'"{e.ram_style}"'
        instances.append({"name": f"FIFO_{e.tensor}", "op": "FIFO", "module": FIFO_MODULE, "parameters": fifo_params,
                          "sources": list(FIFO_FILES), "memories": []})
        body.append(f"    // {e.tensor}: {e.src[0] if e.src else 'input'} -> {e.dst[0]}, {e.depth} words\n"
                    + instance_text(FIFO_MODULE, f"fifo_{k}", fifo_params,
                                    [("ap_clk", CLOCK), ("ap_rst_n", RESET_N), *_axis(in_port(0), src),
                                     *_axis(out_port(0), dst)]))
    for node in model.graph.node:
        op = getCustomOp(node)
        inst = op.rtl(*op_params(model, node))
        files.update(inst.files)
        params, mems = verilog_parameters(inst, f"{node.name}_", mem_param=MEM_PARAM)
        write_memories(mems, mem_dir)
        alone, _ = verilog_parameters(inst, f"{node.name}_")  # memory files by bare name
        instances.append({"name": node.name, "op": node.op_type, "module": inst.module, "parameters": alone,
                          "sources": sorted(inst.files), "memories": sorted(mems)})
        has_memories = has_memories or bool(mems)
        conns = [("ap_clk", CLOCK), ("ap_rst_n", RESET_N)]
        for port in op.ports():
            if (node.name, port.name) not in ends:
                raise BnnforgeError(f"{node.name}: stream port {port.name} is not connected")
            conns += _axis(port.name, ends[(node.name, port.name)])
        for signal, value in inst.tie_offs:
            if isinstance(value, int):  # an output this instance does not use: a wire Verilator knows is unused
                wire = signal_name(f"{node.name}_{signal}") + "_unused"
                decl.append(f"    wire [{value - 1}:0] {wire};" if value > 1 else f"    wire {wire};")
                value = wire
            conns.append((signal, value))
        body.append(f"    // {node.name} ({node.op_type})\n" + instance_text(inst.module, f"u_{node.name}", params,
                                                                              conns))
    header = (f"// generated by bnnforge: stitched dataflow module {top}" + (f" from {source}" if source else "")
              + f"\n// {len(model.graph.node)} hardware ops, {sum(e.dst is not None for e in graph_edges)} FIFOs; "
              "library: hw/rtl\n")
    mem_default = mem_prefix if mem_prefix is not None else f"{mem_dir.resolve()}/"
    params_text = f' #(\n    parameter {MEM_PARAM} = "{mem_default}"\n)' if has_memories else ""
    text = (f"{header}`default_nettype none\n\nmodule {top}{params_text} (\n" + ",\n".join(ports) + "\n);\n"
            + "\n".join(decl) + "\n\n" + "\n".join(body) + "endmodule\n\n`default_nettype wire\n")
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / f"{top}.v"
    path.write_text(text)
    (outdir / INSTANCES_FILE).write_text(json.dumps({"top": top, "instances": instances}, indent=1) + "\n")
    return path, sorted(files)
