"""Resource and cycle estimates of a folded dataflow graph, from each op's cost model."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper

from bnnforge.generator.folding import hw_ops

RESOURCE_KEYS = ("lut", "ff", "bram18", "dsp")


def estimate_graph(model: ModelWrapper) -> dict:
    """Per-layer estimates, the stitched design's FIFOs and width converters, totals,
    throughput (the slowest op sets cycles per frame) and latency (the longest path of
    first-output delays through the graph)."""
    layers, ready = [], {model.graph.input[0].name: 0}
    for op in hw_ops(model):
        node = op.onnx_node
        est = op.estimate()
        start = max(ready.get(i, 0) for i in node.input)
        for o in node.output:
            ready[o] = start + op.latency()
        layers.append({"name": node.name, "op": node.op_type, "folding": op.folding(), "estimate": est})
    links = _interconnect(model)
    totals = {k: sum(row["estimate"][k] for row in layers + links) for k in RESOURCE_KEYS}
    cycles = max(row["estimate"]["cycles"] for row in layers + links)
    out = model.graph.output[0].name
    # the last op finishes one frame's worth of its own cycles after its first output
    last = next(layer for layer in layers if out in _outputs(model, layer["name"]))
    return {
        "layers": layers,
        "interconnect": links,
        "totals": {"estimate": totals},
        "throughput": {"cycles_per_frame_estimate": cycles},
        "latency": {"cycles_estimate": ready[out] + last["estimate"]["cycles"]},
    }


def _interconnect(model: ModelWrapper) -> list[dict]:
    """Width converters and FIFOs of the stitched design (empty while an op has no RTL)."""
    from qonnx.custom_op.registry import getCustomOp

    from bnnforge.generator.stitch import interconnect

    if not all(hasattr(getCustomOp(n), "rtl_top") for n in model.graph.node):
        return []
    return interconnect(model)


def _outputs(model: ModelWrapper, name: str) -> list[str]:
    return list(next(n for n in model.graph.node if n.name == name).output)


def format_estimate(report: dict, clock_mhz: float = 100.0) -> str:
    rows = [("layer", "op", "folding", "LUT", "FF", "BRAM18", "DSP", "cycles", "FINN LUT", "FINN cycles")]
    for layer in report["layers"]:
        e, f = layer["estimate"], layer.get("finn_estimate")
        fold = " ".join(f"{k}={v}" for k, v in layer["folding"].items())
        rows.append((layer["name"], layer["op"], fold, e["lut"], e["ff"], e["bram18"], e["dsp"], e["cycles"],
                     f["lut"] if f else "-", f["cycles"] if f else "-"))
    links = report.get("interconnect", [])
    if links:
        link = {k: sum(row["estimate"][k] for row in links) for k in RESOURCE_KEYS}
        dwcs = sum(row["op"] == "WidthConverter" for row in links)
        rows.append((f"{len(links) - dwcs} FIFOs, {dwcs} width converters", "", "", link["lut"], link["ff"],
                     link["bram18"], link["dsp"], "", "", ""))
    t = report["totals"]["estimate"]
    rows.append(("total", "", "", t["lut"], t["ff"], t["bram18"], t["dsp"], "", "", ""))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(v).ljust(w) if i < 3 else str(v).rjust(w) for i, (v, w) in enumerate(zip(r, widths)))
             for r in rows]
    cpf = report["throughput"]["cycles_per_frame_estimate"]
    lat = report["latency"]["cycles_estimate"]
    both = [row for row in report["layers"] if row.get("finn_estimate")]
    if both:
        ours = sum(row["estimate"]["lut"] for row in both)
        finn = sum(row["finn_estimate"]["lut"] for row in both)
        lines.append(f"on the {len(both)} layers FINN can build: {ours} LUT estimated here, {finn} by FINN's "
                     "res_estimation")
    lines.append(f"throughput: {cpf} cycles/frame = {clock_mhz * 1e6 / cpf:.0f} frames/s at {clock_mhz:g} MHz; "
                 f"latency {lat} cycles = {lat / clock_mhz:.1f} us")
    return "\n".join(lines)
