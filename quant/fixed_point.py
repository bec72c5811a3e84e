"""Fixed-point number semantics shared by the Brevitas model and the integer golden model.

This module is the single source of truth for how real-valued quantities of the papers
(residual stream, batch norm, RPReLU/FPReLU slopes, averages) become integers, so that
PyTorch, the QONNX graph, the numpy golden model and the hardware agree bit for bit.

Rules (see DESIGN.md, "Number semantics"):
- a fixed-point value is an integer n with a power-of-two scale: value = n * 2**-frac;
- every rounding is round-half-to-even (torch.round, numpy.round and QONNX `Quant`
  with rounding_mode=ROUND all do that), applied to the exact value;
- every saturation clamps to the signed range of the format's bit width.

PyTorch evaluates the fixed-point ops in float64, where every intermediate here is an
integer times a power of two below 2**53, so the float result *is* the exact result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class FixedPoint:
    """A signed fixed-point format: `bits` total bits, `frac` of them fractional."""

    bits: int = 16
    frac: int = 8

    def __post_init__(self) -> None:
        if not (2 <= self.bits <= 32):
            raise ValueError(f"fixed-point bits must be in 2..32, got {self.bits}")

    @property
    def scale(self) -> float:
        return 2.0 ** -self.frac

    @property
    def int_min(self) -> int:
        return -(1 << (self.bits - 1))

    @property
    def int_max(self) -> int:
        return (1 << (self.bits - 1)) - 1

    @property
    def max_value(self) -> float:
        """Magnitude of the most negative value; Brevitas' constant scaling uses it."""
        return 2.0 ** (self.bits - 1 - self.frac)

    def as_dict(self) -> dict:
        return {"bits": self.bits, "frac": self.frac}


class _RoundSte(torch.autograd.Function):
    """Round half to even in the forward pass, identity gradient (straight-through)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # noqa: D401
        return torch.round(x)

    @staticmethod
    def backward(ctx, g: torch.Tensor) -> torch.Tensor:
        return g


def round_ste(x: torch.Tensor) -> torch.Tensor:
    return _RoundSte.apply(x)


def quantize(x: torch.Tensor, fmt: FixedPoint) -> torch.Tensor:
    """Round to the grid of `fmt` and saturate; straight-through gradient inside the range."""
    n = round_ste(x.to(torch.float64) * (2.0 ** fmt.frac))
    n = torch.clamp(n, fmt.int_min, fmt.int_max)
    return (n * fmt.scale).to(x.dtype)


def snap(x: torch.Tensor, frac: int, bits: int | None = None) -> torch.Tensor:
    """Round a parameter to the grid 2**-frac (optionally saturating to `bits`), STE gradient."""
    n = round_ste(x.to(torch.float64) * (2.0 ** frac))
    if bits is not None:
        n = torch.clamp(n, -(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    return (n * 2.0 ** -frac).to(x.dtype)


def po2_exponent(max_abs: torch.Tensor, mantissa_bits: int) -> torch.Tensor:
    """Per-element exponent e so that max_abs * 2**e fits a signed `mantissa_bits` integer.

    Used for the folded batch-norm gain: each channel gets its own power-of-two scale,
    so the hardware multiplies by a small integer and shifts.
    """
    safe = torch.clamp(max_abs.detach().to(torch.float64), min=2.0 ** -40)
    e = (mantissa_bits - 1) - torch.ceil(torch.log2(safe))
    # ceil(log2) of an exact power of two leaves no headroom for the +2**k end of the range
    too_big = torch.round(safe * 2.0 ** e) > (1 << (mantissa_bits - 1)) - 1
    return (e - too_big.to(e.dtype)).to(torch.float64)


# ---- numpy side (golden model) -----------------------------------------------------


def np_round_half_even_div(num: np.ndarray, den: int) -> np.ndarray:
    """Exact round-half-to-even of the rational num/den for integer arrays."""
    num = np.asarray(num, dtype=np.int64)
    q, r = np.divmod(num, den)  # floor division, 0 <= r < den
    twice = 2 * r
    up = (twice > den) | ((twice == den) & (q % 2 == 1))
    return q + up.astype(np.int64)


def np_round_shift(n: np.ndarray, shift: np.ndarray | int) -> np.ndarray:
    """round_half_even(n / 2**shift) for integers; a negative shift multiplies exactly."""
    n = np.asarray(n, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    shift_b = np.broadcast_to(shift, n.shape)
    out = np.empty_like(n)
    neg = shift_b <= 0
    out[neg] = n[neg] << (-shift_b[neg])
    pos = ~neg
    if pos.any():
        s = shift_b[pos]
        q = n[pos] >> s  # arithmetic shift = floor division by 2**s
        r = n[pos] - (q << s)
        half = np.int64(1) << (s - 1)
        up = (r > half) | ((r == half) & (q % 2 == 1))
        out[pos] = q + up.astype(np.int64)
    return out


def np_saturate(n: np.ndarray, fmt: FixedPoint) -> np.ndarray:
    return np.clip(np.asarray(n, dtype=np.int64), fmt.int_min, fmt.int_max)


def exact_int(x: torch.Tensor | np.ndarray, frac: int) -> np.ndarray:
    """Integer codes of a tensor that lies on the grid 2**-frac (asserts it does)."""
    a = x.detach().cpu().double().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, np.float64)
    n = a * (2.0 ** frac)
    r = np.round(n)
    if not np.array_equal(r, n):
        worst = float(np.max(np.abs(r - n)))
        raise ValueError(f"tensor is not on the 2**-{frac} grid (off by up to {worst} LSB)")
    return r.astype(np.int64)
