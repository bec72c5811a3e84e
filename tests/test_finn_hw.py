"""bnnforge's hardware ops as FINN HW layers (generator/finn_hw): FINN's own transformations,
analyses, code generation, build and execution modes on the FINN graph of every tiny zoo model.

- after registration every node is a FINN HW layer, and specializes to HLS and to RTL;
- FINN's per-node estimates (exp_cycles_per_layer, res_estimation) equal bnnforge's;
- FINN's InsertDWC / InsertFIFO build the width converters and FIFOs bnnforge's passes build,
  ApplyConfig re-folds a layer and FINN's numbers follow the op's cost model;
- python execution (FINN's HW layers, plain and specialized) is bit-exact with the golden
  model (the bnnforge graph under qonnx) on random inputs, on every tiny model;
- cppsim (PrepareCppSim + CompileCppSim + execute_onnx, g++ against ap_types) is bit-exact
  with the golden model in every intermediate tensor; in the default suite on the fewest
  distinct tiny networks that together contain every op type (g++ costs about 1 s per node),
  on all of them under `make test-full`; a flipped weight makes it differ;
- PrepareIP's HLS tops compile with g++ against ap_types (no bnn-library.h) and its RTL
  wrappers elaborate in Icarus; FINN's own Thresholding and accumulating MVAU compute what
  ours do (DIR/finn/README.md says so); FINN's estimate-only build_dataflow writes its report files,
  covering every layer.

One module-scoped fixture makes each model's graphs once; cppsim programs are compiled once
per module, on two threads.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.custom_op.registry import getCustomOp
from qonnx.util.basic import get_by_name

from bnnforge.generator.dataflow import build_dataflow
from bnnforge.generator.emit.hls import ap_types_dir
from bnnforge.generator.estimate import estimate_graph
from bnnforge.generator.finn_hw import FINN_DOMAIN, bnf_op_type, finn_op_type
from bnnforge.generator.finn_hw.flow import DEFAULT_PART, estimate_build, estimates, finn_settings, prepare_cppsim, \
    specialize
from bnnforge.generator.finn_hw.graph import LAYER_ATTR, to_finn_hw
from bnnforge.generator.passes.folding import auto_folding
from bnnforge.generator.passes.linear_qonnx import linear_qonnx, read_only
from bnnforge.generator.passes.streams import edges
from bnnforge.generator.passes.width_converters import prepare_interconnect
from bnnforge.quant import models
from tests.conftest import FULL
from tests.randomize import randomize_

TINY = [n for n in models.names() if n.endswith("-tiny")]
BATCH = 4  # random inputs per model, one batch


@dataclass
class Case:
    graph: ModelWrapper  # the folded bnnforge graph, batch BATCH
    x: np.ndarray  # NHWC input codes
    golden: dict  # every tensor of the golden model's execution
    finn: ModelWrapper  # to_finn_hw(graph), HLS preferred
    types: frozenset = field(default_factory=frozenset)  # bnnforge op types in the graph

    @property
    def inp(self) -> str:
        return self.graph.graph.input[0].name

    @property
    def out(self) -> str:
        return self.graph.graph.output[0].name


def _make(name: str, seed: int) -> Case:
    model = randomize_(models.create(name), seed=seed, calibration_batches=1)
    _, graph = build_dataflow(model, batch=BATCH)
    graph, _ = auto_folding(graph, target_cycles=256)
    shape = graph.get_tensor_shape(graph.graph.input[0].name)
    x = np.random.default_rng(seed).integers(0, 256, shape).astype(np.float32)
    with linear_qonnx():
        golden = execute_onnx(read_only(graph), {graph.graph.input[0].name: x}, return_full_exec_context=True)
    return Case(graph, x, golden, to_finn_hw(graph, "hls"), frozenset(n.op_type for n in graph.graph.node))


@pytest.fixture(scope="module")
def cases() -> dict[str, Case]:
    return {name: _make(name, seed=20 + i) for i, name in enumerate(TINY)}


def _structure(case: Case) -> tuple:
    """What a network's hardware is, weights aside: two zoo names with the same layout share it."""
    return tuple((n.op_type, tuple(sorted(str(a).replace("\n", " ") for a in n.attribute))) for n in case.graph.graph.node)


def cppsim_nodes(cases: dict[str, Case]) -> dict[str, set[str]]:
    """{model: the layers that run as cppsim}. Under `make test-full`: every layer of every
    distinct tiny network. Else one layer of each op type of the tiny zoo, taken from the
    fewest networks that hold them all (g++ takes about 1 s per node; the templates
    themselves are C-simulated on whole networks by `bnnforge csim`'s tests): every FINN
    code path of every op, in FINN's execution of a whole graph whose other layers are RTL
    nodes, which FINN's cppsim runs as their python model."""
    distinct: dict[tuple, str] = {}
    for name, case in cases.items():
        distinct.setdefault(_structure(case), name)
    names = list(distinct.values())
    if FULL:
        return {n: {node.name for node in cases[n].graph.graph.node} for n in names}
    need, chosen = set().union(*(cases[n].types for n in names)), {}
    while need:
        best = max(names, key=lambda n: (len(cases[n].types & need), -len(cases[n].graph.graph.node)))
        first = {}
        for node in cases[best].graph.graph.node:
            if node.op_type in need:
                first.setdefault(node.op_type, node.name)
        chosen[best] = set(first.values())
        need -= set(first)
    return chosen


def _hls_only(finn: ModelWrapper, layers: set[str]) -> ModelWrapper:
    """The FINN graph with `layers` preferring the HLS backend, every other layer RTL."""
    out = ModelWrapper(copy.deepcopy(finn.model))
    for node in out.graph.node:
        getCustomOp(node).set_nodeattr("preferred_impl_style", "hls" if node.name in layers else "rtl")
    return out


@pytest.fixture(scope="module")
def cppsim_runs(cases: dict[str, Case], tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    """{model: (the cppsim-ready specialized graph, its full execution context)}."""
    runs = {}
    build = tmp_path_factory.mktemp("finn_cppsim")
    with finn_settings(build):
        for name, layers in cppsim_nodes(cases).items():
            case = cases[name]
            ready = prepare_cppsim(specialize(_hls_only(case.finn, layers)), workers=2)
            with linear_qonnx():
                ctx = execute_onnx(ready, {case.inp: case.x}, return_full_exec_context=True)
            runs[name] = (ready, ctx)
    return runs


# ---- registration ---------------------------------------------------------------------------
def test_importing_bnnforge_generator_registers_the_ops_with_finn() -> None:
    """In a fresh interpreter: bnnforge.generator installs the hook without importing FINN
    (3 s), and FINN's three dicts hold every op once FINN's HW layers are imported."""
    code = ("import sys, bnnforge.generator\nassert 'finn.custom_op.fpgadataflow' not in sys.modules\n"
            "import finn.custom_op.fpgadataflow as l, finn.custom_op.fpgadataflow.hls as h, "
            "finn.custom_op.fpgadataflow.rtl as r\nfrom bnnforge.generator import hwops\n"
            "for op in hwops.custom_op:\n    b = 'Bnf' + op\n"
            "    assert b in l.custom_op and b + '_hls' in h.custom_op and b + '_rtl' in r.custom_op, op\n"
            "print(len(hwops.custom_op))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert int(run.stdout.split()[-1]) >= 15


@pytest.mark.parametrize("name", TINY)
def test_every_node_is_a_finn_hw_layer(cases: dict[str, Case], name: str) -> None:
    from finn.custom_op.fpgadataflow.hlsbackend import HLSBackend
    from finn.custom_op.fpgadataflow.hwcustomop import HWCustomOp
    from finn.custom_op.fpgadataflow.rtlbackend import RTLBackend
    from finn.util.fpgadataflow import is_fpgadataflow_node, is_hls_node, is_rtl_node

    case = cases[name]
    assert len(case.finn.graph.node) == len(case.graph.graph.node)
    for node, ours in zip(case.finn.graph.node, case.graph.graph.node):
        assert node.domain == FINN_DOMAIN and node.op_type == finn_op_type(ours.op_type) and is_fpgadataflow_node(node)
        assert isinstance(getCustomOp(node), HWCustomOp) and bnf_op_type(node.op_type) == ours.op_type
    for style, is_style, backend in (("hls", is_hls_node, HLSBackend), ("rtl", is_rtl_node, RTLBackend)):
        special = specialize(to_finn_hw(case.graph, style))
        assert all(is_style(n) and isinstance(getCustomOp(n), backend) for n in special.graph.node), style
        assert [get_by_name(n.attribute, LAYER_ATTR).s.decode() for n in special.graph.node] == \
               [n.name for n in case.graph.graph.node]


# ---- estimates and FINN's graph transformations -----------------------------------------------
@pytest.mark.parametrize("name", TINY)
def test_finn_estimates_equal_ours(cases: dict[str, Case], name: str) -> None:
    case = cases[name]
    ours = {row["name"]: row["estimate"] for row in estimate_graph(case.graph)["layers"]}
    special = specialize(case.finn)
    cycles, res = estimates(special, DEFAULT_PART)
    assert set(cycles) == set(res) == {n.name for n in special.graph.node}
    for node in special.graph.node:
        mine = ours[get_by_name(node.attribute, LAYER_ATTR).s.decode()]
        assert cycles[node.name] == mine["cycles"], node.name
        r = res[node.name]
        assert (r["LUT"], r["BRAM_18K"], r["URAM"], r["DSP"]) == (mine["lut"], mine["bram18"], mine["uram"],
                                                                  mine["dsp"]), node.name


def test_finn_inserts_our_width_converters_and_fifos(cases: dict[str, Case]) -> None:
    """InsertDWC puts a converter exactly where bnnforge's InsertWidthConverters does, and
    InsertFIFO (shallow FIFOs included) builds every internal FIFO at bnnforge's depth;
    AnnotateCycles + dataflow_performance see the slowest layer our estimate sees."""
    from finn.analysis.fpgadataflow.dataflow_performance import dataflow_performance
    from finn.transformation.fpgadataflow.annotate_cycles import AnnotateCycles
    from finn.transformation.fpgadataflow.insert_dwc import InsertDWC
    from finn.transformation.fpgadataflow.insert_fifo import InsertFIFO

    for name in TINY:
        case = cases[name]
        ours = prepare_interconnect(case.graph)
        with linear_qonnx():
            special = specialize(case.finn)
            dwc = special.transform(InsertDWC())
            assert sum(n.op_type.startswith("StreamingDataWidthConverter") for n in dwc.graph.node) == \
                   sum(n.op_type == "WidthConverter" for n in ours.graph.node), name
            fifo = specialize(dwc.transform(InsertFIFO(create_shallow_fifos=True)))
        want = sorted(e.depth for e in edges(ours) if e.src is not None and e.dst is not None)
        got = [getCustomOp(n).get_nodeattr("depth") for n in fifo.graph.node if n.op_type.startswith("StreamingFIFO")]
        # FINN also puts a FIFO before the first and after the last node
        internal = [d for n, d in zip([n for n in fifo.graph.node if n.op_type.startswith("StreamingFIFO")], got)
                    if fifo.find_producer(n.input[0]) is not None and fifo.find_consumers(n.output[0])]
        assert sorted(internal) == want, name
        perf = special.transform(AnnotateCycles()).analysis(dataflow_performance)
        assert perf["max_cycles"] == estimate_graph(case.graph)["throughput"]["cycles_per_frame_estimate"], name


def test_apply_config_refolds_and_finn_follows_the_cost_model(cases: dict[str, Case]) -> None:
    from finn.transformation.general import ApplyConfig

    special = specialize(next(iter(cases.values())).finn)
    node = next(n for n in special.graph.node
                if n.op_type == "BnfBinaryMVAU_hls" and len(getCustomOp(n).fold_params()["PE"]) > 1)
    op = getCustomOp(node)
    options = [pe for pe in op.fold_params()["PE"] if pe != op.get_nodeattr("PE")]
    refolded = special.transform(ApplyConfig({"Defaults": {}, node.name: {"PE": options[0]}}))
    new = getCustomOp(refolded.get_node_from_name(node.name))
    assert new.get_nodeattr("PE") == options[0]
    cycles, res = estimates(refolded, DEFAULT_PART)
    assert cycles[node.name] == new.cycles() != op.cycles() and res[node.name]["LUT"] == new.estimate()["lut"]


def test_finn_own_layers_match_ours_where_the_readme_says(cases: dict[str, Case]) -> None:
    """DIR/finn's README: FINN's own Thresholding and its accumulating (8-bit) MVAU compute what
    bnnforge's Thresholding and accumulating IntMVAU compute; a requantizing IntMVAU is not
    FINN's MVAU alone. Each FINN layer of finn_export.to_finn runs (python) on the golden
    model's inputs of its layer."""
    from bnnforge.generator.finn_export import FINN_DOMAIN as FINN_LAYERS, to_finn

    seen = {"Thresholding": 0, "acc": 0, "requant": 0}
    for case in cases.values():
        with linear_qonnx():
            theirs = to_finn(case.graph)
        for node in theirs.graph.node:
            if node.domain != FINN_LAYERS or node.op_type not in ("Thresholding", "MVAU"):
                continue
            inst = getCustomOp(node)
            if node.op_type == "MVAU" and inst.get_nodeattr("binaryXnorMode"):
                continue
            ours = getCustomOp(case.graph.get_node_from_name(node.name))
            ctx = {t: case.golden[t] if t in case.golden else theirs.get_initializer(t) for t in node.input}
            ctx[node.output[0]] = np.zeros_like(case.golden[node.output[0]])  # FINN's MVAU writes into it
            inst.execute_node(ctx, theirs.graph)
            same = np.array_equal(ctx[node.output[0]], case.golden[node.output[0]])
            kind = node.op_type if node.op_type == "Thresholding" else ours.get_nodeattr("mode")
            assert same == (kind != "requant"), f"{node.name} ({kind})"
            seen[kind] += 1
    assert seen["Thresholding"] and seen["acc"]


# ---- execution ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", TINY)
def test_python_execution_bit_exact(cases: dict[str, Case], name: str) -> None:
    case = cases[name]
    want = case.golden[case.out]
    assert len(np.unique(want)) > 3  # not a trivially constant output
    with linear_qonnx():
        for graph in (case.finn, specialize(case.finn), specialize(to_finn_hw(case.graph, "rtl"))):
            got = execute_onnx(graph, {case.inp: case.x})[case.out]
            assert np.array_equal(got, want)


@pytest.mark.gxx
def test_cppsim_bit_exact(cases: dict[str, Case], cppsim_runs: dict[str, tuple]) -> None:
    """Every intermediate tensor of FINN's cppsim execution equals the golden model's; the
    HLS nodes ran their compiled programs, and together they hold every op type."""
    from finn.util.fpgadataflow import is_hls_node

    covered = set()
    for name, (ready, ctx) in cppsim_runs.items():
        case = cases[name]
        hls = [n for n in ready.graph.node if is_hls_node(n)]
        assert hls and all(getCustomOp(n).get_nodeattr("exec_mode") == "cppsim" for n in ready.graph.node)
        assert all(Path(getCustomOp(n).get_nodeattr("executable_path")).is_file() for n in hls)
        for node in case.graph.graph.node:
            for t in node.output:
                assert np.array_equal(ctx[t], case.golden[t]), f"{name}: {node.name} output {t}"
        covered |= {bnf_op_type(n.op_type) for n in hls}
    assert covered == set().union(*(c.types for c in cases.values()))


@pytest.mark.gxx
def test_cppsim_sees_a_flipped_weight(cases: dict[str, Case], cppsim_runs: dict[str, tuple],
                                      tmp_path: Path) -> None:
    """The comparison can fail: with one output channel's binary weights flipped in the FINN
    graph, cppsim (only that node recompiles) differs from the golden model and equals the
    golden model of the flipped graph."""
    name = next(n for n, (g, _) in cppsim_runs.items() if any(x.op_type == "BnfBinaryMVAU_hls" for x in g.graph.node))
    case, (ready, _) = cases[name], cppsim_runs[name]
    flipped = ModelWrapper(copy.deepcopy(ready.model))
    node = next(n for n in flipped.graph.node if n.op_type == "BnfBinaryMVAU_hls")
    w = flipped.get_initializer(node.input[1]).copy()
    w[0] = 1 - w[0]
    flipped.set_initializer(node.input[1], w)
    with finn_settings(tmp_path):
        flipped = prepare_cppsim(flipped)
        with linear_qonnx():
            got = execute_onnx(flipped, {case.inp: case.x})[case.out]
            bnf = ModelWrapper(copy.deepcopy(case.graph.model))
            layer = get_by_name(node.attribute, LAYER_ATTR).s.decode()
            bnf.set_initializer(bnf.get_node_from_name(layer).input[1], w)
            want = execute_onnx(read_only(bnf), {case.inp: case.x})[case.out]
    assert not np.array_equal(got, case.golden[case.out]) and np.array_equal(got, want)


# ---- code generation and FINN's build -------------------------------------------------------------
def _prepare_ip(case: Case, style: str, build: Path) -> ModelWrapper:
    from finn.transformation.fpgadataflow.prepare_ip import PrepareIP

    with finn_settings(build):
        return specialize(to_finn_hw(case.graph, style)).transform(PrepareIP(DEFAULT_PART, 10.0))


def _richest(cases: dict[str, Case]) -> Case:
    """The tiny network with the most op types (the smallest on ties)."""
    return max(cases.values(), key=lambda c: (len(c.types), -len(c.graph.graph.node)))


@pytest.mark.gxx
def test_prepare_ip_hls_tops_compile(cases: dict[str, Case], tmp_path: Path) -> None:
    """PrepareIP on the HLS graph: every top_<node>.cpp compiles with g++ against ap_types
    alone (one translation unit, so the templates are parsed once) and names no finn-hlslib
    header; FINN's Vitis HLS script is written beside it."""
    hls = _prepare_ip(_richest(cases), "hls", tmp_path / "build")
    tops = []
    for node in hls.graph.node:
        d = Path(getCustomOp(node).get_nodeattr("code_gen_dir_ipgen"))
        top = d / f"top_{node.name}.cpp"
        text = top.read_text()
        assert "bnn-library.h" not in text and f"void {node.name}(" in text and (d / f"hls_syn_{node.name}.tcl").is_file()
        tops.append(top)
    (tmp_path / "all_tops.cpp").write_text("".join(f'#include "{t}"\n' for t in tops))
    run = subprocess.run(["g++", "-std=c++14", "-fsyntax-only", "-w", f"-I{ap_types_dir()}", "all_tops.cpp"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]


@pytest.mark.iverilog
def test_prepare_ip_rtl_wrappers_elaborate(cases: dict[str, Case], tmp_path: Path) -> None:
    """PrepareIP on the RTL graph: every node's wrapper has FINN's interface names and, with
    its hw/rtl sources, elaborates in Icarus (all nodes in one run)."""
    rtl = _prepare_ip(_richest(cases), "rtl", tmp_path / "build")
    wrappers, library = [], {}
    for node in rtl.graph.node:
        inst = getCustomOp(node)
        files = inst.get_rtl_file_list(abspath=True)
        intf = inst.get_verilog_top_module_intf_names()
        text = Path(files[-1]).read_text()
        assert all(f"{p}_TDATA" in text and f"{p}_TREADY" in text for p, _ in intf["s_axis"] + intf["m_axis"])
        assert any("create_bd_cell -type module -reference" in c for c in inst.code_generation_ipi())
        wrappers.append(files[-1])
        library.update({Path(f).name: f for f in files[:-1]})  # hw/rtl copies: one of each
    tops = [a for node in rtl.graph.node for a in ("-s", node.name)]
    run = subprocess.run([shutil.which("iverilog"), "-g2012", "-o", str(tmp_path / "elab"), *tops,
                          *library.values(), *wrappers], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]


def test_estimate_only_build_writes_finn_reports(cases: dict[str, Case], tmp_path: Path) -> None:
    """FINN's build_dataflow with the estimate-only steps writes its report/ files, with a
    row for every layer and totals that are the sum of bnnforge's per-layer estimates."""
    case = cases[TINY[0]]
    case.finn.save(str(tmp_path / "model.onnx"))
    report = estimate_build(tmp_path / "model.onnx", tmp_path / "out")
    res = json.loads((report / "estimate_layer_resources.json").read_text())
    cycles = json.loads((report / "estimate_layer_cycles.json").read_text())
    perf = json.loads((report / "estimate_network_performance.json").read_text())
    assert len(cycles) == len(case.graph.graph.node) == len(res) - 1  # and "total"
    ours = estimate_graph(case.graph)["layers"]
    assert res["total"]["LUT"] == sum(r["estimate"]["lut"] for r in ours)
    assert res["total"]["DSP"] == sum(r["estimate"]["dsp"] for r in ours)
    assert perf["max_cycles"] == max(r["estimate"]["cycles"] for r in ours)
    assert perf["critical_path_cycles"] >= perf["max_cycles"]
    assert sys.stdout is not None and "PrintLogger" not in type(sys.stdout).__name__  # FINN's logging undone
