"""qonnx custom ops for the `bnnforge` ONNX domain: the fixed-point ops FINN has no op for.

`import bnnforge.generator` maps the domain `bnnforge` to this module, so qonnx/FINN
`execute_onnx` runs exported graphs with these nodes. Tensors hold real values on the
fixed-point grids the attributes name (NCHW); each op converts them to integer codes and
calls the integer kernel of the hardware op that implements it (`hwops`), so one function
defines each formula.
"""

from __future__ import annotations

import numpy as np
import torch
from onnx import helper
from qonnx.core.datatype import DataType
from qonnx.custom_op.base import CustomOp

from bnnforge.generator.hwops.activations import fprelu, rprelu
from bnnforge.generator.hwops.affine import fixed_affine
from bnnforge.generator.hwops.pool import avg_pool
from bnnforge.quant.fixed_point import FixedPoint, exact_int, np_saturate
from bnnforge.quant.shift import long_short_shift


def _last(x: np.ndarray) -> np.ndarray:
    """NCHW -> channels last: the hardware ops' integer kernels take channels last."""
    return np.moveaxis(x, 1, -1)


def _first(x: np.ndarray) -> np.ndarray:
    return np.moveaxis(x, -1, 1)


class _FixedPointOp(CustomOp):
    """Shared plumbing: output has the input's shape, datatype from the residual format."""

    def get_nodeattr_types(self) -> dict:
        return {"frac": ("i", True, 8), "bits": ("i", True, 16)}

    def fmt(self) -> FixedPoint:
        return FixedPoint(self.get_nodeattr("bits"), self.get_nodeattr("frac"))

    def make_shape_compatible_op(self, model):  # noqa: ANN001
        return helper.make_node("Identity", [self.onnx_node.input[0]], [self.onnx_node.output[0]])

    def infer_node_datatype(self, model) -> None:  # noqa: ANN001
        model.set_tensor_datatype(self.onnx_node.output[0], DataType["FLOAT32"])

    def verify_node(self) -> list[str]:
        return []

    def _out(self, context: dict, codes: np.ndarray) -> None:
        fmt = self.fmt()
        context[self.onnx_node.output[0]] = (np_saturate(codes, fmt) * fmt.scale).astype(np.float32)


class FixedBatchNorm(_FixedPointOp):
    """Folded batch norm over `branches` popcount inputs: y = round(sum_i d_i m_i 2**-E + b).

    Inputs: d_0..d_{k-1} (on grid 2**-input_frac), m [k, C], E [C], B [C] (integer bias on
    grid 2**-max(E, frac)). Output on the residual grid, saturated.
    """

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "branches": ("i", True, 1), "input_frac": ("i", False, 0)}

    def execute_node(self, context: dict, graph) -> None:  # noqa: ANN001
        k, f = self.get_nodeattr("branches"), self.get_nodeattr("frac")
        ins = self.onnx_node.input
        dots = [_last(exact_int(context[n], self.get_nodeattr("input_frac"))) for n in ins[:k]]
        m, e, b = (np.asarray(context[n], dtype=np.float64).astype(np.int64) for n in ins[k:])
        self._out(context, _first(fixed_affine(dots, m.reshape(k, -1), e, b, self.get_nodeattr("input_frac"), f)))


class _SlopeOp(_FixedPointOp):
    """Activations with per-channel slopes on the grid 2**-slope_frac."""

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "slope_frac": ("i", True, 6)}


class RPReLU(_SlopeOp):
    """y = sat(where(t >= 0, t, round(t * a)) + b2), t = x - b1; slope a on grid 2**-slope_frac."""

    def execute_node(self, context: dict, graph) -> None:  # noqa: ANN001
        f, sf = self.get_nodeattr("frac"), self.get_nodeattr("slope_frac")
        x = _last(exact_int(context[self.onnx_node.input[0]], f))
        b1, a, b2 = (exact_int(context[self.onnx_node.input[i]], q) for i, q in ((1, f), (2, sf), (3, f)))
        self._out(context, _first(rprelu(x, b1, a, b2, sf)))


class FPReLU(_SlopeOp):
    """y = sat(round(x * (a_pos if x >= 0 else a_neg))), slopes on grid 2**-slope_frac."""

    def execute_node(self, context: dict, graph) -> None:  # noqa: ANN001
        f, sf = self.get_nodeattr("frac"), self.get_nodeattr("slope_frac")
        x = _last(exact_int(context[self.onnx_node.input[0]], f))
        ap, an = (exact_int(context[self.onnx_node.input[i]], sf) for i in (1, 2))
        self._out(context, _first(fprelu(x, ap, an, sf)))


class FixedAvgPool(_FixedPointOp):
    """Average pool on the residual grid: k x k windows with stride k, or global (kernel 0).
    The exact sum is divided with round-half-to-even."""

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "kernel": ("i", True, 2)}

    def make_shape_compatible_op(self, model):  # noqa: ANN001
        # standard pooling ops: their shapes follow the input's even before it is known
        k = self.get_nodeattr("kernel")
        io = ([self.onnx_node.input[0]], [self.onnx_node.output[0]])
        if k == 0:
            return helper.make_node("GlobalAveragePool", *io)
        return helper.make_node("AveragePool", *io, kernel_shape=[k, k], strides=[k, k])

    def execute_node(self, context: dict, graph) -> None:  # noqa: ANN001
        f, k = self.get_nodeattr("frac"), self.get_nodeattr("kernel")
        y = avg_pool(_last(exact_int(context[self.onnx_node.input[0]], f)), k)
        self._out(context, y[:, :, None, None] if k == 0 else _first(y))


class BiasRequantize(_FixedPointOp):
    """y = sat(round(acc + bias)) on the output grid: the tail of the 8-bit linear maps.

    `acc` is the float32 MatMul of 8-bit power-of-two operands (exact, but on a grid finer
    than 2**-frac); it is rounded exactly via its float64 value, which holds it without error.
    """

    def execute_node(self, context: dict, graph) -> None:  # noqa: ANN001
        f = self.get_nodeattr("frac")
        acc = np.asarray(context[self.onnx_node.input[0]], dtype=np.float64)
        bias = exact_int(np.asarray(context[self.onnx_node.input[1]]), f)
        # acc * 2**f + bias is exact in float64; round after the add (half-to-even is not
        # shift-invariant for odd biases); np.round is half-to-even like every rounding here
        self._out(context, np.round(acc * 2.0 ** f + bias).astype(np.int64))


class LongShortShift(CustomOp):
    """BCDNet's circular shift of four channel groups by (+dh, -dh) on H and (+dw, -dw) on W."""

    def get_nodeattr_types(self) -> dict:
        return {"dh": ("i", True, 1), "dw": ("i", True, 1)}

    def make_shape_compatible_op(self, model):  # noqa: ANN001
        return helper.make_node("Identity", [self.onnx_node.input[0]], [self.onnx_node.output[0]])

    def infer_node_datatype(self, model) -> None:  # noqa: ANN001
        dt = model.get_tensor_datatype(self.onnx_node.input[0])
        model.set_tensor_datatype(self.onnx_node.output[0], dt)

    def verify_node(self) -> list[str]:
        return []

    def execute_node(self, context: dict, graph) -> None:  # noqa: ANN001
        # the one definition of the shift (quant/shift.py); it only moves values
        x = torch.from_numpy(np.ascontiguousarray(context[self.onnx_node.input[0]]))
        y = long_short_shift(x, self.get_nodeattr("dh"), self.get_nodeattr("dw"))
        context[self.onnx_node.output[0]] = y.numpy()


custom_op = {cls.__name__: cls for cls in (FixedBatchNorm, RPReLU, FPReLU, FixedAvgPool, BiasRequantize,
                                             LongShortShift)}
__all__ = list(custom_op)
