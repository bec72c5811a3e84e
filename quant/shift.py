"""The long-short range circular shift of BCDNet's binary MLP block.

Channels split into four equal groups; group 1 rolls by +dh along H, group 2 by -dh
along H, group 3 by +dw along W, group 4 by -dw along W, circularly (torch.roll
semantics: out[i] = in[i - d]). Short range uses d = 1. Long range is a model parameter
whose default is the paper's h/2, w/2 as floor(H/2), floor(W/2); the authors' code hard-codes
3 because its MLP stage is 7x7, where the two agree. At an even size a long distance of
exactly H/2 (or W/2) makes +d and -d the same roll, so two of the four long-range tokens
coincide (`degenerate_long_range`). The shift acts on the binarized tensor: it moves bits.
"""

from __future__ import annotations

from typing import Sequence, Union

import torch
from torch import nn

from bnnforge.quant.errors import BnnforgeError
from bnnforge.quant.export_nodes import custom_node, exporting

SHORT_RANGE = "short"
LONG_RANGE = "long"


LongRange = Union[int, Sequence[int], None]


def shift_distances(kind: str, h: int, w: int, long_range: LongRange = None) -> tuple[int, int]:
    """(dh, dw) for a range kind at spatial size h x w; `long_range` (an int for both axes or
    [dh, dw]) replaces the long range's default floor(h/2), floor(w/2)."""
    if kind == SHORT_RANGE:
        return 1, 1
    if kind != LONG_RANGE:
        raise BnnforgeError(f"unknown shift range {kind!r}; expected {SHORT_RANGE!r} or {LONG_RANGE!r}")
    if long_range is None:
        return h // 2, w // 2
    if isinstance(long_range, int) and not isinstance(long_range, bool):
        dh = dw = long_range
    elif isinstance(long_range, (list, tuple)) and len(long_range) == 2 \
            and all(isinstance(d, int) and not isinstance(d, bool) for d in long_range):
        dh, dw = long_range
    else:
        raise BnnforgeError(f"long_range must be an integer or [dh, dw], got {long_range!r}")
    if dh < 0 or dw < 0:
        raise BnnforgeError(f"long_range must not be negative, got {dh}, {dw}")
    # the roll is circular: d and d mod size are the same shift (the authors' 3 on a 3x3 map is 0)
    return dh % h, dw % w


def degenerate_long_range(dh: int, dw: int, h: int, w: int) -> bool:
    """True when +d and -d are the same circular roll on an axis (2d = 0 mod size), so only
    two (or, on both axes, fewer) of the four long-range tokens differ."""
    return (2 * dh) % h == 0 or (2 * dw) % w == 0


def long_short_shift(x: torch.Tensor, dh: int, dw: int) -> torch.Tensor:
    """Roll the four channel groups of an NCHW tensor by (+dh, -dh) along H and (+dw, -dw) along W."""
    c = x.shape[1]
    if c % 4:
        raise BnnforgeError(f"the long-short shift needs channels divisible by 4, got {c}")
    g = c // 4
    return torch.cat(
        [
            torch.roll(x[:, 0 * g : 1 * g], shifts=dh, dims=2),
            torch.roll(x[:, 1 * g : 2 * g], shifts=-dh, dims=2),
            torch.roll(x[:, 2 * g : 3 * g], shifts=dw, dims=3),
            torch.roll(x[:, 3 * g : 4 * g], shifts=-dw, dims=3),
        ],
        dim=1,
    )


class LongShortShift(nn.Module):
    """Parameter-free module form, so graphs and op counters can see the shift."""

    def __init__(self, kind: str, h: int, w: int, long_range: LongRange = None) -> None:
        super().__init__()
        self.kind = kind
        self.dh, self.dw = shift_distances(kind, h, w, long_range)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        def compute(t: torch.Tensor) -> torch.Tensor:
            return long_short_shift(t, self.dh, self.dw)

        if exporting():  # one node instead of torch.roll's Slice/Concat chains
            return custom_node("LongShortShift", [x], {"dh": self.dh, "dw": self.dw}, compute)
        return compute(x)

    def extra_repr(self) -> str:
        return f"kind={self.kind}, dh={self.dh}, dw={self.dw}"
