"""How the fixed-point layers appear in an ONNX export: one `bnnforge` custom node each.

During `torch.onnx.export` (which Brevitas' `export_qonnx` drives) a layer calls
`custom_node(...)`: the forward pass still computes the exact result (so tracing sees the
right values and shapes) while the exporter writes a single node in the `bnnforge` domain
whose parameters are constant inputs. After `import bnnforge.generator`, qonnx resolves
that domain to `bnnforge.generator.custom_ops`, whose classes execute the nodes.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

DOMAIN = "bnnforge"


def exporting() -> bool:
    return torch.onnx.is_in_onnx_export()


def const(t: torch.Tensor) -> torch.Tensor:
    """A fresh constant with the tensor's values, so the exporter writes an initializer
    instead of the chain of ops that computed it from parameters. float64 stays float64:
    folded integer constants can exceed float32's 24-bit mantissa."""
    a = t.detach().cpu().numpy()
    return torch.from_numpy(np.ascontiguousarray(a if a.dtype == np.float64 else a.astype(np.float32)))


def _onnx_attr(key: str, value: object) -> tuple[str, object]:
    if isinstance(value, bool):
        return f"{key}_i", int(value)
    if isinstance(value, int):
        return f"{key}_i", value
    if isinstance(value, float):
        return f"{key}_f", value
    if isinstance(value, str):
        return f"{key}_s", value
    if isinstance(value, (list, tuple)):
        return f"{key}_i", [int(v) for v in value]
    raise TypeError(f"unsupported attribute {key}={value!r}")


def custom_node(op_type: str, inputs: list[torch.Tensor], attrs: dict, compute: Callable) -> torch.Tensor:
    """Emit `bnnforge::op_type(inputs; attrs)` whose value is `compute(*inputs)`.

    The Function class is made per call because the TorchScript exporter only passes
    tensors through `apply`; op type, attributes and the compute closure ride on the class.
    """
    onnx_attrs = dict(_onnx_attr(k, v) for k, v in sorted(attrs.items()))

    class _Node(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *ins: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
            # The node's value only; recording its ops as well trips torch's ONNX peephole pass
            # on some (sum(), slicing + roll), so tracing pauses while it is computed.
            state = torch._C._get_tracing_state()
            torch._C._set_tracing_state(None)
            try:
                return compute(*ins)
            finally:
                torch._C._set_tracing_state(state)

        @staticmethod
        def symbolic(g, *ins):  # noqa: ANN001
            return g.op(f"{DOMAIN}::{op_type}", *ins, **onnx_attrs)

    return _Node.apply(*inputs)
