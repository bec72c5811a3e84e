"""Fixed-point semantics: every real-valued op equals an independent integer computation."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch

from bnnforge.quant.fixed_point import (
    FixedPoint,
    exact_int,
    np_round_half_even_div,
    np_round_shift,
    np_saturate,
)
from bnnforge.quant.layers import (
    BinaryConv2d,
    FixedPointAdd,
    FixedPointAvgPool,
    FPReLU,
    RPReLU,
    RSign,
    ScaledBatchNorm,
    residual_quant,
)

FMT = FixedPoint(16, 8)


def grid(shape: tuple, fmt: FixedPoint = FMT, spread: int = 6000) -> torch.Tensor:
    return torch.randint(-spread, spread, shape).double().float() * fmt.scale


def exact_round_half_even(q: Fraction) -> int:
    fl = q.numerator // q.denominator
    rem = q - fl
    if rem > Fraction(1, 2) or (rem == Fraction(1, 2) and fl % 2):
        return fl + 1
    return fl


def test_round_helpers_against_fractions() -> None:
    nums = np.arange(-200, 201)
    for den in (2, 3, 4, 7, 49, 196):
        want = [exact_round_half_even(Fraction(int(n), den)) for n in nums]
        assert np_round_half_even_div(nums, den).tolist() == want
    for s in (0, 1, 2, 5):
        want = [exact_round_half_even(Fraction(int(n), 2 ** s)) for n in nums]
        assert np_round_shift(nums, s).tolist() == want
    assert np_round_shift(np.array([3, -3]), -2).tolist() == [12, -12]


def test_residual_quant_scale_rounding_and_saturation() -> None:
    q = residual_quant(FMT)
    x = torch.tensor([1 / 512, 3 / 512, -1 / 512, 500.0, -500.0])
    y = q(x)
    assert y.tolist() == [0.0, 2 / 256, 0.0, FMT.int_max / 256, FMT.int_min / 256]


def test_sign_at_exactly_the_threshold() -> None:
    rs = RSign(3, FMT).eval()
    with torch.no_grad():
        rs.threshold.copy_(torch.tensor([0.5, -1.25, 0.0]))
    t = torch.tensor([0.5, -1.25, 0.0]).view(1, 3, 1, 1)
    assert rs(t).flatten().tolist() == [1.0, 1.0, 1.0]           # x == t -> +1
    assert rs(t - FMT.scale).flatten().tolist() == [-1.0, -1.0, -1.0]  # one LSB below -> -1
    dyn = torch.tensor([[FMT.scale, 0.0, -FMT.scale]])
    assert rs(t, dyn).flatten().tolist() == [-1.0, 1.0, 1.0]


def test_ste_gradients_reach_latent_weights_and_thresholds() -> None:
    rs, conv = RSign(4, FMT), BinaryConv2d(4, 8, 3)
    x = grid((2, 4, 5, 5), spread=200)
    out = conv(rs(x))
    assert torch.all((out - out.round()) == 0), "binary conv must output integers"
    (out * torch.randn_like(out)).sum().backward()
    assert conv.weight.grad is not None and conv.weight.grad.abs().sum() > 0
    assert rs.threshold.grad is not None and rs.threshold.grad.abs().sum() > 0


def test_binary_conv_weights_are_signs_of_latent() -> None:
    conv = BinaryConv2d(4, 4, 1)
    w = conv.quant_weight().value
    assert set(w.unique().tolist()) <= {-1.0, 1.0}
    assert torch.equal(w, torch.where(conv.weight >= 0, 1.0, -1.0))
    assert torch.allclose(conv.alpha(), conv.weight.abs().mean(dim=(1, 2, 3)))


@pytest.mark.parametrize("branches", [1, 3])
def test_scaled_batchnorm_inference_is_integer_exact(branches: int) -> None:
    c = 16
    bn = ScaledBatchNorm(c, FMT, branches=branches)
    with torch.no_grad():
        bn.norm.weight.copy_(torch.randn(c) * 2)
        bn.norm.bias.copy_(torch.randn(c) * 3)
        bn.norm.running_mean.copy_(torch.randn(c) * 20)
        bn.norm.running_var.copy_(torch.rand(c) * 50 + 0.1)
    bn.eval()
    dots = [torch.randint(-300, 301, (4, c, 3, 3)).float() for _ in range(branches)]
    alphas = [torch.rand(c) * 0.1 for _ in range(branches)]
    got = exact_int(bn(dots, alphas), FMT.frac)

    m, e, b = (t.numpy().astype(np.int64) for t in bn.folded(alphas))
    acc = np.maximum(e, FMT.frac)
    big = sum(d.numpy().astype(np.int64) * (mi << (acc - e)).reshape(1, -1, 1, 1) for d, mi in zip(dots, m))
    big = big + b.reshape(1, -1, 1, 1)
    want = np_saturate(np_round_shift(big, (acc - FMT.frac).reshape(1, -1, 1, 1)), FMT)
    assert np.array_equal(got, want)
    assert np.abs(m).max() < 2 ** (bn.gain_bits - 1)


def test_scaled_batchnorm_close_to_float_bn() -> None:
    """Folding changes the float BN output by at most 1 LSB plus the gain's relative rounding."""
    c = 8
    bn = ScaledBatchNorm(c, FMT)
    n = bn.norm
    with torch.no_grad():
        n.running_mean.copy_(torch.randn(c))
        n.running_var.copy_(torch.rand(c) + 0.5)
    bn.eval()
    d = torch.randint(-50, 51, (2, c, 4, 4)).float()
    ref = torch.nn.functional.batch_norm(d, n.running_mean, n.running_var, n.weight, n.bias, False, 0, n.eps)
    err = (bn([d], [torch.ones(c)]) - ref).abs()
    assert torch.all(err <= FMT.scale + ref.abs() * 2.0 ** -(bn.gain_bits - 1))
    assert err.max() > 0  # the comparison is not vacuous: rounding does change values


def test_rprelu_is_integer_exact() -> None:
    c = 8
    act = RPReLU(c, FMT)
    with torch.no_grad():
        act.shift_in.copy_(torch.randn(c))
        act.slope.copy_(torch.rand(c) - 0.3)
        act.shift_out.copy_(torch.randn(c))
    x = grid((3, c, 4, 4))
    got = exact_int(act(x), FMT.frac)
    b1, a, b2 = act.params()
    b1, b2 = exact_int(b1, FMT.frac).reshape(1, -1, 1, 1), exact_int(b2, FMT.frac).reshape(1, -1, 1, 1)
    a = exact_int(a, act.slope_frac).reshape(1, -1, 1, 1)
    t = exact_int(x, FMT.frac) - b1
    y = np.where(t >= 0, t, np_round_shift(t * a, act.slope_frac)) + b2
    assert np.array_equal(got, np_saturate(y, FMT))


def test_fprelu_is_integer_exact() -> None:
    c = 8
    act = FPReLU(c, FMT)
    with torch.no_grad():
        act.slope_pos.copy_(torch.rand(c) + 0.5)
        act.slope_neg.copy_(torch.rand(c) - 0.5)
    x = grid((3, c, 4, 4))
    ap, an = (exact_int(p, act.slope_frac).reshape(1, -1, 1, 1) for p in act.params())
    xi = exact_int(x, FMT.frac)
    want = np_saturate(np_round_shift(xi * np.where(xi >= 0, ap, an), act.slope_frac), FMT)
    assert np.array_equal(exact_int(act(x), FMT.frac), want)


def test_average_pools_round_half_to_even() -> None:
    pool2 = FixedPointAvgPool(FMT, 2)
    x = torch.tensor([[1, 2, 3, 4], [1, 2, 3, 5]]).float().view(1, 2, 2, 2) * FMT.scale
    assert exact_int(pool2(x), FMT.frac).flatten().tolist() == [2, 3]  # 10/4 -> 2 (even), 11/4 -> 3
    gap = FixedPointAvgPool(FMT, None)
    x = grid((4, 6, 7, 7))
    want = np_round_half_even_div(exact_int(x, FMT.frac).sum(axis=(2, 3)), 49)
    assert np.array_equal(exact_int(gap(x), FMT.frac)[:, :, 0, 0], want)


def test_residual_add_saturates() -> None:
    add = FixedPointAdd(FMT)
    a = torch.tensor([127.0, -127.0, 1.5])
    b = torch.tensor([5.0, -5.0, 2.25])
    assert add(a, b).tolist() == [FMT.int_max * FMT.scale, FMT.int_min * FMT.scale, 3.75]
