"""sweep.html: per part, the Pareto fronts (LUT vs frames/s, BRAM18 vs frames/s) and the table
of points, in one page that opens offline (the report's matplotlib helpers, inline SVG)."""

from __future__ import annotations

import html

from bnnforge.generator.report import plots
from bnnforge.generator.report.devices import find_device
from bnnforge.generator.report.render import _STYLE, _n

MODEL_COLORS = ("#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377", "#bbbbbb")
RESOURCE_NAMES = {"lut": "LUT", "bram18": "BRAM18"}


def front_plot(rows: list[dict], part: str, resource: str) -> str:
    """Every point of one part: frames/s against `resource`; filled where it fits the part, a
    cross where it does not; a line through each model's Pareto front; the part's capacity."""
    import matplotlib

    plt, fig, ax = plots._figure(14)
    with matplotlib.rc_context({"svg.hashsalt": "bnnforge-sweep"}):  # fixed SVG ids: same sweep, same page
        models = list(dict.fromkeys(r["model"] for r in rows))
        for i, model in enumerate(models):
            color = MODEL_COLORS[i % len(MODEL_COLORS)]
            mine = sorted((r for r in rows if r["model"] == model), key=lambda r: r["fps"])
            fit = [r for r in mine if r["fits"]]
            over = [r for r in mine if not r["fits"]]
            ax.scatter([r["fps"] for r in fit], [r["estimate"][resource] for r in fit], color=color, marker="o",
                       label=f"{model} (fits)")
            if over:
                ax.scatter([r["fps"] for r in over], [r["estimate"][resource] for r in over], color=color,
                           marker="x", label=f"{model} (does not fit)")
            on = [r for r in mine if r["pareto"][resource]]
            ax.plot([r["fps"] for r in on], [r["estimate"][resource] for r in on], color=color, lw=1, ls="-")
            synth = [r for r in mine if (r.get("yosys") or {}).get(resource) is not None]
            if synth:
                ax.scatter([r["fps"] for r in synth], [r["yosys"][resource] for r in synth], color=color,
                           marker="^", facecolors="none", label=f"{model} (Yosys)")
        capacity = getattr(find_device(part), resource)
        ax.axhline(capacity, color="#cc3311", ls="--", lw=1, label=f"{part}: {capacity:,} {RESOURCE_NAMES[resource]}")
        ax.set_xscale("log")
        ax.set_yscale("symlog", linthresh=1)
        ax.set_xlabel("frames/s at the clock (estimate)")
        ax.set_ylabel(f"{RESOURCE_NAMES[resource]} (estimate)")
        ax.set_title(f"{RESOURCE_NAMES[resource]} vs frames/s on {part}; line: Pareto front per model", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
        return plots._svg(plt, fig)


def _table(rows: list[list[str]], header: list[str]) -> str:
    out = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows]
    return "\n".join(out) + "</table>"


def _target(r: dict) -> str:
    (kind, value), = r["target"].items()
    return f"{_n(value)} {'frames/s' if kind == 'fps' else 'cycles/frame'}"


def html_page(sweep: dict) -> str:
    title = f"bnnforge sweep: {', '.join(sweep['models'])}"
    done, missing = sweep["points"], sweep["missing"]
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
             f"<p>{len(done)} of {len(done) + len(missing)} points finished; parts {html.escape(', '.join(sweep['parts']))}; "
             f"clock {sweep['clock_mhz']:g} MHz; Yosys {'on' if sweep['synth'] else 'off'}; bnnforge "
             f"{html.escape(sweep['bnnforge_version'])} (sources {sweep['sources']}). Estimates are bnnforge's cost "
             f"models on the auto folding that meets each target; 'fits' is the estimate against the part.</p>"]
    header = ["model", "target", "cycles/frame", "frames/s", "LUT", "FF", "BRAM18", "DSP", "highest use", "fits",
              "Yosys LUT", "Pareto (LUT, BRAM)", "folding"]
    for part in sweep["parts"]:
        rows = [r for r in done if r["part"] == part]
        parts.append(f"<h2>{html.escape(part)}</h2>")
        if not rows:
            parts.append("<p>no finished point</p>")
            continue
        for resource in RESOURCE_NAMES:
            parts.append(f"<figure>{front_plot(rows, part, resource)}</figure>")
        table = []
        for r in rows:
            e, u = r["estimate"], r["utilisation"]
            worst = max(u, key=u.get)
            table.append([r["model"], _target(r), _n(r["cycles_per_frame"]), _n(r["fps"]), _n(e["lut"]), _n(e["ff"]),
                          _n(e["bram18"]), _n(e["dsp"]), f"{100 * u[worst]:.1f}% {worst.upper()}",
                          "yes" if r["fits"] else "NO", _n((r.get("yosys") or {}).get("lut")),
                          " ".join(RESOURCE_NAMES[k] for k, on in r["pareto"].items() if on) or "-",
                          r["folding_file"]])
        parts.append(_table(table, header))
    if missing:
        parts.append("<h2>Not finished</h2>")
        parts.append(_table([[m["model"], m["part"], _target(m), m.get("error") or "not run"] for m in missing],
                            ["model", "part", "target", "why"]))
    parts.append("</body></html>\n")
    return "\n".join(parts)
