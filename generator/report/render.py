"""report.md and report.html from report.json: the same tables in both; the HTML page adds
the plots (inline SVG) and needs nothing but itself to open."""

from __future__ import annotations

import html

from bnnforge.generator.report import plots
from bnnforge.generator.report.devices import DEVICES

RESOURCES = plots.RESOURCES


def _n(v: object) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _fold(folding: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in folding.items()) or "-"


def tables(report: dict) -> list[tuple[str, list[str], list[list[str]], str]]:
    """(title, header, rows, note) of every table, in page order."""
    out = []
    v, t, lat = report["verification"], report["throughput"], report["latency"]
    clock = report["clock_mhz"]
    summary = [["model", report["model"] + ("" if report["trained"] else " (untrained: hardware numbers only)")],
               ["input", "x".join(map(str, report["input_shape"]))], ["part", report["part"]],
               ["clock", f"{clock:g} MHz"],
               ["golden model vs PyTorch", f"{v['golden_mismatches']} of {v['images']} images differ"],
               ["HLS C-simulation", "not run" if v.get("csim_mismatches") is None
                else f"{v['csim_mismatches']} of {v.get('csim_images', v['images'])} images differ"],
               ["RTL simulation", "not run" if v.get("rtl_mismatches") is None
                else f"{v['rtl_mismatches']} of {v.get('rtl_images')} images differ ({v.get('rtl_simulator')})"]]
    if report.get("accuracy"):
        a = report["accuracy"]
        summary.append(["accuracy", f"PyTorch {a['torch']:.3f}, hardware {a['hardware']:.3f} on {a['images']} images"])
    out.append(("Build", ["", ""], summary, ""))

    cpf_sim, lat_sim = t.get("cycles_per_frame_sim"), lat.get("cycles_sim")
    hls = (report["totals"].get("hls_report") or {})
    perf = [["cycles per frame", _n(t["cycles_per_frame_estimate"]), _n(t.get("cycles_per_frame_hls")), _n(cpf_sim),
             _n((hls.get("interval_cycles") or {}).get("max"))],
            ["frames/s at the clock", _n(clock * 1e6 / t["cycles_per_frame_estimate"]),
             _n(clock * 1e6 / t["cycles_per_frame_hls"]) if t.get("cycles_per_frame_hls") else "-",
             _n(clock * 1e6 / cpf_sim) if cpf_sim else "-",
             _n(clock * 1e6 / hls["interval_cycles"]["max"]) if (hls.get("interval_cycles") or {}).get("max") else "-"],
            ["first-in to last-out latency (cycles)", _n(lat["cycles_estimate"]), "-", _n(lat_sim),
             _n((hls.get("latency_cycles") or {}).get("worst"))]]
    out.append(("Throughput and latency", ["", "estimate", "HLS trip count", "RTL simulation", "HLS csynth"], perf,
                f"bottleneck: {t['bottleneck']}"))

    cap = report["device"]["capacity"]
    cols = {"estimate": report["totals"]["estimate"]}
    if (report["totals"].get("synth") or {}).get("lut") is not None:
        cols["Yosys (top)"] = report["totals"]["synth"]
    if hls:
        cols["HLS csynth"] = hls["resources"]
    finn_rows = [r for r in report["layers"] if r.get("finn_estimate")]
    rows = []
    for k in RESOURCES:
        row = [k.upper(), _n(cap.get(k))]
        for vals in cols.values():
            used = vals.get(k)
            row.append("-" if used is None else f"{_n(used)} ({100.0 * used / cap[k]:.1f}%)" if cap.get(k)
                       else _n(used))
        rows.append(row)
    fits = "fits" if report["device"]["fits"] else "does NOT fit"
    out.append((f"Resources on {report['device']['part']}", ["", "capacity", *cols], rows,
                f"the estimate {fits}; FINN's res_estimation covers {len(finn_rows)} of {len(report['layers'])} layers"))

    est = report["totals"]["estimate"]
    dev_rows = []
    for d in DEVICES:
        util = d.utilisation(est)
        worst = max(util, key=util.get)
        dev_rows.append([d.part, *(_n(getattr(d, k)) for k in RESOURCES), f"{100 * util[worst]:.1f}% {worst.upper()}",
                         "yes" if d.fits(est) else "no"])
    out.append(("Devices (estimate)", ["part", *(k.upper() for k in RESOURCES), "highest use", "fits"], dev_rows, ""))

    layer_rows = []
    for r in report["layers"] + report.get("interconnect", []):
        e, s, f, m = r["estimate"], r.get("synth") or {}, r.get("finn_estimate") or {}, r.get("memory") or {}
        layer_rows.append([r["name"], r["op"], _fold(r["folding"]), _n(e["lut"]), _n(s.get("lut")), _n(f.get("lut")),
                           _n(e["ff"]), _n(s.get("ff")), _n(e["bram18"]), _n(s.get("bram18")), _n(e.get("uram")), _n(e["dsp"]),
                           _n(e["cycles"]), _n(r.get("hls_cycles")), _n(f.get("cycles")), _n(s.get("logic_depth")),
                           _n(m.get("bits")), _n(m.get("floor_bits"))])
    out.append(("Per layer", ["layer", "op", "folding", "LUT est", "LUT Yosys", "LUT FINN", "FF est", "FF Yosys",
                              "BRAM18 est", "BRAM18 Yosys", "URAM est", "DSP est", "cycles est", "cycles HLS", "cycles FINN",
                              "logic depth", "memory bits", "memory floor"], layer_rows,
                "Yosys: synth_xilinx -family xc7 of each instance alone, as the stitched top parameterizes it; "
                "logic depth: LUT/CARRY4/MUXF cells on the longest path between registers"))
    risk = report.get("timing") or {}
    if risk.get("deep"):
        out.append((f"Timing risk at {clock:g} MHz", ["module", "logic depth"],
                    [[n, str(d)] for n, d in risk["deep"]], risk["rule"]))
    return out


def markdown(report: dict) -> str:
    lines = [f"# bnnforge report: {report['model']} on {report['part']}", ""]
    for title, header, rows, note in tables(report):
        lines += [f"## {title}", ""]
        if header[0] == header[1] == "":
            lines += ["| | |", "| --- | --- |"]
        else:
            lines += ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        lines += ([""] + [note] if note else []) + [""]
    for note in report.get("notes", []):
        lines.append(f"- {note}")
    return "\n".join(lines).rstrip() + "\n"


_STYLE = """body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:0.5em 0}
td,th{border:1px solid #ccc;padding:2px 6px;font-size:12px;text-align:right}td:first-child,th:first-child{text-align:left}
h2{margin-top:1.5em}p.note{color:#555;font-size:12px}figure{margin:1em 0}"""


def html_page(report: dict) -> str:
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>bnnforge report: {html.escape(report['model'])}"
             f"</title><style>{_STYLE}</style></head><body>",
             f"<h1>bnnforge report: {html.escape(report['model'])} on {html.escape(report['part'])}</h1>"]
    for title, header, rows, note in tables(report):
        parts.append(f"<h2>{html.escape(title)}</h2><table>")
        if any(header):
            parts.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows]
        parts.append("</table>" + (f"<p class='note'>{html.escape(note)}</p>" if note else ""))
    parts.append("<h2>Plots</h2>")
    for make in (plots.lut_per_layer, plots.cycles_per_layer, plots.totals_vs_part, plots.memory_per_layer):
        svg = make(report)
        if svg:
            parts.append(f"<figure>{svg}</figure>")
    if report.get("notes"):
        parts.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in report["notes"]) + "</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
