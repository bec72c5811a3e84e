"""Network blocks: ReActNet conv halves, BCDNet binary MLP and dynamic context, FTBNN halves.

Every block reads and writes the fixed-point residual stream (format `fmt`); binary
tensors exist only inside a block, between its RSign and its binary convolutions.
"""

from __future__ import annotations

import torch
from torch import nn

from bnnforge.quant.errors import BnnforgeError
from bnnforge.quant.fixed_point import FixedPoint
from bnnforge.quant.layers import (
    BinaryConv2d,
    FixedPointAdd,
    FixedPointAvgPool,
    FixedPointLinear,
    FPReLU,
    RPReLU,
    RSign,
    ScaledBatchNorm,
)
from bnnforge.quant.shift import LONG_RANGE, SHORT_RANGE, LongRange, LongShortShift


def make_activation(kind: str, channels: int, fmt: FixedPoint) -> nn.Module:
    if kind == "rprelu":
        return RPReLU(channels, fmt)
    if kind == "fprelu":
        return FPReLU(channels, fmt)
    raise BnnforgeError(f"unknown activation {kind!r}; expected 'rprelu' or 'fprelu'")


class DynamicContext(nn.Module):
    """BCDNet-B contextual dynamic embedding.

    pooled = GAP(x) -> ctx = W_c pooled + b_c -> thresholds = W_t ctx + b_t (one per input
    channel, added to RSign's threshold) and embedding = W_e ctx + b_e (one per output
    channel, added after the binary convolution's batch norm). The threshold and embedding
    maps start at zero, as in the paper, so a fresh block behaves like a ReActNet block.
    The pool needs the whole frame, so hardware buffers one frame before thresholding.
    """

    def __init__(self, cin: int, cout: int, fmt: FixedPoint, reduction: int = 4) -> None:
        super().__init__()
        hidden = max(cin // reduction, 4)
        self.pool = FixedPointAvgPool(fmt, kernel=None)
        self.context = FixedPointLinear(cin, hidden, fmt)
        self.to_threshold = FixedPointLinear(hidden, cin, fmt, zero_init=True)
        self.to_embedding = FixedPointLinear(hidden, cout, fmt, zero_init=True)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        ctx = self.context(self.pool(x).flatten(1))
        return self.to_threshold(ctx), self.to_embedding(ctx)


class ConvHalf(nn.Module):
    """Half of a ReActNet block: RSign -> binary k x k conv -> BN -> + shortcut -> activation.

    `copies` = 2 is the channel-doubling variant: two convolutions of the same binary input,
    each with its own BN and the same shortcut, concatenated (2 * cin output channels).
    Stride 2 takes the shortcut through a 2 x 2 average pool. `groups` > 1 is FTBNN's group
    execution. `dynamic` adds BCDNet-B's contextual thresholds and embeddings.
    """

    def __init__(self, cin: int, kernel: int, stride: int, fmt: FixedPoint, copies: int = 1,
                 groups: int = 1, act: str = "rprelu", dynamic: bool = False) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise BnnforgeError(f"stride must be 1 or 2, got {stride}")
        if copies not in (1, 2):
            raise BnnforgeError(f"copies must be 1 or 2, got {copies}")
        self.cin, self.cout, self.stride = cin, cin * copies, stride
        self.rsign = RSign(cin, fmt)
        self.convs = nn.ModuleList(BinaryConv2d(cin, cin, kernel, stride, groups) for _ in range(copies))
        self.bns = nn.ModuleList(ScaledBatchNorm(cin, fmt) for _ in range(copies))
        self.pool = FixedPointAvgPool(fmt, 2) if stride == 2 else None
        self.adds = nn.ModuleList(FixedPointAdd(fmt) for _ in range(copies))
        self.embed_adds = nn.ModuleList(FixedPointAdd(fmt) for _ in range(copies)) if dynamic else None
        self.context = DynamicContext(cin, self.cout, fmt) if dynamic else None
        self.act = make_activation(act, self.cout, fmt)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        thr = emb = None
        if self.context is not None:
            thr, emb = self.context(x)
        b = self.rsign(x, thr)
        shortcut = self.pool(x) if self.pool is not None else x
        outs = []
        for i, (conv, bn, add) in enumerate(zip(self.convs, self.bns, self.adds)):
            y = bn([conv(b)], [conv.alpha()])
            if emb is not None:
                e = emb[:, i * self.cin : (i + 1) * self.cin, None, None]  # static shape: no Shape ops in ONNX
                y = self.embed_adds[i](y, e)  # broadcast over H x W
            outs.append(add(y, shortcut))
        return self.act(torch.cat(outs, dim=1) if len(outs) > 1 else outs[0])


class ReActBlock(nn.Module):
    """ReActNet-A basic block: a 3 x 3 half (stride 1 or 2) then a 1 x 1 half (cin -> cout)."""

    def __init__(self, cin: int, cout: int, stride: int, fmt: FixedPoint, dynamic: bool = False,
                 act: str = "rprelu") -> None:
        super().__init__()
        if cout not in (cin, 2 * cin):
            raise BnnforgeError(f"a ReActNet block maps C -> C or C -> 2C, got {cin} -> {cout}")
        self.half3x3 = ConvHalf(cin, 3, stride, fmt, dynamic=dynamic, act=act)
        self.half1x1 = ConvHalf(cin, 1, 1, fmt, copies=cout // cin, dynamic=dynamic, act=act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.half1x1(self.half3x3(x))


class ResNetBlock(nn.Module):
    """ResNet-18 style basic block of two 3 x 3 halves, each with its own shortcut (Bi-Real /
    ReActNet-R18). Channel doubling uses two concatenated convolutions in the first half;
    `groups` > 1 with FPReLU makes it the FTBNN block."""

    def __init__(self, cin: int, cout: int, stride: int, fmt: FixedPoint, dynamic: bool = False,
                 act: str = "rprelu", groups: int = 1) -> None:
        super().__init__()
        if cout not in (cin, 2 * cin):
            raise BnnforgeError(f"a ResNet block maps C -> C or C -> 2C, got {cin} -> {cout}")
        self.first = ConvHalf(cin, 3, stride, fmt, copies=cout // cin, groups=groups, act=act, dynamic=dynamic)
        self.second = ConvHalf(cout, 3, 1, fmt, groups=groups, act=act, dynamic=dynamic)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.second(self.first(x))


class BinaryMLPBlock(nn.Module):
    """BCDNet long-short range binary MLP block (C -> C at a fixed spatial size h x w).

    RSign -> three 1 x 1 binary convs on the pointwise, short-shifted and long-shifted bits,
    each with its own alpha -> their scaled sum through one BN -> + residual -> RPReLU.
    The reference code's ShiftBlock. `long_range`: see `shift.shift_distances`.
    """

    def __init__(self, channels: int, h: int, w: int, fmt: FixedPoint, long_range: LongRange = None) -> None:
        super().__init__()
        if channels % 4:
            raise BnnforgeError(f"a binary MLP block needs channels divisible by 4, got {channels}")
        self.h, self.w = h, w
        self.rsign = RSign(channels, fmt)
        self.short = LongShortShift(SHORT_RANGE, h, w)
        self.long = LongShortShift(LONG_RANGE, h, w, long_range)
        self.pointwise_conv = BinaryConv2d(channels, channels, 1)
        self.short_conv = BinaryConv2d(channels, channels, 1)
        self.long_conv = BinaryConv2d(channels, channels, 1)
        self.bn = ScaledBatchNorm(channels, fmt, branches=3)
        self.add = FixedPointAdd(fmt)
        self.act = RPReLU(channels, fmt)

    def branch_convs(self) -> list[BinaryConv2d]:
        return [self.pointwise_conv, self.short_conv, self.long_conv]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[2:] != (self.h, self.w):
            raise BnnforgeError(f"binary MLP block built for {self.h}x{self.w} got {tuple(x.shape[2:])}")
        b = self.rsign(x)
        dots = [self.pointwise_conv(b), self.short_conv(self.short(b)), self.long_conv(self.long(b))]
        y = self.bn(dots, [c.alpha() for c in self.branch_convs()])
        return self.act(self.add(y, x))


class PointBlock(nn.Module):
    """The reference code's PointBlock, which closes each group of the BCDNet MLP stage: the
    binary MLP block with the pointwise branch only (C -> C): RSign -> one 1 x 1 binary conv
    -> BN -> + residual -> RPReLU."""

    def __init__(self, channels: int, fmt: FixedPoint) -> None:
        super().__init__()
        self.rsign = RSign(channels, fmt)
        self.pointwise_conv = BinaryConv2d(channels, channels, 1)
        self.bn = ScaledBatchNorm(channels, fmt)
        self.add = FixedPointAdd(fmt)
        self.act = RPReLU(channels, fmt)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn([self.pointwise_conv(self.rsign(x))], [self.pointwise_conv.alpha()])
        return self.act(self.add(y, x))
