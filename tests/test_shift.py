"""The long-short range shift against an independent index-arithmetic formulation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bnnforge.quant.errors import BnnforgeError
from bnnforge.quant.shift import LONG_RANGE, SHORT_RANGE, LongShortShift, long_short_shift, shift_distances


def reference_shift(x: np.ndarray, dh: int, dw: int) -> np.ndarray:
    """out[n, c, i, j] = x[n, c, (i - sh_c) mod H, (j - sw_c) mod W] with DESIGN.md's group offsets."""
    n, c, h, w = x.shape
    g = c // 4
    out = np.empty_like(x)
    offsets = [(dh, 0), (-dh, 0), (0, dw), (0, -dw)]
    for ch in range(c):
        sh, sw = offsets[ch // g]
        for i in range(h):
            for j in range(w):
                out[:, ch, i, j] = x[:, ch, (i - sh) % h, (j - sw) % w]
    return out


@pytest.mark.parametrize("h,w", [(4, 4), (5, 5), (7, 6), (6, 7), (3, 8), (14, 14), (7, 7)])
@pytest.mark.parametrize("kind", [SHORT_RANGE, LONG_RANGE])
def test_shift_matches_index_formula(h: int, w: int, kind: str) -> None:
    x = torch.randint(0, 2, (2, 8, h, w)).float() * 2 - 1
    dh, dw = shift_distances(kind, h, w)
    got = long_short_shift(x, dh, dw).numpy()
    assert np.array_equal(got, reference_shift(x.numpy(), dh, dw))


def test_distances() -> None:
    assert shift_distances(SHORT_RANGE, 7, 9) == (1, 1)
    assert shift_distances(LONG_RANGE, 7, 9) == (3, 4)
    assert shift_distances(LONG_RANGE, 14, 14) == (7, 7)
    m = LongShortShift(LONG_RANGE, 5, 6)
    assert (m.dh, m.dw) == (2, 3)


def test_group_one_moves_down_by_d() -> None:
    """A single set bit in group 1 at row 0 lands at row d (torch.roll: out[i] = in[i - d])."""
    x = -torch.ones(1, 4, 5, 5)
    x[0, 0, 0, 2] = 1
    y = long_short_shift(x, 2, 2)
    assert y[0, 0, 2, 2] == 1 and y[0, 0].sum() == -23


def test_shift_is_a_permutation_of_bits() -> None:
    x = torch.randint(0, 2, (1, 16, 6, 5)).float() * 2 - 1
    y = long_short_shift(x, 3, 2)
    assert torch.equal(x.sum(dim=(2, 3)), y.sum(dim=(2, 3)))


def test_channels_not_divisible_by_four() -> None:
    with pytest.raises(BnnforgeError, match="divisible by 4"):
        long_short_shift(torch.ones(1, 6, 4, 4), 1, 1)
