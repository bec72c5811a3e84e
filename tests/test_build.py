"""`bnnforge build`, `csim` and `sim` on a whole network: what DIR holds, that it is
byte-identical and relocatable, that C-simulation and RTL simulation check every image
against the golden vectors (and catch a changed one), and one-line errors for bad input."""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bnnforge.quant import models
from tests.conftest import cli_in_process, run_cli
from tests.randomize import randomize_

MODEL = "bcdnet-b-tiny"  # every block kind: dynamic thresholds, circular shifts, MLP blocks
TOP = "bcdnet_b_tiny"
IMAGES = 6
BUILD_ARGS = ("--images", str(IMAGES), "--target-cycles", "256")


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ckpt") / f"{MODEL}.pt"
    models.save(randomize_(models.create(MODEL), seed=5), path, metrics={})
    return path


@pytest.fixture(scope="module")
def built(ckpt: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build") / "net"
    p = run_cli("build", str(ckpt), "--out", str(out), *BUILD_ARGS)
    assert p.returncode == 0, p.stderr
    return out


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def report(d: Path) -> dict:
    return json.loads((d / "report.json").read_text())


def test_build_writes_the_projects(built: Path) -> None:
    hls, rtl, finn = built / "hls", built / "rtl", built / "finn"
    for f in (f"firmware/{TOP}.cpp", f"firmware/{TOP}.h", "firmware/parameters.h", "firmware/bnf_binary_mvau.h",
              "firmware/bnf_trips.h", "firmware/ap_types/ap_int.h", f"{TOP}_test.cpp", "tb_data/in0_V.hex",
              "build_prj.tcl", "README.md"):
        assert (hls / f).is_file(), f
    assert list((hls / "firmware" / "weights").glob("*.h"))
    cpp = (hls / "firmware" / f"{TOP}.cpp").read_text()
    assert "#pragma HLS DATAFLOW" in cpp and "ap_ctrl_none" in cpp and "#pragma HLS STREAM variable" in cpp
    assert "struct BinaryMVAU_0_config" in (hls / "firmware" / "parameters.h").read_text()
    head = (hls / "firmware" / f"{TOP}.h").read_text()  # wide folded words need ap_int's limit raised first
    assert -1 < head.find("#define AP_INT_MAX_W") < head.find("#include <ap_int.h>")
    for f in (f"{TOP}.v", "filelist.f", "bnf_fifo.v", "tb/Makefile", "tb/network_tb.py", "README.md"):
        assert (rtl / f).is_file(), f
    assert list((rtl / "mem").glob("*.mem"))
    assert all((rtl / line).is_file() for line in (rtl / "filelist.f").read_text().split())
    for f in ("model.onnx", "estimate_layer_resources.json", "estimate_layer_cycles.json",
              "estimate_network_performance.json"):
        assert (finn / f).is_file(), f
    for f in ("in0_V.hex", "out0_V.hex", "tb_data.json", "tb_input_features.dat", "tb_output_predictions.dat"):
        assert (built / "tb_data" / f).is_file(), f
    assert (built / "tb_data" / "out0_V.hex").read_bytes() == (hls / "tb_data" / "out0_V.hex").read_bytes()
    # relocatable: no absolute path anywhere in the text files
    for name, data in tree(built).items():
        if not name.endswith((".onnx", ".pt")):
            assert str(built) not in data.decode(errors="replace"), name
    r, b = report(built), json.loads((built / "build.json").read_text())
    assert r["model"] == MODEL and r["trained"] is True and r["input_shape"] == [1, 8, 8]
    assert r["verification"] == {**r["verification"], "images": IMAGES, "golden_mismatches": 0}
    assert r["throughput"]["cycles_per_frame_estimate"] <= 256 and r["device"]["fits"]
    assert {row["name"] for row in r["layers"]} >= set(b["folding"])
    assert any(row["finn_estimate"] for row in r["layers"]) and b["source"]["kind"] == "checkpoint"
    assert len(b["source"]["sha256"]) == 64 and b["target_cycles"] == 256


def test_build_prj_tcl_runs_the_flow_it_is_asked_for(built: Path) -> None:
    """build_prj.tcl under tclsh with the Vivado HLS commands stubbed: the options select the
    steps, and every file it adds exists."""
    tclsh = shutil.which("tclsh")
    if tclsh is None:
        pytest.skip("tclsh not installed")
    stub = ("set calls {}\n"
            "foreach c {open_project set_top add_files open_solution set_part create_clock csim_design "
            "csynth_design cosim_design export_design} { proc $c args \"lappend ::calls \\[list $c {*}\\$args\\]\" }\n"
            "rename exit real_exit\n"
            "proc exit args { foreach c $::calls { puts \"CALL $c\" }; real_exit 0 }\n"
            "set ::argv [list {csim=1 synth=1 cosim=1 export=1 vsynth=0}]\n"
            "source build_prj.tcl\n")
    run = subprocess.run([tclsh], input=stub, capture_output=True, text=True, cwd=built / "hls")
    assert run.returncode == 0, run.stderr
    calls = [line.split()[1:] for line in run.stdout.splitlines() if line.startswith("CALL ")]
    steps = [c[0] for c in calls]
    assert steps.count("csim_design") == 1 and "csynth_design" in steps and "cosim_design" in steps
    assert ["export_design", "-format", "ip_catalog"] in calls and ["set_top", TOP] in calls
    assert ["set_part", "xc7z020clg400-1"] in calls
    for c in calls:
        if c[0] == "add_files":
            assert (built / "hls" / next(a for a in c[1:] if not a.startswith("-") and a != "-std=c++0x")).exists()
    bad = subprocess.run([tclsh], input=stub.replace("vsynth=0", "frobnicate=1"), capture_output=True, text=True,
                         cwd=built / "hls")
    assert "unknown option" in bad.stdout


def test_csim_every_image_and_hls_at_the_rtl_rate(built: Path) -> None:
    p = run_cli("csim", str(built))
    assert p.returncode == 0, p.stderr
    assert f"{IMAGES} images, 0 mismatching" in p.stdout
    r = report(built)
    assert r["verification"]["csim_mismatches"] == 0
    # the HLS loop trips per frame (II=1) are each op's cycles: HLS at the RTL's rate
    rows = r["layers"] + r["interconnect"]
    slow = [(row["name"], row["hls_cycles"], row["estimate"]["cycles"]) for row in rows
            if row["op"] != "FIFO" and row.get("hls_cycles") != row["estimate"]["cycles"]]
    assert not slow
    assert r["throughput"]["cycles_per_frame_hls"] == r["throughput"]["cycles_per_frame_estimate"]


@pytest.mark.verilator
def test_sim_verilator_under_stalls(built: Path) -> None:
    p = run_cli("sim", str(built), "--simulator", "verilator", "--stall", "0.3", "--seed", "3")
    assert p.returncode == 0, p.stderr
    v = report(built)["verification"]
    assert (v["rtl_mismatches"], v["rtl_images"], v["rtl_simulator"]) == (0, IMAGES, "verilator")


def test_same_inputs_same_bytes_and_a_moved_build_still_verifies(ckpt: Path, built: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    p = run_cli("build", str(ckpt), "--out", str(again), *BUILD_ARGS)
    assert p.returncode == 0, p.stderr
    first, second = tree(built), tree(again)
    # csim/sim of the first build may have filled in report.json since
    assert sorted(first) == sorted(second)
    differ = [k for k in first if k != "report.json" and first[k] != second[k]]
    assert not differ
    moved = tmp_path / "elsewhere" / "net"
    moved.parent.mkdir()
    again.rename(moved)
    p = run_cli("csim", str(moved))
    assert p.returncode == 0 and "0 mismatching" in p.stdout, p.stdout + p.stderr
    p = run_cli("sim", str(moved), "--simulator", "icarus", "--stall", "0.2", "--images", "2")
    assert p.returncode == 0, p.stderr
    assert report(moved)["verification"]["rtl_mismatches"] == 0


@pytest.mark.iverilog
def test_a_changed_golden_word_is_reported_as_that_image(built: Path, tmp_path: Path) -> None:
    d = tmp_path / "net"
    shutil.copytree(built, d)
    meta = json.loads((d / "tb_data" / "tb_data.json").read_text())
    hexfile = d / "tb_data" / "out0_V.hex"
    words = hexfile.read_text().split()
    k = 2 * meta["out_words_per_image"] + 1  # image 2
    words[k] = format(int(words[k], 16) ^ 1, f"0{len(words[k])}x")
    hexfile.write_text("".join(w + "\n" for w in words))
    p = run_cli("csim", str(d))
    assert p.returncode == 1 and "1 mismatching (images 2)" in p.stdout, p.stdout + p.stderr
    assert report(d)["verification"]["csim_mismatches"] == 1
    p = run_cli("sim", str(d), "--simulator", "icarus", "--images", "3")
    assert p.returncode == 1 and "1 mismatching (images 2)" in p.stdout, p.stdout + p.stderr
    assert report(d)["verification"]["rtl_mismatches"] == 1


@pytest.mark.iverilog
def test_the_rtl_tb_runs_under_cocotbs_own_makefile(built: Path, tmp_path: Path) -> None:
    d = tmp_path / "net"
    shutil.copytree(built, d)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "BNF_IMAGES": "2",
           "BNF_STALL": "0.3", "BNF_RESULT": str(tmp_path / "result.json")}
    run = subprocess.run(["make", "SIM=icarus"], cwd=d / "rtl" / "tb", env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "FAIL=0" in run.stdout
    assert json.loads((tmp_path / "result.json").read_text())["mismatches"] == []


# ---- bad input: one line, exit 2, nothing written ----------------------------------------
def _fails(args: list[str], tmp_path: Path, *needles: str) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    p = cli_in_process(*args)
    assert p.returncode == 2, p.stdout + p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr, p.stderr
    for n in needles:
        assert n in p.stderr, p.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_bad_build_input(ckpt: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    _fails(["build", "no-such-model", "--out", out], tmp_path, "no-such-model", "bcdnet-a")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x00not a checkpoint" * 10)
    _fails(["build", str(corrupt), "--out", out], tmp_path, "corrupt.pt")
    _fails(["build", str(ckpt), "--out", out, "--part", "xc9z999"], tmp_path, "unknown part", "xc7z020")
    _fails(["build", str(ckpt), "--out", "/proc/nope/x"], tmp_path, "cannot write")
    _fails(["build", str(ckpt), "--out", out, "--images", "100000", "--set", "width=8"], tmp_path, "--set")
    (tmp_path / "exists").mkdir()
    _fails(["build", str(ckpt), "--out", str(tmp_path / "exists")], tmp_path, "exists", "--force")
    fold = tmp_path / "fold.json"
    fold.write_text(json.dumps({"BinaryMVAU_0": {"PE": 7}}))
    _fails(["build", str(ckpt), "--out", out, "--fold", str(fold)], tmp_path, "BinaryMVAU_0", "PE=7")
    _fails(["build", str(ckpt), "--out", out, "--target-fps", "2e6"], tmp_path, "the target 50 cycles/frame",
           "does not fit xc7z020", "x the", "the fastest folding that fits reaches")


def test_images_beyond_the_digits_split(tmp_path: Path) -> None:
    from bnnforge.generator.demo import shipped_checkpoint

    _fails(["build", str(shipped_checkpoint()), "--out", str(tmp_path / "o"), "--images", "361"], tmp_path,
           "--images 361", "360")


def test_csim_and_sim_on_what_is_not_a_build(built: Path, tmp_path: Path) -> None:
    _fails(["csim", str(tmp_path)], tmp_path, "not a bnnforge build")
    _fails(["sim", str(tmp_path)], tmp_path, "not a bnnforge build")
    d = tmp_path / "net"
    shutil.copytree(built, d)
    (d / "tb_data" / "in0_V.hex").write_text("zz\n")
    for cmd in ("csim", "sim"):
        p = cli_in_process(cmd, str(d))
        assert p.returncode == 2 and "in0_V.hex line 1" in p.stderr and "Traceback" not in p.stderr, p.stderr


@pytest.mark.iverilog
def test_sim_rejects_rtl_whose_ports_do_not_match(built: Path, tmp_path: Path) -> None:
    import re

    top = (built / "rtl" / f"{TOP}.v").read_text()
    wider = re.sub(r"input  wire \[(\d+):0\] in0_V_TDATA", lambda m: f"input  wire [{int(m.group(1)) + 8}:0] in0_V_TDATA",
                   top, count=1)
    assert wider != top
    (tmp_path / "other.v").write_text(wider)
    (tmp_path / "files.f").write_text("other.v\n")
    p = cli_in_process("sim", str(built), "--rtl", str(tmp_path / "files.f"), "--top", TOP)
    assert p.returncode == 2 and "in0_V_TDATA has 16 bits" in p.stderr and "Traceback" not in p.stderr, p.stderr
    p = cli_in_process("sim", str(built), "--rtl", str(tmp_path / "files.f"), "--top", "nonesuch")
    assert p.returncode == 2 and "no module 'nonesuch'" in p.stderr


def test_a_zoo_name_gives_the_same_untrained_weights_every_time() -> None:
    """Byte-identical builds from a zoo name need its initial weights seeded."""
    import torch

    from bnnforge.generator.build import resolve_source

    torch.manual_seed(1)
    a = resolve_source("bcdnet-b-tiny", {}).model.state_dict()
    torch.manual_seed(2)  # the caller's random state does not matter
    b = resolve_source("bcdnet-b-tiny", {}).model.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# ---- bnnforge report on this build -----------------------------------------------------------
def test_report_pages_on_another_part_with_an_hls_report(built: Path, tmp_path: Path) -> None:
    from tests.test_report import write_hls_project

    d = tmp_path / "net"
    shutil.copytree(built, d)
    write_hls_project(d / "hls", TOP, vitis=True)  # as `vitis_hls -f build_prj.tcl` would leave it
    p = run_cli("report", str(d), "--part", "xczu7ev", "--hls-report", str(d / "hls"))
    assert p.returncode == 0, p.stderr
    r = report(d)
    assert r["part"] == "xczu7ev-ffvc1156-2-e" and r["device"]["capacity"]["uram"] == 96
    util = r["device"]["utilisation"]["lut"]
    assert util == round(r["totals"]["estimate"]["lut"] / 230400, 4)
    hls = r["totals"]["hls_report"]
    assert hls["resources"]["lut"] == 23456 and hls["resources"]["dsp"] == 17 and hls["interval_cycles"]["max"] == 260
    assert r["throughput"]["bottleneck"] in p.stdout and "xczu7ev" in p.stdout
    md, page = (d / "report.md").read_text(), (d / "report.html").read_text()
    for part in ("xc7z020", "xczu3eg", "xczu7ev", "xcu250", "xcvu9p"):
        assert part in md and part in page
    for layer in r["layers"]:
        assert f"| {layer['name']} |" in md
    assert "23,456 (10.2%)" in md  # the csynth LUT against the xczu7ev
    assert page.count("<svg") >= 3 and "<script" not in page and 'src="http' not in page  # opens offline


def test_report_bad_input_and_missing_yosys(built: Path, tmp_path: Path) -> None:
    _fails(["report", str(tmp_path)], tmp_path, "not a bnnforge build")
    d = tmp_path / "net"
    shutil.copytree(built, d)
    _fails(["report", str(d), "--part", "xc9z999"], tmp_path, "unknown part")
    (tmp_path / "r.xml").write_text("<profile><Other/></profile>")
    _fails(["report", str(d), "--hls-report", str(tmp_path / "r.xml")], tmp_path, "not a C-synthesis report")
    assert not (d / "report.md").exists()  # nothing written on bad input
    p = subprocess.run([sys.executable, "-m", "bnnforge.generator.cli", "report", str(d), "--synth"], capture_output=True,
                       text=True, timeout=600, env={**os.environ, "BNNFORGE_YOSYS": "/nonexistent/yosys"})
    assert p.returncode == 0 and "Yosys not found" in p.stderr, p.stdout + p.stderr
    assert "Yosys not found" in (d / "report.md").read_text() and (d / "report.html").is_file()
