"""Random but realistic weights for bit-exactness tests: every parameter off its default
(negative BN gains, non-zero context maps) and BN statistics calibrated on random input,
so no path is trivially zero or saturated."""

from __future__ import annotations

import torch

from bnnforge.quant.layers import FixedPointLinear, FPReLU, RPReLU, RSign, ScaledBatchNorm


@torch.no_grad()
def randomize_(model: torch.nn.Module, seed: int = 0, calibration_batches: int = 3) -> torch.nn.Module:
    gen = torch.Generator().manual_seed(seed)

    def rnd(t: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
        return torch.rand(t.shape, generator=gen) * (hi - lo) + lo

    for m in model.modules():
        if isinstance(m, ScaledBatchNorm):
            gain = rnd(m.norm.weight, 0.3, 2.0)
            sign = torch.where(torch.rand(gain.shape, generator=gen) < 0.2, -1.0, 1.0)
            m.norm.weight.copy_(gain * sign)
            m.norm.bias.copy_(rnd(m.norm.bias, -1.0, 1.0))
            m.norm.reset_running_stats()
            m.norm.momentum = None  # cumulative average over the calibration batches
        elif isinstance(m, RSign):
            m.threshold.copy_(rnd(m.threshold, -0.5, 0.5))
        elif isinstance(m, RPReLU):
            m.shift_in.copy_(rnd(m.shift_in, -0.3, 0.3))
            m.slope.copy_(rnd(m.slope, -0.5, 1.0))
            m.shift_out.copy_(rnd(m.shift_out, -0.3, 0.3))
        elif isinstance(m, FPReLU):
            m.slope_pos.copy_(rnd(m.slope_pos, 0.3, 1.5))
            m.slope_neg.copy_(rnd(m.slope_neg, -0.5, 0.8))
        elif isinstance(m, FixedPointLinear):
            m.linear.weight.copy_(rnd(m.linear.weight, -0.5, 0.5))
            m.bias.copy_(rnd(m.bias, -0.2, 0.2))
        elif hasattr(m, "binarize_weights"):
            m.weight.copy_(rnd(m.weight, -1.0, 1.0))
    model.train()
    shape = model.input_shape
    for _ in range(calibration_batches):
        model(torch.randint(0, 256, (16, *shape), generator=gen).float())
    for m in model.modules():
        if isinstance(m, ScaledBatchNorm):
            m.norm.momentum = 0.1
    model.eval()
    model.calibrate_input_scales(torch.randint(0, 256, (16, *shape), generator=gen).float())
    return model
