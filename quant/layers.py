"""Brevitas QAT layers for binary networks with a fixed-point residual stream.

Binary convolutions output the integer dot product (weights and activations are +-1 with
scale 1, so the sum is an exact integer); the optional per-output-channel weight scale
alpha = mean|W| is applied by the batch norm that follows, which folds it into its gain.
All real-valued ops on the residual stream snap their parameters to power-of-two grids and
round their results with `fixed_point`, evaluating in float64 so the result is exact.

Each layer that does arithmetic reports its cost with `op_count(inp, out) -> (bops, flops)`;
FLOPs are full-precision multiply-accumulates as the BCDNet paper counts them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from brevitas.inject.enum import RestrictValueType, ScalingImplType, ScalingPerOutputType
from brevitas.nn import QuantConv2d, QuantIdentity, QuantLinear
from brevitas.quant.base import IntQuant, PerTensorPoTScaling8bit
from brevitas.quant.binary import SignedBinaryActPerTensorConst, SignedBinaryWeightPerTensorConst
from brevitas.quant.fixed_point import Int8WeightPerTensorFixedPoint
from brevitas.quant.solver import ActQuantSolver
from torch import nn

from bnnforge.quant.export_nodes import const, custom_node, exporting
from bnnforge.quant.fixed_point import FixedPoint, po2_exponent, quantize, round_ste, snap


def _channel_alpha(w: torch.Tensor) -> torch.Tensor:
    """mean|W| over everything but the output channel (dim 0): the per-channel weight scale.

    Of the latent weights as stored, unclamped (the BCDNet reference's HardBinaryConv)."""
    return w.abs().mean(dim=tuple(range(1, w.dim())))


class _WeightSteFn(torch.autograd.Function):
    """Identity forward (Brevitas takes the sign next); the BCDNet reference's backward.

    The reference binarizes W to alpha * sign(W) inside the conv and passes the gradient of
    that effective weight through clamp(W, -1, 1): dL/dW = dL/dW_eff * [|W| <= 1]. Here alpha
    is applied after the integer dot (by the batch norm), so the gradient arriving at sign(W)
    is alpha * dL/dW_eff; dividing by alpha gives the reference's gradient exactly."""

    @staticmethod
    def forward(ctx, w: torch.Tensor, scaled: bool) -> torch.Tensor:  # noqa: D401
        ctx.save_for_backward(w)
        ctx.scaled = scaled
        return w.view_as(w)

    @staticmethod
    def backward(ctx, g: torch.Tensor) -> tuple[torch.Tensor, None]:
        (w,) = ctx.saved_tensors
        g = g * (w.abs() <= 1).to(g.dtype)
        if ctx.scaled:
            alpha = _channel_alpha(w).clamp_min(torch.finfo(w.dtype).tiny)
            g = g / alpha.view(-1, *([1] * (w.dim() - 1)))
        return g, None


class ScaledWeightSte(nn.Module):
    """Brevitas `tensor_clamp_impl` of the binary weights: no clamp in the forward pass (the
    latent weights stay as they are; Brevitas' own binary weight quantizer clamps them in
    place), the clamp only in the gradient, divided by the layer's alpha (see _WeightSteFn)."""

    scaled = True

    def __init__(self) -> None:  # explicit: Brevitas' injector rejects *args/**kwargs
        super().__init__()

    def forward(self, x: torch.Tensor, min_val: torch.Tensor, max_val: torch.Tensor) -> torch.Tensor:
        return _WeightSteFn.apply(x, self.scaled)


class UnscaledWeightSte(ScaledWeightSte):
    """The same for layers without alpha (weight_scale=False): the plain clamp gradient."""

    scaled = False


class _PolynomialSteFn(torch.autograd.Function):
    """Identity forward (Brevitas takes the sign next); backward of Bi-Real Net's polynomial
    approximation of sign (BCDNet eq. 9): d/dx = 2 - 2|x| for |x| < 1, 0 outside."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # noqa: D401
        ctx.save_for_backward(x)
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return g * torch.clamp(2.0 - 2.0 * x.abs(), min=0.0)


class PolynomialSte(nn.Module):
    """Brevitas `tensor_clamp_impl` of the binary activations: the polynomial STE."""

    def __init__(self) -> None:  # explicit: Brevitas' injector rejects *args/**kwargs
        super().__init__()

    def forward(self, x: torch.Tensor, min_val: torch.Tensor, max_val: torch.Tensor) -> torch.Tensor:
        return _PolynomialSteFn.apply(x)


class BinaryWeight(SignedBinaryWeightPerTensorConst):
    """Sign weights with scale 1 (Brevitas' default constant is 0.1): +1 / -1 exactly.

    The per-channel alpha = mean|W| is applied by the batch norm after the integer dot."""

    scaling_const = 1.0
    tensor_clamp_impl = ScaledWeightSte


class UnscaledBinaryWeight(BinaryWeight):
    tensor_clamp_impl = UnscaledWeightSte


class BinaryAct(SignedBinaryActPerTensorConst):
    """sign(x): +1 for x >= 0, else -1; the paper's polynomial straight-through gradient."""

    tensor_clamp_impl = PolynomialSte


class Int8ActPerTensorFixedPointParam(IntQuant, PerTensorPoTScaling8bit, ActQuantSolver):
    """8-bit input of the 8-bit linear maps: a power-of-two scale that is a parameter from the
    start (threshold 1 until `calibrate_input_scales` sets it, then learned).

    Brevitas' Int8ActPerTensorFixedPoint collects statistics during the first 300 training
    forwards and only then creates its `value`: a forward pass wrote state, and a fresh
    model's state dict lacked the key, so it did not reload strictly."""

    scaling_impl_type = ScalingImplType.PARAMETER
    scaling_init = 1.0
    scaling_min_val = 1e-10


def fixed_point_act_quant(fmt: FixedPoint) -> type:
    """A Brevitas activation quantizer with the constant power-of-two scale of `fmt`."""

    # Brevitas divides the constant by 2**(bits-1) to get the scale 2**-frac.
    attrs = dict(
        scaling_impl_type=ScalingImplType.CONST,
        restrict_scaling_type=RestrictValueType.FP,
        scaling_per_output_type=ScalingPerOutputType.TENSOR,
        bit_width=fmt.bits,
        signed=True,
        narrow_range=False,
        scaling_const=fmt.max_value,
        min_val=-fmt.max_value,
        max_val=fmt.max_value,
    )
    return type(f"FixedPoint{fmt.bits}Frac{fmt.frac}Act", (IntQuant, ActQuantSolver), attrs)


class Uint8ImageQuant(IntQuant, ActQuantSolver):
    """The network input: unsigned 8-bit pixel values 0..255 with scale 1."""

    scaling_impl_type = ScalingImplType.CONST
    restrict_scaling_type = RestrictValueType.FP
    scaling_per_output_type = ScalingPerOutputType.TENSOR
    bit_width = 8
    signed = False
    narrow_range = False
    scaling_const = 255.0
    min_val = 0.0
    max_val = 255.0


def residual_quant(fmt: FixedPoint) -> QuantIdentity:
    """Quantize onto the residual stream format (saturating); a real Quant node in QONNX."""
    return QuantIdentity(act_quant=fixed_point_act_quant(fmt), return_quant_tensor=False)


class _BinaryWeights:
    """What binary conv and linear share: the two-step switch and the weight scale alpha.

    `binarize_weights=False` is step 1 of the two-step recipe (real weights, binary
    activations): the layer runs its plain float op and alpha is 1.
    """

    weight: nn.Parameter

    def _init_binary(self, weight_scale: bool) -> None:
        self.weight_scale = weight_scale
        self.binarize_weights = True
        nn.init.uniform_(self.weight, -0.01, 0.01)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x) if self.binarize_weights else self._real_forward(x)  # type: ignore[misc]

    def alpha(self) -> torch.Tensor:
        """Per-output-channel weight scale mean|W| of the latent weights (detached, as in
        ReActNet and the BCDNet reference), or ones."""
        w = self.weight.detach()
        if not (self.weight_scale and self.binarize_weights):
            return torch.ones(w.shape[0], device=w.device)
        return _channel_alpha(w)


class BinaryConv2d(_BinaryWeights, QuantConv2d):
    """Binary convolution: +-1 weights, +-1 inputs, integer output; optional alpha = mean|W|."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1,
                 weight_scale: bool = True) -> None:
        if cin % groups or cout % groups:
            raise ValueError(f"groups={groups} must divide in={cin} and out={cout} channels")
        QuantConv2d.__init__(self, cin, cout, kernel, stride=stride, padding=kernel // 2, groups=groups,
                             bias=False, weight_quant=BinaryWeight if weight_scale else UnscaledBinaryWeight)
        self._init_binary(weight_scale)

    def _real_forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight, None, self.stride, self.padding, self.dilation, self.groups)

    def op_count(self, inp: torch.Tensor, out: torch.Tensor) -> tuple[float, float]:
        k = self.kernel_size[0] * self.kernel_size[1]
        bops = out[0].numel() * (self.in_channels // self.groups) * k
        return float(bops), 0.0


class BinaryLinear(_BinaryWeights, QuantLinear):
    """Binary fully connected layer (+-1 weights and inputs, integer output)."""

    def __init__(self, cin: int, cout: int, weight_scale: bool = True) -> None:
        QuantLinear.__init__(self, cin, cout, bias=False,
                             weight_quant=BinaryWeight if weight_scale else UnscaledBinaryWeight)
        self._init_binary(weight_scale)

    def _real_forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight)

    def op_count(self, inp: torch.Tensor, out: torch.Tensor) -> tuple[float, float]:
        return float(out[0].numel() * self.in_features), 0.0


class RSign(nn.Module):
    """ReActNet's RSign: sign(x - t) with a learnable per-channel threshold t on the residual grid.

    `dynamic_threshold` (BCDNet-B) is a per-sample, per-channel tensor added to t.
    """

    def __init__(self, channels: int, fmt: FixedPoint) -> None:
        super().__init__()
        self.fmt = fmt
        self.threshold = nn.Parameter(torch.zeros(channels))
        self.sign = QuantIdentity(act_quant=BinaryAct, return_quant_tensor=False)

    def thresholds(self) -> torch.Tensor:
        t = snap(self.threshold, self.fmt.frac, self.fmt.bits)
        return const(t) if exporting() else t

    def forward(self, x: torch.Tensor, dynamic_threshold: torch.Tensor | None = None) -> torch.Tensor:
        t = self.thresholds().view(1, -1, 1, 1)
        if dynamic_threshold is not None:
            t = t + dynamic_threshold[:, :, None, None]
        # x and t lie on the same grid with < 24 significant bits: the float32 difference is exact
        return self.sign(x - t)

    def op_count(self, inp: torch.Tensor, out: torch.Tensor) -> tuple[float, float]:
        return 0.0, float(out[0].numel())


class ScaledBatchNorm(nn.Module):
    """Batch norm over the weighted sum of one or more binary-conv branches.

    Training: y = BN(sum_i alpha_i * dot_i) with batch statistics, rounded onto `fmt`.
    Inference (the hardware semantics): per channel c and branch i the folded gain
    g_ic = alpha_ic * gamma_c / sqrt(var_c + eps) becomes m_ic * 2**-E_c with a signed
    `gain_bits` integer m and one exponent E_c per channel; the folded bias
    b_c = beta_c - gamma_c * mean_c / sqrt(var_c + eps) is rounded to the finer of 2**-E_c and
    the output grid; y = round(sum_i dot_i * m_ic * 2**-E_c + b_c) on `fmt`, saturated.
    """

    def __init__(self, channels: int, fmt: FixedPoint, branches: int = 1, gain_bits: int = 12) -> None:
        super().__init__()
        # a child, not a base class: torch's ONNX exporter special-cases BatchNorm modules
        self.norm = nn.BatchNorm2d(channels)
        self.fmt = fmt
        self.branches = branches
        self.gain_bits = gain_bits

    def folded(self, alphas: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(m [branches, C] integers, E [C] exponents, B [C] integer bias on grid 2**-max(E, frac)).

        Inference-only constants: no gradient flows through the fold, and during export the
        fold runs on constant copies so the exporter records no ops on parameters."""
        fix = const if exporting() else torch.Tensor.detach
        n = self.norm
        stats = [fix(t).double() for t in (n.weight, n.bias, n.running_mean, n.running_var)]
        return self._fold([fix(a).double() for a in alphas], *stats)

    @torch.no_grad()
    def _fold(self, alphas: list[torch.Tensor], gamma: torch.Tensor, beta: torch.Tensor, mean: torch.Tensor,
              var: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        inv = gamma / torch.sqrt(var + self.norm.eps)
        gains = torch.stack([a * inv for a in alphas])
        bias = beta - inv * mean
        e = po2_exponent(gains.abs().amax(dim=0), self.gain_bits)
        m = torch.round(gains * 2.0 ** e)
        acc = torch.maximum(e, torch.full_like(e, float(self.fmt.frac)))
        b = torch.round(bias * 2.0 ** acc)
        return m, e, b

    def forward(self, dots: list[torch.Tensor], alphas: list[torch.Tensor],  # type: ignore[override]
                input_frac: int = 0) -> torch.Tensor:
        """`input_frac`: the dots lie on the grid 2**-input_frac (0: binary popcounts are integers)."""
        if len(dots) != self.branches or len(alphas) != self.branches:
            raise ValueError(f"expected {self.branches} branches, got {len(dots)}")
        if self.training:
            s = sum(a.view(1, -1, 1, 1) * d for a, d in zip(alphas, dots))
            return quantize(self.norm(s), self.fmt)
        m, e, b = self.folded(alphas)
        if exporting():
            k = self.branches
            attrs = {"frac": self.fmt.frac, "bits": self.fmt.bits, "branches": k, "input_frac": int(input_frac)}
            return custom_node("FixedBatchNorm", [*dots, const(m), const(e), const(b)], attrs,
                               lambda *ins: self._apply_folded(list(ins[:k]), *ins[k:]))
        return self._apply_folded(dots, m, e, b)

    def _apply_folded(self, dots: list[torch.Tensor], m: torch.Tensor, e: torch.Tensor,
                      b: torch.Tensor) -> torch.Tensor:
        acc = torch.maximum(e, torch.full_like(e, float(self.fmt.frac)))
        # an explicit loop, not sum(): `0 + tensor` inside an export node breaks torch's tracer
        y = (b * 2.0 ** -acc).view(1, -1, 1, 1)
        for d, mi in zip(dots, m):
            y = y + d.double() * (mi * 2.0 ** -e).view(1, -1, 1, 1)
        return quantize(y, self.fmt).to(dots[0].dtype)

    def op_count(self, inp: torch.Tensor, out: torch.Tensor) -> tuple[float, float]:
        # one MAC per branch and element (scale and accumulate); the bias rides along
        return 0.0, float(out[0].numel() * self.branches)


class _SlopeActivation(nn.Module):
    """What RPReLU and FPReLU share: the residual format, slopes on the grid 2**-slope_frac,
    and the choice between computing directly and exporting one `bnnforge` node.

    Subclasses define `params()` (the snapped parameters) and `_compute(x, *params)`.
    """

    node_type: str

    def __init__(self, fmt: FixedPoint, slope_bits: int, slope_frac: int) -> None:
        super().__init__()
        self.fmt, self.slope_bits, self.slope_frac = fmt, slope_bits, slope_frac

    def snap_slope(self, p: torch.Tensor) -> torch.Tensor:
        return snap(p, self.slope_frac, self.slope_bits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if exporting():
            attrs = {"frac": self.fmt.frac, "bits": self.fmt.bits, "slope_frac": self.slope_frac}
            return custom_node(self.node_type, [x, *map(const, self.params())], attrs, self._compute)
        return self._compute(x, *self.params())

    def op_count(self, inp: torch.Tensor, out: torch.Tensor) -> tuple[float, float]:
        return 0.0, float(out[0].numel())


class RPReLU(_SlopeActivation):
    """ReActNet's RPReLU on the residual stream: PReLU(x - b1; slope a) + b2, per channel.

    b1, b2 snap to the residual grid; the slope to `slope_bits` with `slope_frac`
    fractional bits; the negative-side product rounds back onto the residual grid.
    """

    node_type = "RPReLU"

    def __init__(self, channels: int, fmt: FixedPoint, slope_bits: int = 8, slope_frac: int = 6) -> None:
        super().__init__(fmt, slope_bits, slope_frac)
        self.shift_in = nn.Parameter(torch.zeros(channels))
        self.slope = nn.Parameter(torch.full((channels,), 0.25))
        self.shift_out = nn.Parameter(torch.zeros(channels))

    def params(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        f = self.fmt
        return snap(self.shift_in, f.frac, f.bits), self.snap_slope(self.slope), snap(self.shift_out, f.frac, f.bits)

    def _compute(self, x: torch.Tensor, b1: torch.Tensor, a: torch.Tensor, b2: torch.Tensor) -> torch.Tensor:
        b1, a, b2 = (p.double().view(1, -1, 1, 1) for p in (b1, a, b2))
        t = x.double() - b1
        neg = snap(t * a, self.fmt.frac)
        y = torch.where(t >= 0, t, neg) + b2
        return quantize(y, self.fmt).to(x.dtype)


class FPReLU(_SlopeActivation):
    """FTBNN's fully-trainable PReLU: separate per-channel slopes for x >= 0 and x < 0."""

    node_type = "FPReLU"

    def __init__(self, channels: int, fmt: FixedPoint, slope_bits: int = 8, slope_frac: int = 6) -> None:
        super().__init__(fmt, slope_bits, slope_frac)
        self.slope_pos = nn.Parameter(torch.ones(channels))
        self.slope_neg = nn.Parameter(torch.full((channels,), 0.25))

    def params(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.snap_slope(self.slope_pos), self.snap_slope(self.slope_neg)

    def _compute(self, x: torch.Tensor, ap: torch.Tensor, an: torch.Tensor) -> torch.Tensor:
        ap, an = (p.double().view(1, -1, 1, 1) for p in (ap, an))
        xd = x.double()
        return quantize(xd * torch.where(xd >= 0, ap, an), self.fmt).to(x.dtype)


class FixedPointAvgPool(nn.Module):
    """k x k average pooling (k = 2 on stride-2 shortcuts) or global average (k = None).

    The sum is exact; the division rounds half to even onto the residual grid. float64
    division is correctly rounded and |sum| * 2 * count < 2**53, so no tie is misjudged.
    """

    def __init__(self, fmt: FixedPoint, kernel: int | None = 2) -> None:
        super().__init__()
        self.fmt, self.kernel = fmt, kernel

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if exporting():
            attrs = {"frac": self.fmt.frac, "bits": self.fmt.bits, "kernel": self.kernel or 0}
            return custom_node("FixedAvgPool", [x], attrs, self._compute)
        return self._compute(x)

    def _compute(self, x: torch.Tensor) -> torch.Tensor:
        n = x.double() * 2.0 ** self.fmt.frac
        if self.kernel is None:
            total, count = n.sum(dim=(2, 3), keepdim=True), x.shape[2] * x.shape[3]
        else:
            k = self.kernel
            total, count = F.avg_pool2d(n, k, k) * (k * k), k * k
        return (round_ste(total / count) * self.fmt.scale).to(x.dtype)

    def op_count(self, inp: torch.Tensor, out: torch.Tensor) -> tuple[float, float]:
        return 0.0, float(inp[0].numel())


class FixedPointAdd(nn.Module):
    """Residual add of two tensors on the same grid, saturated to the stream format."""

    def __init__(self, fmt: FixedPoint) -> None:
        super().__init__()
        self.fmt = fmt
        self.quant = residual_quant(fmt)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self.quant(a + b)

    def op_count(self, inp: torch.Tensor, out: torch.Tensor) -> tuple[float, float]:
        return 0.0, float(out[0].numel())


class QuantConv8(QuantConv2d):
    """The 8-bit first layer: unsigned 8-bit pixels times signed 8-bit power-of-two weights."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int) -> None:
        super().__init__(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False,
                         weight_quant=Int8WeightPerTensorFixedPoint, input_quant=Uint8ImageQuant,
                         return_quant_tensor=False)

    def op_count(self, inp: torch.Tensor, out: torch.Tensor) -> tuple[float, float]:
        k = self.kernel_size[0] * self.kernel_size[1]
        return 0.0, float(out[0].numel() * self.in_channels // self.groups * k)


class FixedPointLinear(nn.Module):
    """8-bit linear map: 8-bit power-of-two input, 8-bit power-of-two weights, bias and output
    on fixed-point grid `out_fmt`. Used by the classifier and the BCDNet-B context maps."""

    def __init__(self, cin: int, cout: int, out_fmt: FixedPoint, zero_init: bool = False) -> None:
        super().__init__()
        self.out_fmt = out_fmt
        self.linear = QuantLinear(cin, cout, bias=False, weight_quant=Int8WeightPerTensorFixedPoint,
                                  input_quant=Int8ActPerTensorFixedPointParam, return_quant_tensor=False)
        self.bias = nn.Parameter(torch.zeros(cout))
        if zero_init:
            nn.init.zeros_(self.linear.weight)

    def _input_scaling(self) -> nn.Module:
        return self.linear.input_quant.fused_activation_quant_proxy.tensor_quant.scaling_impl

    @torch.no_grad()
    def calibrate_input(self, max_abs: float) -> None:
        """Set the 8-bit input's range to the smallest power of two >= max_abs (the stored
        value is its log2; Brevitas rounds it up to an integer exponent)."""
        self._input_scaling().value.fill_(float(torch.log2(torch.tensor(max(max_abs, 2.0 ** -30)))))

    def input_threshold(self) -> float:
        """The input quantizer's range: inputs quantize to 8 bits in [-t, t)."""
        return float(2.0 ** torch.ceil(self._input_scaling().value.detach()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # 8-bit x 8-bit products of <= 1024 terms stay below 2**24: the float32 sum is exact
        bias = snap(self.bias, self.out_fmt.frac, self.out_fmt.bits)
        if exporting():  # one node instead of the Cast/Add/Mul/Round/Clip chain of quantize()
            attrs = {"frac": self.out_fmt.frac, "bits": self.out_fmt.bits}
            return custom_node("BiasRequantize", [self.linear(x), const(bias)], attrs, self._requantize)
        return self._requantize(self.linear(x), bias)

    def _requantize(self, acc: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return quantize(acc.double() + bias.double(), self.out_fmt).to(acc.dtype)

    def op_count(self, inp: torch.Tensor, out: torch.Tensor) -> tuple[float, float]:
        return 0.0, float(out[0].numel() * self.linear.in_features)


__all__ = [
    "BinaryAct", "BinaryConv2d", "BinaryLinear", "BinaryWeight", "FPReLU", "FixedPointAdd",
    "FixedPointAvgPool", "FixedPointLinear", "QuantConv8", "RPReLU", "RSign", "ScaledBatchNorm",
    "residual_quant", "round_ste",
]
