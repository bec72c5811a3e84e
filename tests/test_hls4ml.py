"""The network as an hls4ml project (generator/hls4ml_export): hls_model.compile() and
predict() reproduce the dataflow golden model bit for bit — every tiny zoo model with random
weights on 200 random inputs, the shipped digits checkpoint on the 360 test images — and the
project is complete for a Vivado user (every file build_prj.tcl and the firmware name
exists), deterministic and relocatable. Also: hls4ml's own binary Dense after BN + binary
activation keeps its weights (the QuantizeDenseOutput workaround), and a layer nothing can
map is a one-line error naming it.

All hls4ml projects of the module are compiled once, two at a time (2 cores)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pytest
import yaml
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.build import resolve_source
from bnnforge.generator.build import test_images as build_test_images  # not a test
from bnnforge.generator.dataflow import build_dataflow
from bnnforge.generator.demo import shipped_checkpoint
from bnnforge.generator.emit.hls import hls_dir
from bnnforge.generator.hls4ml_export import convert
from bnnforge.generator.hls4ml_export.native import binary_dense_layer, sign_layers
from bnnforge.generator.hls4ml_export.project import write_project
from bnnforge.generator.hwops.base import HWOp
from bnnforge.generator.lower import OUTPUT_FRAC_KEY, lower
from bnnforge.generator.passes.folding import auto_folding
from bnnforge.generator.passes.linear_qonnx import linear_qonnx, read_only
from bnnforge.generator.passes.streams import op_params
from bnnforge.quant import models
from bnnforge.quant.errors import BnnforgeError
from tests.conftest import FULL, opt_in
from tests.randomize import randomize_

MODELS = ["reactnet-tiny", "bcdnet-a-tiny", "bcdnet-b-tiny", "ftbnn-tiny"]
# the shipped digits checkpoint ("digits") is a bcdnet-b-tiny: its random-weight project (a
# g++ build of 20 s) is `make test-full`'s
REPEATS = {"bcdnet-b-tiny": "the digits checkpoint is a bcdnet-b-tiny"}
NAMES = [name for name in [*MODELS, "digits"] if FULL or name not in REPEATS]
RANDOM_INPUTS = 200


@dataclass
class Case:
    graph: object  # the folded dataflow graph (batch 1) the hls4ml model was made from
    hls_model: object
    x: np.ndarray  # NHWC input codes
    want: np.ndarray  # golden output codes (integers)
    frac: int


def _golden(streamlined, x_nhwc: np.ndarray) -> np.ndarray:  # noqa: ANN001
    """Output codes of the dataflow golden model (qonnx execute_onnx of the hardware ops)."""
    g = lower(streamlined, batch=len(x_nhwc))
    with linear_qonnx():
        out = execute_onnx(read_only(g), {g.graph.input[0].name: x_nhwc.astype(np.float32)})
    return np.asarray(out[g.graph.output[0].name]).astype(np.int64)


def _zoo_case(name: str, outdir: Path) -> Case:
    model = randomize_(models.create(name), seed=11)
    streamlined, graph = build_dataflow(model, batch=1)
    graph, _ = auto_folding(graph, target_cycles=256)
    shape = graph.get_tensor_shape(graph.graph.input[0].name)
    x = np.random.default_rng(12).integers(0, 256, (RANDOM_INPUTS, *shape[1:]))
    hm = convert(graph, outdir / name, fold=None, project_name=name.replace("-", "_"))
    return Case(graph, hm, x, _golden(streamlined, x), int(graph.get_metadata_prop(OUTPUT_FRAC_KEY)))


def _checkpoint_case(outdir: Path) -> Case:
    ckpt = shipped_checkpoint()
    src = resolve_source(str(ckpt), {})
    images, _, _ = build_test_images(src, None)  # the digits test split, NCHW
    x = np.transpose(images, (0, 2, 3, 1))
    streamlined, graph = build_dataflow(src.model, batch=1)
    hm = convert(str(ckpt), outdir / "digits")  # the public path: checkpoint in, automatic folding
    return Case(graph, hm, x, _golden(streamlined, x), int(graph.get_metadata_prop(OUTPUT_FRAC_KEY)))


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    out = tmp_path_factory.mktemp("hls4ml")
    made, jobs = {}, []
    # g++ dominates (15-25 s a project): each project compiles on the second core while this
    # thread makes the next one, two compilations at a time at most
    with ThreadPoolExecutor(max_workers=2) as pool:
        for name in NAMES:
            made[name] = _checkpoint_case(out) if name == "digits" else _zoo_case(name, out)
            jobs.append(pool.submit(made[name].hls_model.compile))
        for job in jobs:
            job.result()
    return made


def _predict_codes(case: Case) -> np.ndarray:
    y = np.asarray(case.hls_model.predict(np.ascontiguousarray(case.x, dtype=np.float64)))
    codes = y * 2.0 ** case.frac
    assert np.array_equal(codes, np.rint(codes)), "predict() returned a value that is not code * 2**-frac"
    return codes.astype(np.int64).reshape(case.want.shape)


@pytest.mark.gxx
@pytest.mark.parametrize("name", opt_in([*MODELS, "digits"], REPEATS))
def test_predict_bit_exact(cases: dict[str, Case], name: str) -> None:
    case = cases[name]
    got = _predict_codes(case)
    assert len(got) == (360 if name == "digits" else RANDOM_INPUTS)
    bad = int((got != case.want).any(axis=1).sum())
    assert bad == 0, f"{name}: {bad} of {len(got)} inputs differ from the golden model"
    assert np.array_equal(got, case.want)
    assert len(np.unique(case.want)) > 10  # not a trivially constant output


@pytest.mark.gxx
def test_comparison_sees_flipped_weights(cases: dict[str, Case]) -> None:
    """The bit-exact comparison can fail: with the binary weights of one output channel of one
    layer flipped in the dataflow graph, the golden outputs differ from the compiled project's."""
    case = cases["reactnet-tiny"]
    graph = ModelWrapper(onnx.ModelProto.FromString(case.graph.model.SerializeToString()))
    node = next(n for n in graph.graph.node if n.op_type == "BinaryMVAU")
    w = graph.get_initializer(node.input[1]).copy()
    w[0] = 1 - w[0]
    graph.set_initializer(node.input[1], w)
    x = case.x[:50]
    with linear_qonnx():
        flipped = execute_onnx(read_only(graph), {graph.graph.input[0].name: x[:1].astype(np.float32)})
    want = np.asarray(flipped[graph.graph.output[0].name]).astype(np.int64)
    got = _predict_codes(Case(case.graph, case.hls_model, x[:1], case.want[:1], case.frac))
    assert np.array_equal(got, case.want[:1]) and not np.array_equal(got, want)


def _references(root: Path, top: str) -> list[Path]:
    """Every file build_prj.tcl adds or sources, and every quoted #include reachable from the
    top function, test bench and bridge, resolved as the compilers do."""
    tcl = (root / "build_prj.tcl").read_text().replace("${project_name}", top)
    refs = [root / m for m in re.findall(r"^\s*add_files(?:\s+-tb)?\s+(\S+)", tcl, re.M)]
    refs += [root / m for m in re.findall(r"file join \$tcldir (\S+)\]", tcl)]
    refs += [root / m for m in re.findall(r"-source (\S+)", tcl)]
    todo = [root / "firmware" / f"{top}.cpp", root / f"{top}_test.cpp", root / f"{top}_bridge.cpp"]
    seen: set[Path] = set()
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        refs.append(f)
        for inc in re.findall(r'^\s*#\s*include\s+"([^"]+)"', f.read_text(errors="replace"), re.M):
            dirs = [f.parent, root, root / "firmware", root / "firmware" / "ap_types"]
            found = [d / inc for d in dirs if (d / inc).is_file()]
            assert found, f"{f.relative_to(root)} includes {inc}, which is not in the project"
            todo.append(found[0].resolve())
    return refs


def test_project_is_complete(cases: dict[str, Case]) -> None:
    case = cases["digits"]  # BCDNet-B: every kind of block
    case.hls_model.write()
    root, top = Path(case.hls_model.config.get_output_dir()), case.hls_model.config.get_project_name()
    for f in ("hls4ml_config.yml", "build_prj.tcl", "project.tcl", "vivado_synth.tcl", "build_lib.sh",
              f"firmware/{top}.cpp", "firmware/parameters.h", "firmware/defines.h", "firmware/ap_types/ap_int.h"):
        assert (root / f).is_file(), f
    assert (root / "tb_data").is_dir() and list((root / "firmware" / "weights").glob("*.h"))
    refs = _references(root, top)
    missing = [str(p) for p in refs if not p.exists()]
    assert not missing, missing
    assert len(refs) > 20
    # the templates are our hw/hls files themselves (registered sources), not copies of their text
    for header in sorted(hls_dir().glob("bnf_*.h")):
        assert (root / "firmware" / "nnet_utils" / header.name).read_bytes() == header.read_bytes(), header.name
    cpp = (root / "firmware" / f"{top}.cpp").read_text()
    assert "#pragma HLS DATAFLOW" in cpp and "bnf_long_short_shift<config" in cpp and "bnf_dynamic_sign<config" in cpp


def test_config_structs_and_folding(cases: dict[str, Case]) -> None:
    """Each layer's config struct is the op's hls() config; the yml records its folding and the
    ReuseFactor it implies: (MW/SIMD)*(MH/PE) for an MVAU, C/PE for a per-channel op."""
    case = cases["bcdnet-a-tiny"]
    root = Path(case.hls_model.config.get_output_dir())
    params = (root / "firmware" / "parameters.h").read_text()
    config = yaml.safe_load((root / "hls4ml_config.yml").read_text())["HLSConfig"]["LayerName"]
    layers = {l.name: l for l in case.hls_model.get_layers()}
    checked = {"mvau": 0, "elementwise": 0}
    for node in case.graph.graph.node:
        op: HWOp = getCustomOp(node)
        cfg = op.hls(*op_params(case.graph, node)).config
        struct = re.search(r"struct config%d \{(.*?)\};" % layers[node.name].index, params, re.S).group(1)
        assert dict(re.findall(r"static const int (\w+) = (-?\d+);", struct)) == {k: str(int(v)) for k, v in cfg.items()}
        entry = config[node.name]
        assert entry["Folding"] == op.folding()
        if node.op_type in ("BinaryMVAU", "IntMVAU"):
            assert entry["ReuseFactor"] * cfg["PE"] * cfg["SIMD"] == cfg["MW"] * cfg["MH"], node.name
            checked["mvau"] += 1
        elif node.op_type in ("Thresholding", "RPReLU", "FixedAffine"):
            assert entry["ReuseFactor"] * cfg["PE"] == op.channels(), node.name
            checked["elementwise"] += 1
    assert checked["mvau"] >= 5 and checked["elementwise"] >= 5


def test_project_bytes_are_reproducible_and_relocatable(cases: dict[str, Case], tmp_path: Path) -> None:
    """What `bnnforge build` writes to DIR/hls4ml: the same bytes in two places, no absolute path."""
    case = cases["ftbnn-tiny"]
    trees = []
    for where in ("a", "b"):
        out = tmp_path / where / "hls4ml"
        write_project(convert(case.graph, out, fold=None, project_name="ftbnn_tiny"), case.x[:3],
                      case.want[:3] * 2.0 ** -case.frac)
        trees.append({str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
        for name, data in trees[-1].items():
            assert str(tmp_path) not in data.decode(errors="replace"), name
    assert trees[0] == trees[1]
    assert {"hls4ml_config.yml", "build_prj.tcl", "tb_data/tb_input_features.dat",
            "tb_data/tb_output_predictions.dat"} <= set(trees[0])
    assert yaml.safe_load(trees[0]["hls4ml_config.yml"])["OutputDir"] == "."
    rows = trees[0]["tb_data/tb_output_predictions.dat"].decode().splitlines()
    assert [[float(v) for v in r.split()] for r in rows] == (case.want[:3] * 2.0 ** -case.frac).tolist()


def test_unmappable_layer_is_one_line_error(cases: dict[str, Case], tmp_path: Path) -> None:
    graph = cases["ftbnn-tiny"].graph
    model = onnx.ModelProto()
    model.CopyFrom(graph.model)
    node = model.graph.node[3]
    model.graph.node.insert(4, onnx.helper.make_node("Relu", [node.output[0]], ["relu_out"], name="MysteryRelu_0"))
    for later in model.graph.node[5:]:
        later.input[:] = ["relu_out" if i == node.output[0] else i for i in later.input]
    # a Relu between two hardware ops: neither hls4ml's layers nor ours take a bare ONNX node here
    with pytest.raises(BnnforgeError) as e:
        convert(ModelWrapper(model), tmp_path / "bad", fold=None)
    msg = str(e.value)
    assert "\n" not in msg and "MysteryRelu_0" in msg and "Relu" in msg


@pytest.mark.gxx
def test_binary_dense_keeps_its_weights(tmp_path: Path) -> None:
    """hls4ml's own sign (BN + binary_tanh) and binary Dense, bit-exact with bnnforge's
    semantics: dot = 2*popcount(xnor) - N. hls4ml 1.3.0's QuantizeDenseOutput quantizes the
    weights a second time; without the workaround in native.py every weight becomes 1."""
    from hls4ml.backends import get_backend
    from hls4ml.model.graph import ModelGraph

    rng = np.random.default_rng(3)
    n_in, n_out = 32, 10
    w_bits = rng.integers(0, 2, (n_in, n_out))
    t = rng.integers(-3, 4, n_in)
    layers = [{"class_name": "Input", "name": "x", "input_shape": [n_in]},
              *sign_layers("sign", "x", t), binary_dense_layer("fc", "sign", w_bits)]
    config = get_backend("Vivado").create_initial_config(io_type="io_stream", write_weights_txt=False)
    config.update(OutputDir=str(tmp_path / "dense"), ProjectName="dense", Backend="Vivado")
    config["HLSConfig"] = {"Model": {"Precision": "ap_int<8>", "ReuseFactor": 1, "Strategy": "Latency"}}
    hm = ModelGraph.from_layer_list(config, layers)
    assert [l.class_name for l in hm.get_layers()] == ["Input", "BatchNormalizationQuantizedTanh", "Dense"]
    assert np.array_equal(np.asarray(hm.graph["fc"].get_weights("weight").data).reshape(w_bits.shape), w_bits)
    hm.compile()
    x = rng.integers(-5, 6, (RANDOM_INPUTS, n_in))
    bits = (x >= t).astype(np.int64)
    want = 2 * (bits[:, :, None] == w_bits[None]).sum(axis=1) - n_in
    got = np.asarray(hm.predict(x.astype(np.float64))).reshape(want.shape)
    assert np.array_equal(got, want)


def test_report_reader_finds_the_solution(cases: dict[str, Case], capsys: pytest.CaptureFixture) -> None:
    """hls4ml.report.read_vivado_report finds project and solution where Vivado HLS would put
    them (project.tcl's project name + _prj/solution1): a stand-in synthesis report is read."""
    from hls4ml.report import read_vivado_report

    case = cases["bcdnet-a-tiny"]
    root, top = Path(case.hls_model.config.get_output_dir()), "bcdnet_a_tiny"
    report = root / f"{top}_prj" / "solution1" / "syn" / "report" / f"{top}_csynth.rpt"
    report.parent.mkdir(parents=True)
    (root / f"{top}_prj" / "vivado_hls.app").write_text(
        '<project xmlns="x"><solutions><solution name="solution1"/></solutions></project>')
    report.write_text("header\nheader\n+ Latency: 1234 cycles (stand-in)\n")
    read_vivado_report(str(root))
    out = capsys.readouterr().out
    assert "Found 1 solution(s)" in out and "+ Latency: 1234 cycles (stand-in)" in out
