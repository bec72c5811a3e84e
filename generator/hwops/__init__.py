"""bnnforge hardware ops: one class per op, registered as the qonnx domain of this module.

Every op owns its integer semantics (the golden model), its folding parameters and its
cost model; see base.py for the tensor conventions.

The op classes load on first use (PEP 562): the cocotb test benches import only
`hwops.ports`, and a simulator process should not pay for importing torch.
"""

from __future__ import annotations

import importlib
from typing import Any

DOMAIN = "bnnforge.generator.hwops"  # the qonnx domain: this module's `custom_op` maps op types to classes

# op type -> module that defines its class
_OP_MODULES = {
    "SlidingWindow": "sliding_window", "BinaryMVAU": "mvau", "IntMVAU": "int_mvau", "Thresholding": "threshold",
    "DynamicSign": "threshold", "FixedAffine": "affine", "RPReLU": "activations", "FPReLU": "activations",
    "ResidualAdd": "add", "EmbeddingAdd": "add", "Requantize": "add", "AvgPool": "pool",
    "LongShortShift": "circular_shift", "Duplicate": "streams", "Concat": "streams", "ChannelSlice": "streams",
    "WidthConverter": "width_converter",
}


def _op_class(name: str) -> type:
    return getattr(importlib.import_module(f"{__name__}.{_OP_MODULES[name]}"), name)


def __getattr__(name: str) -> Any:
    if name == "custom_op":
        ops = {n: _op_class(n) for n in _OP_MODULES}
        globals()["custom_op"] = ops
        return ops
    if name == "HWOp":
        from bnnforge.generator.hwops.base import HWOp

        return HWOp
    if name in _OP_MODULES:
        return _op_class(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["DOMAIN", "HWOp", "custom_op", *_OP_MODULES]
