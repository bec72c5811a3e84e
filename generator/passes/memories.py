"""place_memories: when a folding needs more block RAM than the part has, stream buffers go to
UltraRAM (on parts that have it), then weight ROMs take fewer block RAMs, until it fits.

UltraRAM first, as it costs almost no logic. Weights cannot go there: a URAM288 has no initial
contents, so it cannot hold a ROM. What it can hold are the RAMs of the dataflow: the FIFOs
between ops (the long skip FIFOs around frame-buffering ops above all) and the frame, line and
skip buffers of the ops whose RTL places them by ram_style (HWOp.ram_style_buffers). Those
move, the ones that free the most RAMB18s per URAM288 first (a URAM288 is 72 x 4096, sixteen
RAMB18s' worth of bits, but a narrow or shallow memory fills little of it), until the block
RAM fits or the UltraRAM runs out. A memory already placed (ram_style or its FIFO's style not
"auto") stays where it is.

Then the weight ROMs, when block RAM is still short: from the "sliced" layout to "banked"
(memory.WEIGHT_LAYOUTS), the fewest RAMB18s behind a read multiplexer of a LUT per word bit,
most RAMB18s saved per LUT first. Nothing changes when the block RAM fits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.hwops.base import HWOp
from bnnforge.generator.hwops.memory import fifo_cost
from bnnforge.generator.passes.streams import FIFO_RAM_STYLES_KEY, edges, fifo_key
from bnnforge.generator.passes.width_converters import prepare_interconnect
from bnnforge.generator.report.devices import Device


@dataclass(frozen=True)
class _Move:
    """One memory that can go to UltraRAM: a layer's buffers (tensor None), or the FIFO in
    front of a layer's stream input `tensor`."""

    layer: str
    tensor: str | None
    bram18_saved: int
    uram: int


def _estimates_with(op: HWOp, attr: str, value: str) -> tuple[dict, dict]:
    """The op's estimate as it is and with `attr` set to `value` (then set back)."""
    before, kept = op.estimate(), op.get_nodeattr(attr)
    op.set_nodeattr(attr, value)
    after = op.estimate()
    op.set_nodeattr(attr, kept)
    return before, after


def _candidates(prepared: ModelWrapper) -> list[_Move]:
    moves = []
    for node in prepared.graph.node:
        op = getCustomOp(node)
        if op.ram_style_buffers and op.get_nodeattr("ram_style") == "auto":
            before, after = _estimates_with(op, "ram_style", "ultra")
            if before["bram18"] > after["bram18"]:
                moves.append(_Move(node.name, None, before["bram18"] - after["bram18"], after["uram"] - before["uram"]))
    for e in edges(prepared):
        if e.dst is None or e.ram_style != "auto":
            continue
        before, after = fifo_cost(e.width, e.depth), fifo_cost(e.width, e.depth, "ultra")
        if before["bram18"]:
            moves.append(_Move(e.dst[0], e.tensor, before["bram18"], after["uram"]))
    # most RAMB18s freed per URAM288 first; then the larger saving; then graph order
    return sorted(moves, key=lambda m: (-m.bram18_saved / max(m.uram, 1), -m.bram18_saved))


def place_memories(model: ModelWrapper, device: Device) -> tuple[ModelWrapper, list[str]]:
    """The folded graph with memories moved to UltraRAM and weight ROMs banked as the module
    says, and a note of each step taken (none when block RAM fits). Layers get ram_style
    "ultra" or weight_layout "banked"; the FIFOs, which only exist once prepare_interconnect
    has made them, are named in the graph's FIFO_RAM_STYLES_KEY metadata, which every graph
    prepare_interconnect makes from this one applies."""
    from bnnforge.generator.estimate import estimate_graph

    prepared = prepare_interconnect(model)
    used = estimate_graph(prepared, memory=False)["totals"]["estimate"]
    if used["bram18"] <= device.bram18:
        return model, []
    notes = []
    bram18 = used["bram18"]
    if device.uram:
        bram18, note = _to_ultraram(model, prepared, device, used)
        notes += note
    if bram18 > device.bram18:
        notes += _bank_weights(model, prepared, device, bram18)
    return model, notes


def _to_ultraram(model: ModelWrapper, prepared: ModelWrapper, device: Device, used: dict) -> tuple[int, list[str]]:
    """Move memories to UltraRAM until block RAM fits: (block RAM left, note)."""
    bram18, uram, moved = used["bram18"], used["uram"], []
    for m in _candidates(prepared):
        if bram18 <= device.bram18:
            break
        if uram + m.uram <= device.uram:
            bram18, uram = bram18 - m.bram18_saved, uram + m.uram
            moved.append(m)
    if not moved:
        return bram18, []
    styles = json.loads(model.get_metadata_prop(FIFO_RAM_STYLES_KEY) or "{}")
    for m in moved:
        if m.tensor is None:
            getCustomOp(model.get_node_from_name(m.layer)).set_nodeattr("ram_style", "ultra")
        else:
            styles[fifo_key(m.layer, m.tensor)] = "ultra"
    model.set_metadata_prop(FIFO_RAM_STYLES_KEY, json.dumps(styles, sort_keys=True))
    fifos = sum(m.tensor is not None for m in moved)
    return bram18, [f"UltraRAM: {fifos} FIFOs and {len(moved) - fifos} layer buffers moved from block RAM to "
                    f"{sum(m.uram for m in moved)} URAM288, freeing {sum(m.bram18_saved for m in moved)} BRAM18 "
                    f"({used['bram18']:,} -> {bram18:,} of {device.bram18:,})"]


def _bank_weights(model: ModelWrapper, prepared: ModelWrapper, device: Device, bram18: int) -> list[str]:
    """Bank sliced weight ROMs until block RAM fits (or none is left): a note of what it cost."""
    options = []  # (RAMB18s saved, LUTs added, layer)
    for node in prepared.graph.node:
        op = getCustomOp(node)
        if "weight_layout" not in op.get_nodeattr_types() or op.get_nodeattr("weight_layout") != "sliced":
            continue
        before, after = _estimates_with(op, "weight_layout", "banked")
        if before["bram18"] > after["bram18"]:
            options.append((before["bram18"] - after["bram18"], after["lut"] - before["lut"], node.name))
    options.sort(key=lambda o: -o[0] / max(o[1], 1))  # most RAMB18s per LUT first; stable: graph order
    start, saved, luts, banked = bram18, 0, 0, 0
    for ramb18, lut, name in options:
        if bram18 <= device.bram18:
            break
        getCustomOp(model.get_node_from_name(name)).set_nodeattr("weight_layout", "banked")
        bram18, saved, luts, banked = bram18 - ramb18, saved + ramb18, luts + lut, banked + 1
    if not banked:
        return []
    return [f"Weight ROMs: {banked} banked (fewest block RAMs, a read multiplexer each), freeing {saved:,} BRAM18 "
            f"for {luts:,} LUT ({start:,} -> {bram18:,} of {device.bram18:,})"]
