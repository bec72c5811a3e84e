"""What a sweep leaves in DIR, every file written whole (report.build_report.write_text: a crash
or Ctrl-C leaves the previous file or none, never half of one):

    DIR/points/<key>.json           one finished point: what it is and its result (written the
                                    moment it finishes, so a rerun skips it)
    DIR/points/<key>.folding.json   its folding, the file `bnnforge build --fold FILE` takes
    DIR/sweep.json, sweep.csv       every point of this sweep, sorted; no time stamps, host names
                                    or run times, so the same sweep gives the same bytes
    DIR/sweep.html                  one self-contained page: the Pareto fronts per part

A point file is written only for a point that finished without an error; a failed point is
listed in sweep.json under "missing" and tried again by the next run.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from bnnforge.generator.report.build_report import write_json, write_text
from bnnforge.generator.sweep.pareto import mark_fronts
from bnnforge.generator.sweep.spec import Point
from bnnforge.quant.errors import BnnforgeError

POINTS_DIR, SUMMARY, CSV, PAGE = "points", "sweep.json", "sweep.csv", "sweep.html"
# a point's fields that differ between runs of the same point: kept in its file, not in the summaries
RUN_FIELDS = ("seconds",)


def check_out_dir(out: Path) -> None:
    """DIR may be new, empty or an earlier sweep's (which this one resumes); nothing else, so
    that a typo never writes into a build directory."""
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise BnnforgeError(f"{out} exists and is not a directory")
        if any(out.iterdir()) and not ((out / POINTS_DIR).is_dir() or (out / SUMMARY).is_file()):
            raise BnnforgeError(f"{out} exists and is not a sweep directory (no {POINTS_DIR}/ or {SUMMARY})")
    else:
        parent = out.resolve().parent
        if not parent.is_dir():
            raise BnnforgeError(f"cannot write {out}: {parent} is not a directory")


def describe(point: Point) -> dict:
    """A point's inputs as sweep.json names them."""
    return {"model": point.model.label, "model_name": point.model.model, "part": point.part,
            "target": point.target.identity(), "target_cycles": point.target.cycles}


def finished(result: dict) -> bool:
    return "error" not in result and "error" not in (result.get("yosys") or {})


def read_point(out: Path, key: str) -> dict | None:
    """The result of a finished point, or None (absent, or unreadable: then it is run again)."""
    path = Path(out) / POINTS_DIR / f"{key}.json"
    try:
        record = json.loads(path.read_text())
        return record["result"] if record.get("key") == key and finished(record["result"]) else None
    except (FileNotFoundError, json.JSONDecodeError, KeyError, TypeError):
        return None


def write_point(out: Path, key: str, point: Point, result: dict) -> None:
    """Record a finished point; its JSON file, written last, is what marks it finished."""
    points = Path(out) / POINTS_DIR
    points.mkdir(parents=True, exist_ok=True)
    write_json(points / f"{key}.folding.json", result["folding"])
    write_json(points / f"{key}.json", {"key": key, "point": describe(point), "result": result})


def summary(points: dict[str, Point], results: dict[str, dict], errors: dict[str, str], clock_mhz: float,
            synth: bool, sources: str, version: str) -> dict:
    """sweep.json: every finished point (sorted by model, part, target) with its Pareto flags,
    and the points not finished (with the error, if one was raised)."""
    order = sorted(points, key=lambda k: points[k].sort_key())
    rows, missing = [], []
    for key in order:
        if key in results:
            result = {k: v for k, v in results[key].items() if k not in RUN_FIELDS and k != "folding"}
            rows.append({**describe(points[key]), "key": key, **result,
                         "folding_file": f"{POINTS_DIR}/{key}.folding.json"})
        else:
            missing.append({**describe(points[key]), "key": key, "error": errors.get(key)})
    mark_fronts(rows)
    unique = lambda xs: list(dict.fromkeys(xs))  # noqa: E731 - first-seen order of sorted points
    return {"bnnforge_version": version, "sources": sources, "clock_mhz": clock_mhz, "synth": synth,
            "models": unique(p.model.label for p in map(points.get, order)),
            "parts": unique(p.part for p in map(points.get, order)),
            "targets": [t.identity() for t in sorted({p.target for p in points.values()}, key=lambda t: t.cycles)],
            "complete": not missing, "points": rows, "missing": missing}


CSV_COLUMNS = ("model", "part", "target", "target_cycles", "cycles_per_frame", "fps", "meets_target", "lut", "ff",
               "bram18", "uram", "dsp", "fits", "yosys_lut", "yosys_ff", "yosys_bram18", "yosys_dsp", "fits_yosys",
               "pareto_lut", "pareto_bram18", "key")


def to_csv(sweep: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in sweep["points"]:
        y = r.get("yosys") or {}
        (kind, value), = r["target"].items()
        w.writerow([r["model"], r["part"], f"{value:g} {kind}", r["target_cycles"], r["cycles_per_frame"],
                    f"{r['fps']:.6g}", r["meets_target"], *(r["estimate"][k] for k in ("lut", "ff", "bram18", "uram", "dsp")),
                    r["fits"], y.get("lut"), y.get("ff"), y.get("bram18"), y.get("dsp"), r.get("fits_yosys"),
                    r["pareto"]["lut"], r["pareto"]["bram18"], r["key"]])
    return buf.getvalue()


def write_summary(out: Path, sweep: dict) -> None:
    from bnnforge.generator.sweep.page import html_page

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / SUMMARY, sweep)
    write_text(out / CSV, to_csv(sweep))
    write_text(out / PAGE, html_page(sweep))
