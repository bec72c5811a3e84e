"""`bnnforge report DIR`: completes DIR/report.json and writes report.md and report.html.

What goes in, next to the estimates `build` wrote (and the C-simulation and RTL simulation
numbers `csim` and `sim` added):
- `--synth`: Yosys synth_xilinx of every instance of DIR/rtl's stitched top and of the top
  (report/synthesis.py: parallel, cached, a time limit each), with the logic depth of each
  module; modules deeper than the clock allows are listed as a timing risk.
- `--hls-report PATH`: the totals of a Vivado/Vitis HLS csynth report (report/hls_report.py).
- `--part P`: utilisation and fit on another part (the table of all known parts is always there).
Yosys missing, or one module failing, is said in the report and on the terminal; the rest of
the report is still written.
"""

from __future__ import annotations

import math
from pathlib import Path

from bnnforge.generator.console import say, terminal
from bnnforge.generator.report import render
from bnnforge.generator.report.build_report import write_json, write_text
from bnnforge.generator.report.devices import CAPACITY_KEYS, find_device
from bnnforge.quant.errors import BnnforgeError

# Timing rule of thumb for 7-series (-1 speed grade): a LUT level with its local routing takes
# about 0.6 ns, clock-to-out and setup about 1 ns together.
NS_PER_LEVEL, NS_FIXED = 0.6, 1.0


def max_logic_depth(clock_mhz: float) -> int:
    """The most LUT levels a register-to-register path can have at this clock (rule above)."""
    return max(1, math.floor((1000.0 / clock_mhz - NS_FIXED) / NS_PER_LEVEL))


def _progress_bar(quiet: bool):  # noqa: ANN202
    if quiet:
        return None
    from tqdm import tqdm

    bar: list = []

    def update(done: int, total: int, name: str) -> None:
        if not bar:
            bar.append(tqdm(total=total, desc="Yosys", unit="module", file=terminal(), leave=False))
        bar[0].set_postfix_str(name[:30])
        bar[0].update(1)
        if done == total:
            bar[0].close()

    return update


def add_synthesis(report: dict, build_dir: Path, timeout: float, workers: int | None, quiet: bool) -> None:
    from bnnforge.generator.report.synthesis import layer_jobs, run_jobs, top_job

    rtl = build_dir / "rtl"
    jobs = layer_jobs(rtl) + [top_job(rtl)]
    say(f"Yosys synth_xilinx: {len(jobs) - 1} instances and the top of {rtl} (cached, {timeout:g} s limit each)")
    results = run_jobs(jobs, timeout=timeout, workers=workers, progress=_progress_bar(quiet))
    rows = report["layers"] + report.get("interconnect", [])
    for row in rows:
        row["synth"] = results.get(row["name"])
    top = results["top"]
    if "error" in top:
        ok = [row["synth"] for row in rows if row.get("synth") and "error" not in row["synth"]]
        report["totals"]["synth"] = {**{k: sum(s.get(k, 0) for s in ok) for k in ("lut", "ff", "carry4", "bram18", "dsp")},
                                     "source": f"sum of {len(ok)} modules (the top: {top['error']})"}
    else:
        report["totals"]["synth"] = {**top, "source": "the stitched top"}
    limit = max_logic_depth(report["clock_mhz"])
    deep = sorted(((name, r["logic_depth"]) for name, r in results.items()
                   if (r.get("logic_depth") or 0) > limit), key=lambda x: -x[1])
    report["timing"] = {"max_logic_depth": limit, "deep": deep,
                        "rule": f"at {report['clock_mhz']:g} MHz a path may have about {limit} LUT levels "
                                f"(({1000 / report['clock_mhz']:.2f} ns - {NS_FIXED} ns clock-to-out and setup) / "
                                f"{NS_PER_LEVEL} ns per level, 7-series -1); deeper modules risk missing timing"}
    failed = [name for name, r in results.items() if "error" in r]
    if failed:
        report.setdefault("notes", []).append(f"Yosys failed on {len(failed)} modules: {', '.join(failed[:5])}"
                                              + (" ..." if len(failed) > 5 else "") + f" ({results[failed[0]]['error'][:200]})")


def write_report(build_dir: Path, synth: bool = False, hls_report: Path | None = None, part: str | None = None,
                 timeout: float = 900, workers: int | None = None, quiet: bool = False) -> dict:
    from bnnforge.generator.build import REPORT_FILE, read_build

    build_dir = Path(build_dir)
    build_info, report = read_build(build_dir)
    device = find_device(part or report["part"])  # an unknown part fails before any work
    report.pop("notes", None)
    if hls_report is not None:
        from bnnforge.generator.report.hls_report import find_csynth_xml, read_csynth_xml

        report["totals"]["hls_report"] = read_csynth_xml(find_csynth_xml(Path(hls_report), report.get("top")))
    if synth:
        try:
            add_synthesis(report, build_dir, timeout, workers, quiet)
        except BnnforgeError as e:  # e.g. no Yosys: say so, write the rest
            say(f"warning: no synthesis numbers: {e}", err=True)
            report.setdefault("notes", []).append(f"no synthesis numbers: {e}")
    est = report["totals"]["estimate"]
    report["part"] = device.part
    report["device"] = {"part": device.part, "capacity": device.capacity(),
                        "utilisation": {k: round(v, 4) for k, v in device.utilisation(est).items()},
                        "fits": device.fits(est)}
    if (report["totals"].get("synth") or {}).get("lut") is not None:
        used = {k: report["totals"]["synth"].get(k, 0) for k in CAPACITY_KEYS}
        report["device"]["fits_synth"] = device.fits(used)
    write_json(build_dir / REPORT_FILE, report)
    write_text(build_dir / "report.md", render.markdown(report))
    write_text(build_dir / "report.html", render.html_page(report))
    return report
