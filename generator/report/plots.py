"""The report's plots (matplotlib, as inline SVG text so report.html opens offline as one file):
per-layer LUT (estimate, Yosys, FINN), per-layer cycles with the bottleneck marked, totals
against the part's capacity, and memory per layer (used against the least the layer needs)."""

from __future__ import annotations

import io

RESOURCES = ("lut", "ff", "bram18", "uram", "dsp")
COLORS = {"estimate": "#4477aa", "yosys": "#ee6677", "finn": "#228833", "hls": "#ccbb44", "floor": "#bbbbbb"}


def _figure(rows: int):  # noqa: ANN202
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    height = max(2.5, 0.22 * rows + 1.2)
    return plt, *plt.subplots(figsize=(9, height))


def _svg(plt, fig) -> str:  # noqa: ANN001
    buf = io.StringIO()
    fig.tight_layout()
    fig.savefig(buf, format="svg", metadata={"Date": None})  # no time stamp: same report, same bytes
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog: the SVG sits inside the HTML


def _barh(ax, labels: list[str], series: dict[str, list[float | None]], log: bool = False) -> None:  # noqa: ANN001
    n = max(1, len(series))
    height = 0.8 / n
    for k, (name, values) in enumerate(series.items()):
        ys = [i + (k - (n - 1) / 2) * height for i in range(len(labels))]
        xs = [v if v is not None else 0 for v in values]
        ax.barh(ys, xs, height=height, label=name, color=COLORS.get(name.split()[0].lower(), None))
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("symlog", linthresh=1)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="x", alpha=0.3)


def lut_per_layer(report: dict) -> str:
    rows = report["layers"]
    labels = [r["name"] for r in rows]
    series: dict[str, list] = {"estimate": [r["estimate"]["lut"] for r in rows]}
    if any(r.get("synth") and "lut" in r["synth"] for r in rows):
        series["yosys"] = [(r.get("synth") or {}).get("lut") for r in rows]
    if any(r.get("finn_estimate") for r in rows):
        series["finn res_estimation"] = [(r.get("finn_estimate") or {}).get("lut") for r in rows]
    plt, fig, ax = _figure(len(rows))
    _barh(ax, labels, series, log=True)
    ax.set_xlabel("LUT per layer")
    ax.set_title("LUT: bnnforge estimate vs Yosys synth_xilinx vs FINN", fontsize=9)
    return _svg(plt, fig)


def cycles_per_layer(report: dict) -> str:
    rows = report["layers"]
    labels = [r["name"] for r in rows]
    series: dict[str, list] = {"estimate": [r["estimate"]["cycles"] for r in rows]}
    if any(r.get("hls_cycles") is not None for r in rows):
        series["hls trip count"] = [r.get("hls_cycles") for r in rows]
    plt, fig, ax = _figure(len(rows))
    _barh(ax, labels, series)
    bottleneck = report["throughput"]["bottleneck"]
    if bottleneck in labels:
        i = labels.index(bottleneck)
        ax.get_yticklabels()[i].set_color("#cc3311")
        ax.get_yticklabels()[i].set_fontweight("bold")
    sim = report["throughput"].get("cycles_per_frame_sim")
    ax.axvline(report["throughput"]["cycles_per_frame_estimate"], color="#cc3311", ls="--", lw=1,
               label="cycles/frame (estimate)")
    if sim:
        ax.axvline(sim, color="black", ls=":", lw=1, label="cycles/frame (simulated)")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_xlabel("cycles per frame")
    ax.set_title(f"Cycles per layer; bottleneck {bottleneck} (red)", fontsize=9)
    return _svg(plt, fig)


def totals_vs_part(report: dict) -> str:
    cap = report["device"]["capacity"]
    keys = [k for k in RESOURCES if cap.get(k)]
    columns = {"estimate": report["totals"]["estimate"]}
    if report["totals"].get("synth") and "lut" in report["totals"]["synth"]:
        columns["yosys"] = report["totals"]["synth"]
    if report["totals"].get("hls_report"):
        columns["hls csynth"] = report["totals"]["hls_report"]["resources"]
    series = {name: [100.0 * (vals.get(k) or 0) / cap[k] for k in keys] for name, vals in columns.items()}
    plt, fig, ax = _figure(len(keys) * max(1, len(series)) // 2 + 2)
    _barh(ax, [k.upper() for k in keys], series)
    ax.axvline(100, color="#cc3311", lw=1)
    ax.set_xlabel(f"% of {report['device']['part']}")
    ax.set_title("Totals against the part's capacity", fontsize=9)
    return _svg(plt, fig)


def memory_per_layer(report: dict) -> str | None:
    rows = [r for r in report["layers"] + report.get("interconnect", []) if (r.get("memory") or {}).get("bits")]
    if not rows:
        return None
    labels = [r["name"] for r in rows]
    series = {"estimate (bits used)": [r["memory"]["bits"] for r in rows],
              "floor (bits needed)": [r["memory"]["floor_bits"] for r in rows]}
    plt, fig, ax = _figure(len(rows))
    _barh(ax, labels, series, log=True)
    ax.set_xlabel("memory bits")
    ax.set_title("Memory per layer: what it uses vs the least its function needs", fontsize=9)
    return _svg(plt, fig)
