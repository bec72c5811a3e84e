"""bnnforge's hardware ops as FINN HW layers (HWCustomOp, with an HLS and an RTL backend).

finn-plus only treats nodes in its own domains as hardware: `finn.custom_op.fpgadataflow`
(the abstract HW layer), `.hls` and `.rtl` (its two implementation styles, chosen by
SpecializeLayers as `<op_type>_hls` / `<op_type>_rtl`). qonnx finds a node's class in the
`custom_op` dict of the Python module named by the domain, so registering a layer with FINN
is an entry in each of those three dicts; nothing in FINN is forked or patched for it.

Every bnnforge op class (generator/hwops) is registered three times under the op type
`Bnf<OpType>` (the prefix keeps our Thresholding apart from FINN's):

    Bnf<Op>      (layer.HWLayer, <Op>, HWCustomOp)       finn.custom_op.fpgadataflow
    Bnf<Op>_hls  (hls_backend.HLSLayer, Bnf<Op>, HLSBackend)   ....fpgadataflow.hls
    Bnf<Op>_rtl  (rtl_backend.RTLLayer, Bnf<Op>, RTLBackend)   ....fpgadataflow.rtl

The classes are built from the op classes (`type(...)`), so they inherit our op's golden
model, ports, cost model and emitters and only translate them to FINN's method names: a new
bnnforge op becomes a FINN layer with no code here. `graph.to_finn_hw` turns a folded
bnnforge graph into a graph of these nodes; `flow` runs FINN's transformations on it.

Registration happens when `bnnforge.generator.finn_hw` is imported (bnnforge.generator
imports it lazily, when FINN is importable; see `register`).
"""

from __future__ import annotations

FINN_PREFIX = "Bnf"  # op type of bnnforge op X in FINN's domains: BnfX, BnfX_hls, BnfX_rtl
FINN_DOMAIN = "finn.custom_op.fpgadataflow"  # FINN's HW-layer domain (.hls / .rtl: its backends)


def finn_op_type(op_type: str) -> str:
    """The FINN HW-layer op type of a bnnforge op type."""
    return FINN_PREFIX + op_type


def bnf_op_type(finn_type: str) -> str | None:
    """The bnnforge op type behind a FINN op type (None if it is not one of ours)."""
    from bnnforge.generator.finn_hw.registry import registered

    base = finn_type.removesuffix("_hls").removesuffix("_rtl")
    return registered().get(base)


def register() -> dict[str, str]:
    """Register every bnnforge op in FINN's custom_op dicts (idempotent); returns
    {FINN op type: bnnforge op type}."""
    from bnnforge.generator.finn_hw.registry import register as _register

    return _register()


__all__ = ["FINN_DOMAIN", "FINN_PREFIX", "bnf_op_type", "finn_op_type", "register"]
