"""`bnnforge sim DIR`: cocotb simulation of a whole network's RTL on its tb_data (rung 5).

The RTL is DIR/rtl (filelist.f) or any other with the same stream ports (`--rtl FILELIST
--top NAME`, e.g. what Vivado HLS made from DIR/hls). The test bench is DIR/rtl/tb/network_tb.py,
the file cocotb's own flow runs there, driven here through cocotb's Python runner. The
simulator's output goes to a log file; the terminal shows a progress bar.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

from bnnforge.generator.console import quiet, say, terminal
from bnnforge.generator.emit.rtl_project import TB_MODULE
from bnnforge.quant.errors import BnnforgeError
from bnnforge.sim.project_csim import cache_root
from bnnforge.sim.runner import SIMULATORS, cocotb_env, find_tools, ports_only_public, verilator_make_flags

# images `bnnforge sim` runs unless told (RTL simulation is slow; C-simulation runs them all)
DEFAULT_IMAGES = 32
MEM_PARAM = "MEM_DIR"


def read_filelist(filelist: Path) -> list[Path]:
    """Sources of a file list (one path a line, relative to the list's directory; # comments)."""
    filelist = Path(filelist)
    if not filelist.is_file():
        raise BnnforgeError(f"file list {filelist} does not exist")
    paths = []
    for line in filelist.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        p = Path(line) if Path(line).is_absolute() else filelist.parent / line
        if not p.is_file():
            raise BnnforgeError(f"{filelist}: source {line} does not exist")
        paths.append(p.resolve())
    if not paths:
        raise BnnforgeError(f"file list {filelist} names no sources")
    return paths


def _module_text(sources: list[Path], top: str) -> str:
    pattern = re.compile(rf"\bmodule\s+{re.escape(top)}\b(.*?)\bendmodule\b", re.S)
    for src in sources:
        m = pattern.search(src.read_text(errors="replace"))
        if m:
            return m.group(1)
    raise BnnforgeError(f"no module {top!r} in the RTL sources ({', '.join(s.name for s in sources[:5])}...)")


def check_ports(sources: list[Path], top: str, in_bits: int, out_bits: int) -> bool:
    """Check the top has the stream ports of the build (names and TDATA widths); returns
    whether it takes the MEM_DIR parameter of a bnnforge-stitched top."""
    text = _module_text(sources, top)
    for port in ("ap_clk", "ap_rst_n", *(f"{p}_{s}" for p in ("in0_V", "out0_V") for s in ("TDATA", "TVALID", "TREADY"))):
        if not re.search(rf"\b{port}\b", text):
            raise BnnforgeError(f"RTL top {top!r} has no port {port}; the build's ports are ap_clk, ap_rst_n, "
                                "in0_V_TDATA/TVALID/TREADY and out0_V_TDATA/TVALID/TREADY")
    for port, bits in (("in0_V_TDATA", in_bits), ("out0_V_TDATA", out_bits)):
        m = re.search(rf"\[\s*(\d+)\s*:\s*0\s*\]\s*{port}\b", text)
        if not m or int(m.group(1)) + 1 != bits:
            have = f"{int(m.group(1)) + 1} bits" if m else "no [N:0] width"
            raise BnnforgeError(f"RTL top {top!r}: {port} has {have}, the build's stream words have {bits} bits")
    return re.search(rf"\bparameter\s+{MEM_PARAM}\b", text) is not None


def simulate_network(build_dir: Path, top: str, tb_meta: dict, simulator: str = "verilator", images: int | None = None,
                     stall: float = 0.0, seed: int = 0, rtl: Path | None = None, progress: bool = True) -> dict:
    """Simulate; returns the test bench's result (mismatches, cycles) plus the log path."""
    from cocotb_tools.runner import get_results, get_runner

    if simulator not in SIMULATORS:
        raise BnnforgeError(f"unknown simulator {simulator!r}; expected one of {', '.join(SIMULATORS)}")
    if not 0.0 <= stall < 1.0:
        raise BnnforgeError(f"--stall must be in [0, 1), got {stall:g}")
    build_dir = Path(build_dir).resolve()
    n_images = tb_meta["images"] if images is None else images
    if not 1 <= n_images <= tb_meta["images"]:
        raise BnnforgeError(f"--images {images}: tb_data holds {tb_meta['images']} images")
    tb_file = build_dir / "rtl" / "tb" / f"{TB_MODULE}.py"
    if not tb_file.is_file():
        raise BnnforgeError(f"{tb_file} is missing: {build_dir} is not a complete bnnforge build")
    sources = read_filelist(Path(rtl) if rtl else build_dir / "rtl" / "filelist.f")
    has_mem = check_ports(sources, top, tb_meta["in_tdata_bits"], tb_meta["out_tdata_bits"])
    find_tools(simulator)
    parameters = {MEM_PARAM: f'"{build_dir / "rtl" / "mem"}/"'} if has_mem and rtl is None else {}

    digest = hashlib.sha256(json.dumps([simulator, top, [str(s) for s in sources], parameters]).encode())
    for s in sources:
        digest.update(s.read_bytes())
    work = cache_root() / "sim" / f"{simulator}_{top}_{digest.hexdigest()[:16]}"
    work.mkdir(parents=True, exist_ok=True)
    log_path = work / "sim.log"
    if simulator == "verilator":
        verilator_make_flags()
    runner = get_runner(simulator)
    build_args = ["--x-assign", "unique", "-Wno-UNOPTFLAT", "-Wno-fatal"] if simulator == "verilator" else []
    if simulator == "verilator":
        ports_only_public(runner)
    with tempfile.TemporaryDirectory() as tmp:
        result_file, progress_file = Path(tmp) / "result.json", Path(tmp) / "progress.txt"
        progress_file.touch()
        env = {**cocotb_env(TB_MODULE), "BNF_TB_DATA": str(build_dir / "tb_data"), "BNF_IMAGES": str(n_images), "BNF_STALL": str(stall),
               "BNF_SEED": str(seed), "BNF_RESULT": str(result_file), "BNF_PROGRESS": str(progress_file)}
        outcome: dict = {}

        def work_fn() -> None:
            sys.path.insert(0, str(tb_file.parent))  # cocotb's runner passes sys.path on as PYTHONPATH
            try:
                runner.build(sources=[str(s) for s in sources], hdl_toplevel=top, parameters=parameters,
                             build_dir=work, build_args=build_args, timescale=("1ns", "1ps"))
                outcome["xml"] = runner.test(test_module=TB_MODULE, hdl_toplevel=top, build_dir=work, test_dir=tmp,
                                             extra_env=env, parameters=parameters)
            except BaseException as e:  # noqa: BLE001  (reported in the main thread)
                outcome["error"] = e
            finally:
                sys.path.remove(str(tb_file.parent))

        with quiet(log_path):
            thread = threading.Thread(target=work_fn, daemon=True)
            thread.start()
            _progress(thread, progress_file, n_images, simulator, terminal() if progress else None)
        if "error" in outcome:
            raise BnnforgeError(f"{simulator} could not build or run {top}: {type(outcome['error']).__name__}; "
                                f"see {log_path}")
        _, failed = get_results(outcome["xml"])
        if failed or not result_file.is_file():
            raise BnnforgeError(f"the cocotb test of {top} on {simulator} failed (a lost or extra word, or a hang); "
                                f"see {log_path}")
        result = json.loads(result_file.read_text())
    result["log"] = str(log_path)
    return result


def _progress(thread: threading.Thread, progress_file: Path, total: int, simulator: str, term) -> None:  # noqa: ANN001
    """A progress bar on a terminal, the stages as lines elsewhere, nothing with term None."""
    from tqdm import tqdm

    bar = None
    if term is not None:
        if term.isatty():
            bar = tqdm(total=total, desc=f"{simulator}: building", unit="image", file=term, leave=False)
        else:
            print(f"{simulator}: building and simulating {total} images", file=term, flush=True)
    done = 0
    while thread.is_alive():
        thread.join(0.5)
        now = len(progress_file.read_text().split()) if progress_file.is_file() else 0
        if bar is not None and now != done:
            if done == 0:
                bar.set_description(f"{simulator}: simulating")
            bar.update(now - done)
        done = now
    if bar is not None:
        bar.close()


def sim_command(build_dir: Path, simulator: str = "verilator", images: int | None = None, stall: float = 0.0,
                seed: int = 0, rtl: Path | None = None, top: str | None = None, progress: bool = True,
                log=None) -> int:  # noqa: ANN001
    """Simulate a build's RTL (or `rtl` with top `top`), record the results in report.json;
    exit status 1 if any image differs."""
    from bnnforge.generator.build import TB_DIR, read_build
    from bnnforge.generator.report.build_report import update_report
    from bnnforge.generator.tb_data import read_tb_data

    log = log or say
    build_dir = Path(build_dir)
    info, _ = read_build(build_dir)
    tb = read_tb_data(build_dir / TB_DIR)
    if (rtl is None) != (top is None):
        raise BnnforgeError("--rtl FILELIST and --top NAME go together")
    top = top or info["top"]
    n = min(tb.images, DEFAULT_IMAGES) if images is None else images
    log(f"RTL simulation of {top} on {simulator} (cocotb), {n} images, stall probability {stall:g}")
    t0 = time.perf_counter()
    res = simulate_network(build_dir, top, tb.meta(), simulator, n, stall, seed, rtl, progress)
    bad = res["mismatches"]

    def record(report: dict) -> None:
        v = report["verification"]
        v["rtl_mismatches"], v["rtl_simulator"], v["rtl_images"], v["rtl_stall"] = len(bad), simulator, n, stall
        v["rtl_source"] = "DIR/rtl" if rtl is None else str(rtl)
        # cycles only mean the design's rate when nothing stalls it
        report["throughput"]["cycles_per_frame_sim"] = res["cycles_per_frame"] if stall == 0 else None
        report["latency"]["cycles_sim"] = res["latency"] if stall == 0 else None

    update_report(build_dir, record)
    log(f"sim: {n} images, {len(bad)} mismatching"
        + (f" (images {', '.join(str(m['image']) for m in bad[:10])}{', ...' if len(bad) > 10 else ''})" if bad else "")
        + f"; {time.perf_counter() - t0:.0f} s; log {res['log']}")
    if stall == 0:
        log(f"measured: {res['cycles_per_frame']} cycles/frame, first-in-to-last-out latency {res['latency']} cycles")
    return 1 if bad else 0
