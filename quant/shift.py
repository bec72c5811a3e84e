"""The long-short range circular shift of BCDNet's binary MLP block.

Channels split into four equal groups; group 1 rolls by +dh along H, group 2 by -dh
along H, group 3 by +dw along W, group 4 by -dw along W, circularly (torch.roll
semantics: out[i] = in[i - d]). Short range uses d = 1, long range d = floor(H/2) along H
and floor(W/2) along W. The shift acts on the binarized tensor, so it only moves bits.
"""

from __future__ import annotations

import torch
from torch import nn

from bnnforge.quant.errors import BnnforgeError
from bnnforge.quant.export_nodes import custom_node, exporting

SHORT_RANGE = "short"
LONG_RANGE = "long"


def shift_distances(kind: str, h: int, w: int) -> tuple[int, int]:
    """(dh, dw) for a range kind at spatial size h x w."""
    if kind == SHORT_RANGE:
        return 1, 1
    if kind == LONG_RANGE:
        return h // 2, w // 2
    raise BnnforgeError(f"unknown shift range {kind!r}; expected {SHORT_RANGE!r} or {LONG_RANGE!r}")


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

    def __init__(self, kind: str, h: int, w: int) -> None:
        super().__init__()
        self.kind = kind
        self.dh, self.dw = shift_distances(kind, h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        def compute(t: torch.Tensor) -> torch.Tensor:
            return long_short_shift(t, self.dh, self.dw)

        if exporting():  # one node instead of torch.roll's Slice/Concat chains
            return custom_node("LongShortShift", [x], {"dh": self.dh, "dw": self.dw}, compute)
        return compute(x)

    def extra_repr(self) -> str:
        return f"kind={self.kind}, dh={self.dh}, dw={self.dw}"
