"""Vivado HLS / Vitis HLS C-synthesis reports: find `<top>_csynth.xml` and read its totals.

Where the report lies: `<project>/<solution>/syn/report/<top>_csynth.xml`. The project
directory names its solutions in `vivado_hls.app` (Vivado HLS) or `hls.app` (Vitis HLS);
DIR/hls's build_prj.tcl makes `<top>_prj/solution1` (Vitis's own default is `sol1`).
`--hls-report` takes the XML itself, a solution directory, a project directory, or the
directory holding the project (DIR/hls after `vivado_hls -f build_prj.tcl`).

The two tools differ in one name: the DSP count is `DSP48E` in Vivado HLS and `DSP` in
Vitis HLS.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from bnnforge.quant.errors import BnnforgeError

PROJECT_FILES = ("vivado_hls.app", "hls.app")
DEFAULT_SOLUTIONS = ("solution1", "sol1")
# report tag -> report.json key
RESOURCE_TAGS = {"LUT": "lut", "FF": "ff", "BRAM_18K": "bram18", "URAM": "uram", "DSP48E": "dsp", "DSP": "dsp"}


def _solutions(project: Path) -> list[str]:
    """Solution names in the order the project file lists them, then the defaults."""
    names: list[str] = []
    for fname in PROJECT_FILES:
        app = project / fname
        if app.is_file():
            try:
                # the two tools write the file with and without a default namespace
                root = ET.fromstring(re.sub(r'\sxmlns="[^"]+"', "", app.read_text(), count=1))
            except ET.ParseError as e:
                raise BnnforgeError(f"{app} is not valid XML: {e}") from None
            names += [s.get("name") for s in root.iter("solution") if s.get("name")]
    return names + [s for s in DEFAULT_SOLUTIONS if s not in names]


def _in_solution(solution: Path, top: str | None) -> Path | None:
    report_dir = solution / "syn" / "report"
    if top is not None and (report_dir / f"{top}_csynth.xml").is_file():
        return report_dir / f"{top}_csynth.xml"
    # the top's report is the one csynth.xml summarises (per-function reports sit beside it)
    if (report_dir / "csynth.xml").is_file():
        return report_dir / "csynth.xml"
    found = sorted(report_dir.glob("*_csynth.xml"))
    return found[0] if len(found) == 1 else None


def find_csynth_xml(path: Path, top: str | None = None) -> Path:
    """The C-synthesis XML report at or under `path` (see the module docstring)."""
    path = Path(path)
    if path.is_file():
        return path
    if not path.is_dir():
        raise BnnforgeError(f"--hls-report {path}: no such file or directory")
    projects = [path] + ([path / f"{top}_prj"] if top else []) + sorted(p for p in path.iterdir() if p.is_dir())
    if (path / "syn" / "report").is_dir():  # a solution directory
        hit = _in_solution(path, top)
        if hit:
            return hit
    for project in projects:
        if not any((project / f).is_file() for f in PROJECT_FILES) and project != path:
            continue
        for name in _solutions(project):
            hit = _in_solution(project / name, top)
            if hit:
                return hit
    raise BnnforgeError(f"--hls-report {path}: no <top>_csynth.xml found (looked for a project with "
                        f"{' or '.join(PROJECT_FILES)} and its solution's syn/report/)")


def _int(node: ET.Element | None) -> int | None:
    if node is None or node.text is None:
        return None
    text = node.text.strip()
    return int(text) if re.fullmatch(r"\d+", text) else None


def read_csynth_xml(path: Path) -> dict:
    """Totals of a csynth report: resources, their availability on the part, latency and
    initiation interval in cycles, target and estimated clock period. A one-line error if
    the file is not a C-synthesis report."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        raise BnnforgeError(f"{path} is not a C-synthesis report: {e}") from None
    area, perf = root.find("AreaEstimates"), root.find("PerformanceEstimates")
    if root.tag != "profile" or area is None or area.find("Resources") is None or perf is None:
        raise BnnforgeError(f"{path} is not a C-synthesis report (no <profile> with AreaEstimates and "
                            "PerformanceEstimates)")
    resources = {RESOURCE_TAGS[c.tag]: _int(c) for c in area.find("Resources") if c.tag in RESOURCE_TAGS}
    available = {RESOURCE_TAGS[c.tag]: _int(c) for c in (area.find("AvailableResources") or []) if c.tag in RESOURCE_TAGS}
    latency = perf.find("SummaryOfOverallLatency")

    def text(xpath: str) -> str | None:
        node = root.find(xpath)
        return node.text.strip() if node is not None and node.text else None

    def number(xpath: str) -> float | None:
        value = text(xpath)
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None

    return {
        "file": path.name,
        "tool_version": text("ReportVersion/Version"),
        "top": text("UserAssignments/TopModelName"),
        "part": text("UserAssignments/Part"),
        "resources": {k: resources.get(k) for k in ("lut", "ff", "bram18", "uram", "dsp")},
        "available": {k: available.get(k) for k in ("lut", "ff", "bram18", "uram", "dsp")},
        "latency_cycles": {"best": _int(latency.find("Best-caseLatency")) if latency is not None else None,
                           "worst": _int(latency.find("Worst-caseLatency")) if latency is not None else None},
        "interval_cycles": {"min": _int(latency.find("Interval-min")) if latency is not None else None,
                            "max": _int(latency.find("Interval-max")) if latency is not None else None},
        "clock_ns": {"target": number("UserAssignments/TargetClockPeriod"),
                     "estimated": number("PerformanceEstimates/SummaryOfTimingAnalysis/EstimatedClockPeriod")},
    }
