"""`bnnforge report`'s parts that need no build: the HLS csynth report reader, folding that fits
a part, per-module Yosys (cached, deduplicated, time-limited) and the timing rule. The command
on a real build is tested in test_build.py (it reuses that module's build)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper

from bnnforge.generator.hwops import DOMAIN
from bnnforge.generator.report.devices import find_device
from bnnforge.generator.report.hls_report import find_csynth_xml, read_csynth_xml
from bnnforge.generator.report.write import max_logic_depth
from bnnforge.quant.errors import BnnforgeError

CSYNTH = """<?xml version="1.0" encoding="UTF-8"?>
<profile>
  <ReportVersion><Version>{version}</Version></ReportVersion>
  <UserAssignments><unit>ns</unit><ProductFamily>zynq</ProductFamily><Part>xc7z020-clg400-1</Part>
    <TopModelName>{top}</TopModelName><TargetClockPeriod>10.00</TargetClockPeriod></UserAssignments>
  <PerformanceEstimates>
    <SummaryOfTimingAnalysis><unit>ns</unit><EstimatedClockPeriod>8.51</EstimatedClockPeriod></SummaryOfTimingAnalysis>
    <SummaryOfOverallLatency><unit>clock cycles</unit><Best-caseLatency>1900</Best-caseLatency>
      <Average-caseLatency>1950</Average-caseLatency><Worst-caseLatency>2001</Worst-caseLatency>
      <Interval-min>257</Interval-min><Interval-max>260</Interval-max></SummaryOfOverallLatency>
  </PerformanceEstimates>
  <AreaEstimates>
    <Resources><BRAM_18K>42</BRAM_18K><{dsp}>17</{dsp}><FF>12345</FF><LUT>23456</LUT><URAM>0</URAM></Resources>
    <AvailableResources><BRAM_18K>280</BRAM_18K><{dsp}>220</{dsp}><FF>106400</FF><LUT>53200</LUT><URAM>0</URAM>
    </AvailableResources>
  </AreaEstimates>
</profile>
"""

APP = """<?xml version="1.0" encoding="UTF-8"?>
<AutoPilot:project xmlns:AutoPilot="com.autoesl.autopilot.project" top="{top}" name="{top}_prj" {ns}>
  <solutions xmlns="">
    <solution name="{solution}" status="active"/>
  </solutions>
</AutoPilot:project>
"""


def write_hls_project(root: Path, top: str, vitis: bool) -> Path:
    """A project directory as Vivado HLS (vivado_hls.app, solution1, DSP48E) or Vitis HLS
    (hls.app, sol1, DSP) leaves it after csynth."""
    project = root / f"{top}_prj"
    solution = "sol1" if vitis else "solution1"
    report_dir = project / solution / "syn" / "report"
    report_dir.mkdir(parents=True)
    (project / ("hls.app" if vitis else "vivado_hls.app")).write_text(
        APP.format(top=top, solution=solution, ns='xmlns="com.autoesl.autopilot.project"' if vitis else ""))
    (report_dir / f"{top}_csynth.xml").write_text(
        CSYNTH.format(top=top, version="2023.2" if vitis else "2019.2", dsp="DSP" if vitis else "DSP48E"))
    # a sub-function's report beside it must not be taken for the top's
    (report_dir / "bnf_fifo_csynth.xml").write_text(CSYNTH.format(top="bnf_fifo", version="x", dsp="DSP"))
    return project


@pytest.mark.parametrize("vitis", [False, True], ids=["vivado_hls", "vitis_hls"])
def test_csynth_report_found_and_read(tmp_path: Path, vitis: bool) -> None:
    project = write_hls_project(tmp_path, "net", vitis)
    for where in (tmp_path, project, project / ("sol1" if vitis else "solution1")):
        path = find_csynth_xml(where, "net")
        assert path.name == "net_csynth.xml"
    r = read_csynth_xml(path)
    assert r["resources"] == {"lut": 23456, "ff": 12345, "bram18": 42, "uram": 0, "dsp": 17}
    assert r["available"]["dsp"] == 220 and r["available"]["lut"] == 53200
    assert r["latency_cycles"] == {"best": 1900, "worst": 2001}
    assert r["interval_cycles"] == {"min": 257, "max": 260}
    assert r["clock_ns"] == {"target": 10.0, "estimated": 8.51}
    assert r["top"] == "net" and r["tool_version"] == ("2023.2" if vitis else "2019.2")


def test_csynth_report_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BnnforgeError, match="no <top>_csynth.xml found"):
        find_csynth_xml(tmp_path, "net")
    with pytest.raises(BnnforgeError, match="no such file"):
        find_csynth_xml(tmp_path / "missing", "net")
    other = tmp_path / "other.xml"
    other.write_text("<profile><Something/></profile>")
    with pytest.raises(BnnforgeError, match="not a C-synthesis report"):
        read_csynth_xml(other)
    broken = tmp_path / "broken.xml"
    broken.write_text("<profile><AreaEstimates>")
    with pytest.raises(BnnforgeError, match="not a C-synthesis report"):
        read_csynth_xml(broken)


def test_timing_rule() -> None:
    # (period - 1 ns) / 0.6 ns per level
    assert max_logic_depth(100) == 15 and max_logic_depth(200) == 6 and max_logic_depth(1000) == 1


@pytest.fixture(scope="module")
def tiny_graph():  # noqa: ANN201
    from bnnforge.generator.dataflow import build_dataflow
    from bnnforge.quant import models
    from bnnforge.generator.demo import shipped_checkpoint

    return build_dataflow(models.load(shipped_checkpoint()), batch=1)[1]


def test_auto_folding_fits_the_part(tiny_graph) -> None:  # noqa: ANN001
    from bnnforge.generator.estimate import estimate_graph
    from bnnforge.generator.graph import fold

    small, big = find_device("xc7z020"), find_device("xcu250")
    free, _ = fold(tiny_graph, "auto", None)  # no part: one input pixel per cycle
    free_est = estimate_graph(free)
    assert free_est["throughput"]["cycles_per_frame_estimate"] == 64
    assert not small.fits(free_est["totals"]["estimate"]) and big.fits(free_est["totals"]["estimate"])

    on_big, warnings = fold(tiny_graph, "auto", None, big)
    assert estimate_graph(on_big)["totals"] == free_est["totals"] and not warnings

    fitted, warnings = fold(tiny_graph, "auto", None, small)
    est = estimate_graph(fitted)
    cycles = est["throughput"]["cycles_per_frame_estimate"]
    assert small.fits(est["totals"]["estimate"]) and cycles > 64
    assert any("fastest folding that fits" in w and f"{cycles:,} cycles/frame" in w for w in warnings)
    # the fastest: 10% faster than what it chose does not fit
    faster, _ = fold(tiny_graph, "auto", int(cycles / 1.1))
    assert not small.fits(estimate_graph(faster)["totals"]["estimate"])

    # whichever resource binds is named with its excess (DSP since the cost models were refitted)
    with pytest.raises(BnnforgeError, match=rf"the target 100 cycles/frame .* does not fit xc7z020.*(LUT|DSP), "
                                            rf"\d\.\d\dx the .*fastest folding that fits reaches {cycles:,} "
                                            rf"cycles/frame"):
        fold(tiny_graph, "auto", 100, small)
    same, _ = fold(tiny_graph, "auto", cycles, small)  # a target that fits is met, not slowed down
    assert estimate_graph(same)["throughput"]["cycles_per_frame_estimate"] <= cycles


def _block(tmp_path: Path) -> Path:
    """DIR/rtl of a small stitched graph: thresholding -> binary MVAU, FIFOs between."""
    from bnnforge.generator.emit.rtl import write_rtl
    from bnnforge.generator.emit.rtl_project import FILELIST
    from bnnforge.sim.runner import rtl_sources

    rng = np.random.default_rng(1)
    c, h = 16, 4
    nodes = [helper.make_node("Thresholding", ["x", "t"], ["b"], domain=DOMAIN, name="Thresholding_0", PE=4, in_bits=6,
                              out_shape=[1, h, h, c], out_dtype="BINARY"),
             helper.make_node("BinaryMVAU", ["b", "w"], ["y"], domain=DOMAIN, name="BinaryMVAU_0", MW=c, MH=8, PE=2,
                              SIMD=4, kernel=1, stride=1, pad=0, ifm_dim=[h, h], out_shape=[1, h, h, 8],
                              out_dtype="INT6")]
    graph = helper.make_graph(nodes, "block", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, h, h, c])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, h, h, 8])])
    model = ModelWrapper(helper.make_model(graph))
    model.set_initializer("t", rng.integers(-20, 20, c).astype(np.float32))
    model.set_initializer("w", rng.integers(0, 2, (8, c)).astype(np.float32))
    for t, dt in (("x", "INT6"), ("b", "BINARY"), ("y", "INT6")):
        model.set_tensor_datatype(t, DataType[dt])
    rtl = tmp_path / "rtl"
    top_file, lib = write_rtl(model, rtl, "block", mem_prefix="mem/")
    for src in rtl_sources(*lib):
        (rtl / src.name).write_text(src.read_text())
    (rtl / FILELIST).write_text("\n".join([*lib, top_file.name]) + "\n")
    return rtl


@pytest.mark.yosys
def test_module_synthesis_cached_and_deduplicated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bnnforge.generator.report.synthesis import layer_jobs, run_jobs, top_job

    monkeypatch.setenv("BNNFORGE_CACHE", str(tmp_path / "cache"))
    rtl = _block(tmp_path)
    jobs = layer_jobs(rtl)
    names = [j.name for j in jobs]
    assert set(names) == {"Thresholding_0", "BinaryMVAU_0", "FIFO_x", "FIFO_b"}, names
    seen: list[tuple[int, int, str]] = []
    first = run_jobs(jobs + [top_job(rtl)], timeout=600, workers=2, progress=lambda d, t, n: seen.append((d, t, n)))
    assert [d for d, _, _ in seen] == list(range(1, len(seen) + 1)) and seen[-1][1] == len(seen)
    assert all("error" not in r and r["lut"] > 0 and r["logic_depth"] >= 1 for r in first.values()), first
    assert not any(r["cached"] for r in first.values())
    # the top holds the modules: at least as much logic as its largest one
    assert first["top"]["lut"] >= max(first[n]["lut"] for n in names)
    again = run_jobs(jobs, timeout=600)
    assert all(r["cached"] for r in again.values())
    assert {n: {k: v for k, v in r.items() if k != "cached"} for n, r in again.items()} == \
        {n: {k: v for k, v in first[n].items() if k != "cached"} for n in names}
    # a changed memory file is another module: no stale cache hit
    mem = next((rtl / "mem").glob("BinaryMVAU_0_weight*.mem"))
    mem.write_text(mem.read_text().replace("0", "f", 1))
    assert not run_jobs(layer_jobs(rtl), timeout=600)["BinaryMVAU_0"]["cached"]


@pytest.mark.yosys
def test_module_synthesis_time_limit_and_missing_yosys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bnnforge.generator.report.synthesis import layer_jobs, run_jobs

    monkeypatch.setenv("BNNFORGE_CACHE", str(tmp_path / "cache"))
    rtl = _block(tmp_path)
    out = run_jobs(layer_jobs(rtl), timeout=0.01)
    assert all("took more than" in r["error"] for r in out.values()), out
    assert not list((tmp_path / "cache").glob("synth/*.json"))  # failures are not cached
    monkeypatch.setenv("BNNFORGE_YOSYS", "/nonexistent/yosys")
    from bnnforge.generator import synth

    synth.yosys_version.cache_clear()
    try:
        with pytest.raises(BnnforgeError, match="Yosys not found"):
            run_jobs(layer_jobs(rtl))
    finally:
        synth.yosys_version.cache_clear()


def test_memory_used_and_needed_per_layer(tiny_graph) -> None:  # noqa: ANN001
    from qonnx.custom_op.registry import getCustomOp

    from bnnforge.generator.estimate import estimate_graph
    from bnnforge.generator.graph import fold
    from bnnforge.generator.passes.fifos import fifo_depth

    folded, _ = fold(tiny_graph, "auto", 256)
    est = estimate_graph(folded)
    rows = {r["name"]: r for r in est["layers"] + est["interconnect"]}
    assert all(0 <= r["memory"]["floor_bits"] <= r["memory"]["bits"] for r in rows.values())
    kinds = {r["op"] for r in rows.values()}
    assert {"LongShortShift", "DynamicSign", "BinaryMVAU", "FIFO"} <= kinds
    for r in rows.values():
        op = r["op"]
        if op == "LongShortShift":  # a frame needed, a second one to stream on
            assert r["memory"]["floor_bits"] * 2 == r["memory"]["bits"] > 0
        if op == "DynamicSign":
            assert 0 < r["memory"]["floor_bits"] < r["memory"]["bits"]
        if op == "BinaryMVAU":  # its weights at least
            node = next(n for n in folded.graph.node if n.name == r["name"])
            weights = folded.get_initializer(node.input[1]).size
            assert r["memory"]["floor_bits"] >= weights if not getCustomOp(node).is_const() else True
        if op == "FIFO":
            depth, width = r["folding"]["depth"], r["folding"]["width"]
            assert r["memory"]["bits"] == depth * width
            words = r["memory"]["floor_bits"] // width
            # the depth is that floor with its margin and slack (issue 13: at most 1.25x + slack)
            assert depth in (fifo_depth(words, joins=False), fifo_depth(words, joins=True))
            assert depth <= 1.25 * words + fifo_depth(0, joins=True)
    assert any(r["op"] == "FIFO" and r["memory"]["floor_bits"] > 0 for r in rows.values())  # skip paths wait
