"""RTL and HLS of the stream plumbing (Duplicate, Concat, ChannelSlice): bit-exact with the
golden model under random stalls on Icarus and Verilator (every output port, each with its
own backpressure), cycles and latency equal the cost model, C-simulation bit-exact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.sim.csim import csim
from bnnforge.generator.hwops import DOMAIN
from tests.rtl_harness import assert_hls_rate, simulator_params, verify_op_rtl

# Duplicate: (spatial shape, outputs, elem_bits, PE)
DUPLICATE = {"bits_4x4x16_n2": ((4, 4), 16, 2, 1, 16), "codes_3x5x6_n3": ((3, 5), 6, 3, 16, 3),
             "vector_5_n4": ((), 5, 4, 9, 1)}
# Concat: (spatial shape, channels per input, elem_bits, PE)
CONCAT = {"codes_8+8": ((3, 3), (8, 8), 16, 4), "bits_2+4+6": ((5, 3), (2, 4, 6), 1, 2),
          "vector_5+5": ((), (5, 5), 8, 5),
          # PE = all channels: one word of every input joined per cycle (bnf_concat_par)
          "par_codes_16+16": ((3, 3), (16, 16), 16, 32), "par_bits_2+4+6+3": ((5, 3), (2, 4, 6, 3), 1, 15)}
# ChannelSlice: (spatial shape, input channels, start, end, elem_bits, PE)
SLICE = {"codes_16_4to12": ((4, 4), 16, 4, 12, 16, 4), "9bit_6_0to3": ((3, 5), 6, 0, 3, 9, 3),
         "vector_10_5to10": ((), 10, 5, 10, 16, 5)}

MIN_WORDS = 1000


def codes(rng: np.random.Generator, bits: int, shape: tuple) -> np.ndarray:
    """Random elements over the full range: bits 0/1, or signed codes."""
    if bits == 1:
        return rng.integers(0, 2, shape)
    return rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), shape)


def dtype(bits: int) -> str:
    return "BINARY" if bits == 1 else f"INT{bits}"


def frames_for(words_per_frame: int) -> int:
    return -(-MIN_WORDS // words_per_frame)


def build_duplicate(case: str):  # noqa: ANN201
    spatial, c, n, eb, pe = DUPLICATE[case]

    def make(frames: int, seed: int):  # noqa: ANN202
        shape = [frames, *spatial, c]
        op = getCustomOp(helper.make_node("Duplicate", ["x"], [f"y{i}" for i in range(n)], domain=DOMAIN, PE=pe,
                                          elem_bits=eb, out_shape=shape, out_dtype=dtype(eb)))
        x = codes(np.random.default_rng(seed), eb, tuple(shape))
        return op, [x], None, op.golden(x)

    return make


def build_concat(case: str):  # noqa: ANN201
    spatial, counts, eb, pe = CONCAT[case]

    def make(frames: int, seed: int):  # noqa: ANN202
        op = getCustomOp(helper.make_node("Concat", [f"x{i}" for i in range(len(counts))], ["y"], domain=DOMAIN,
                                          PE=pe, elem_bits=eb, in_channels=list(counts),
                                          out_shape=[frames, *spatial, sum(counts)], out_dtype=dtype(eb)))
        rng = np.random.default_rng(seed)
        xs = [codes(rng, eb, (frames, *spatial, c)) for c in counts]
        return op, xs, None, op.golden(*xs)

    return make


def build_slice(case: str):  # noqa: ANN201
    spatial, cin, start, end, eb, pe = SLICE[case]

    def make(frames: int, seed: int):  # noqa: ANN202
        op = getCustomOp(helper.make_node("ChannelSlice", ["x"], ["y"], domain=DOMAIN, PE=pe, elem_bits=eb,
                                          start=start, end=end, in_channels=cin,
                                          out_shape=[frames, *spatial, end - start], out_dtype=dtype(eb)))
        x = codes(np.random.default_rng(seed), eb, (frames, *spatial, cin))
        return op, [x], None, op.golden(x)

    return make


def in_word_count(op, inputs: list[np.ndarray]) -> int:  # noqa: ANN001
    words = op.in_words(*inputs)
    return sum(map(len, words.values())) if isinstance(words, dict) else len(words)


def check(build, words_per_frame: int, simulator: str) -> None:  # noqa: ANN001
    frames = frames_for(words_per_frame)
    op, inputs, _, _ = build(frames, 0)
    assert in_word_count(op, inputs) >= MIN_WORDS
    verify_op_rtl(build, simulator, frames)


@pytest.mark.parametrize("case,simulator", simulator_params(list(DUPLICATE), {"bits_4x4x16_n2", "vector_5_n4"}))
def test_duplicate_rtl(case: str, simulator: str) -> None:
    spatial, c, _, _, pe = DUPLICATE[case]
    check(build_duplicate(case), int(np.prod(spatial, dtype=int)) * c // pe, simulator)


@pytest.mark.parametrize("case,simulator", simulator_params(list(CONCAT), {"bits_2+4+6", "par_codes_16+16"}))
def test_concat_rtl(case: str, simulator: str) -> None:
    spatial, counts, _, pe = CONCAT[case]
    check(build_concat(case), int(np.prod(spatial, dtype=int)) * sum(counts) // pe, simulator)


@pytest.mark.parametrize("case,simulator", simulator_params(list(SLICE), {"9bit_6_0to3"}))
def test_channel_slice_rtl(case: str, simulator: str) -> None:
    spatial, cin, *_, pe = SLICE[case]
    check(build_slice(case), int(np.prod(spatial, dtype=int)) * cin // pe, simulator)


@pytest.mark.parametrize("case", list(DUPLICATE))
def test_duplicate_csim(case: str, tmp_path: Path) -> None:
    op, (x,), _, want = build_duplicate(case)(12, 5)
    got, trips = csim(op, "duplicate", op.in_words(x), 12, tmp_path, trips=True)
    assert got == op.out_words(want)
    assert_hls_rate(op, trips)


@pytest.mark.parametrize("case", list(CONCAT))
def test_concat_csim(case: str, tmp_path: Path) -> None:
    op, xs, _, want = build_concat(case)(12, 5)
    got, trips = csim(op, "concat", op.in_words(*xs), 12, tmp_path, trips=True)
    assert got == op.out_words(want)
    assert_hls_rate(op, trips)


@pytest.mark.parametrize("case", list(SLICE))
def test_channel_slice_csim(case: str, tmp_path: Path) -> None:
    op, (x,), _, want = build_slice(case)(12, 5)
    got, trips = csim(op, "channel_slice", op.in_words(x), 12, tmp_path, trips=True)
    assert got == op.out_words(want)
    assert_hls_rate(op, trips)


def test_folding_respects_every_part() -> None:
    """PE must divide each concatenated input (or take all channels at once) and the
    slice's bounds and input width."""
    cat = build_concat("bits_2+4+6")(1, 0)[0]
    assert cat.fold_params() == {"PE": [1, 2, 12]}
    sl = build_slice("codes_16_4to12")(1, 0)[0]
    assert sl.fold_params() == {"PE": [1, 2, 4]}
    vec = build_slice("vector_10_5to10")(1, 0)[0]
    assert vec.fold_params() == {"PE": [1, 5]}


def test_channel_slice_needs_its_input_width_for_hardware() -> None:
    from bnnforge.quant.errors import BnnforgeError

    op = getCustomOp(helper.make_node("ChannelSlice", ["x"], ["y"], domain=DOMAIN, PE=4, start=0, end=16,
                                      out_shape=[1, 16], out_dtype="INT16"))
    with pytest.raises(BnnforgeError, match="in_channels"):
        op.rtl()
