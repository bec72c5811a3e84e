"""Each hardware op's integer golden model against an independent PyTorch/numpy reference,
for odd and even sizes, and each op's cost model for basic sanity."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.hwops import DOMAIN, custom_op
from bnnforge.quant.fixed_point import np_round_shift
from bnnforge.quant.shift import long_short_shift

RNG = np.random.default_rng(0)


def make_op(op_type: str, n_inputs: int = 1, n_outputs: int = 1, **attrs):  # noqa: ANN003, ANN201
    node = helper.make_node(op_type, [f"in{i}" for i in range(n_inputs)], [f"out{i}" for i in range(n_outputs)],
                            domain=DOMAIN, name=f"{op_type}_test", **attrs)
    return getCustomOp(node)


@pytest.mark.parametrize("h,w,k,stride,pad,groups", [
    (8, 8, 3, 1, 1, 1), (7, 5, 3, 1, 1, 1), (8, 8, 3, 2, 1, 1), (7, 9, 3, 2, 1, 2), (5, 5, 1, 1, 0, 2),
    (6, 6, 3, 1, 0, 1),
])
def test_window_and_binary_mvau_equal_zero_padded_conv(h: int, w: int, k: int, stride: int, pad: int,
                                                       groups: int) -> None:
    n, cin, cout = 3, 8, 6
    bits = RNG.integers(0, 2, (n, h, w, cin))
    wbits = RNG.integers(0, 2, (cout, cin // groups, k, k))
    want = F.conv2d(torch.from_numpy(2.0 * bits - 1).permute(0, 3, 1, 2), torch.from_numpy(2.0 * wbits - 1),
                    stride=stride, padding=pad, groups=groups).permute(0, 2, 3, 1).numpy()
    oh, ow = want.shape[1:3]
    x = bits
    if k > 1 or stride > 1 or pad:
        swg = make_op("SlidingWindow", ifm_dim=[h, w], channels=cin, kernel=k, stride=stride, pad=pad,
                      out_shape=[n, oh, ow, k * k * cin], out_dtype="BINARY")
        x = swg.golden(bits)
    mw = k * k * cin // groups
    mvau = make_op("BinaryMVAU", 2, MW=mw, MH=cout, groups=groups, kernel=k, stride=stride, pad=pad, ifm_dim=[h, w],
                   out_shape=[n, oh, ow, cout], out_dtype="INT8")
    wt = np.transpose(wbits, (0, 2, 3, 1)).reshape(cout, mw)
    got = mvau.golden(x, wt)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("h,w", [(8, 8), (7, 5), (4, 9)])
@pytest.mark.parametrize("kind", ["short", "long"])
def test_long_short_shift_matches_torch_roll(h: int, w: int, kind: str) -> None:
    dh, dw = (1, 1) if kind == "short" else (h // 2, w // 2)
    x = RNG.integers(0, 2, (2, h, w, 12))
    op = make_op("LongShortShift", dh=dh, dw=dw, out_shape=[2, h, w, 12], out_dtype="BINARY")
    want = long_short_shift(torch.from_numpy(x).permute(0, 3, 1, 2), dh, dw).permute(0, 2, 3, 1).numpy()
    np.testing.assert_array_equal(op.golden(x), want)


def test_int_mvau_requantizes_half_to_even_with_saturation() -> None:
    x = RNG.integers(-128, 128, (50, 12))
    w = RNG.integers(-128, 128, (7, 12))
    bias = RNG.integers(-500, 500, 7)
    op = make_op("IntMVAU", 3, MW=12, MH=7, mode="requant", acc_frac=10, out_frac=4, out_bits=12,
                 out_shape=[50, 7], out_dtype="INT12")
    exact = (x @ w.T) / 2.0 ** 10 + bias / 2.0 ** 4
    want = np.clip(np.round(exact * 2 ** 4), -2048, 2047)  # np.round is half to even
    np.testing.assert_array_equal(op.golden(x, w, bias), want)


def test_dynamic_sign_and_embedding_add_broadcast_per_frame() -> None:
    x = RNG.integers(-300, 300, (4, 5, 3, 6))
    v = RNG.integers(-40, 40, (4, 6))
    t = RNG.integers(-100, 100, 6)
    sign = make_op("DynamicSign", 3, x_frac=8, v_frac=6, out_shape=list(x.shape), out_dtype="BINARY")
    want = (x / 256 - v[:, None, None, :] / 64 >= t / 256).astype(int)
    np.testing.assert_array_equal(sign.golden(x, v, t), want)
    add = make_op("EmbeddingAdd", 2, a_frac=8, b_frac=6, out_frac=8, out_shape=list(x.shape), out_dtype="INT9")
    want = np.clip(x + 4 * v[:, None, None, :], -256, 255)
    np.testing.assert_array_equal(add.golden(x, v), want)


def test_residual_add_rounds_finer_inputs_half_to_even() -> None:
    a, b = RNG.integers(-1000, 1000, (3, 4, 4, 5)), RNG.integers(-1000, 1000, (3, 4, 4, 5))
    op = make_op("ResidualAdd", 2, a_frac=10, b_frac=8, out_frac=8, out_shape=[3, 4, 4, 5], out_dtype="INT16")
    np.testing.assert_array_equal(op.golden(a, b), np_round_shift(a + 4 * b, 2))


def test_thresholding_is_x_greater_equal_t() -> None:
    x = np.arange(-5, 5).reshape(1, 10, 1)
    op = make_op("Thresholding", 2, out_shape=[1, 10, 1], out_dtype="BINARY")
    np.testing.assert_array_equal(op.golden(x, np.array([0])).ravel(), (np.arange(-5, 5) >= 0).astype(int))


def test_streams_duplicate_concat_slice() -> None:
    x = RNG.integers(0, 9, (2, 3, 3, 4))
    dup = make_op("Duplicate", 1, 3, out_shape=[2, 3, 3, 4])
    assert all(np.array_equal(o, x) for o in dup.golden(x)) and len(dup.golden(x)) == 3
    cat = make_op("Concat", 2, out_shape=[2, 3, 3, 8])
    np.testing.assert_array_equal(cat.golden(x, x + 1)[..., 4:], x + 1)
    sl = make_op("ChannelSlice", start=1, end=3, out_shape=[2, 3, 3, 2])
    np.testing.assert_array_equal(sl.golden(x), x[..., 1:3])


def test_every_op_has_a_cost_model_that_scales_with_folding() -> None:
    mvau = make_op("BinaryMVAU", 2, MW=288, MH=32, kernel=3, pad=1, ifm_dim=[8, 8], out_shape=[1, 8, 8, 32],
                   out_dtype="INT10")
    slow = mvau.estimate()
    mvau.set_nodeattr("PE", 8)
    mvau.set_nodeattr("SIMD", 32)
    fast = mvau.estimate()
    assert slow["cycles"] == 64 * 32 * 288
    assert fast["cycles"] == 64 * (32 // 8) * (288 // 32)
    assert fast["lut"] > slow["lut"]


def test_the_op_contract_is_abstract() -> None:
    """Every registered op defines the whole contract; a class missing one method cannot be
    instantiated."""
    from bnnforge.generator.hwops.base import HWOp

    contract = {"golden", "fold_params", "cycles", "latency", "resources", "ports", "rtl", "hls"}
    assert contract <= HWOp.__abstractmethods__
    for name, cls in custom_op.items():
        assert not cls.__abstractmethods__, f"{name} leaves {sorted(cls.__abstractmethods__)} undefined"
    thr = custom_op["Thresholding"]
    partial = type("NoHLS", (thr,), {"hls": None})
    partial.__abstractmethods__ = frozenset({"hls"})  # as ABCMeta computes for a class that never defines it
    node = helper.make_node("NoHLS", ["x"], ["y"], domain=DOMAIN, out_shape=[1, 4], out_dtype="BINARY")
    with pytest.raises(TypeError, match="abstract"):
        partial(node)

    class Incomplete(custom_op["WidthConverter"].__mro__[1]):  # HWOp itself, nothing defined
        def golden(self, x):  # noqa: ANN001, ANN202
            return x

    with pytest.raises(TypeError, match="abstract"):
        Incomplete(node)

