"""What every bnnforge hardware op shares: integer execution, folding, cost-model plumbing.

A hardware op is a qonnx CustomOp in the domain `bnnforge.generator.hwops`. Its tensors
hold integer codes (stored as float32, exact below 2**24) in channels-last layout: feature
maps are [N, H, W, C], per-frame vectors [N, C], binary tensors hold bits (1 = +1, 0 = -1).
Each subclass defines:

- `golden(*inputs)`: the integer semantics in numpy, the rung-3 golden model;
- `fold_params()`: its folding parameters and their legal values;
- `cycles()` (initiation interval per frame) and `latency()` in clock cycles;
- `resources()`: LUT / FF / BRAM18 / DSP estimate for the current folding.
"""

from __future__ import annotations

import math

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.custom_op.base import CustomOp

from bnnforge.quant.errors import BnnforgeError

DOMAIN = "bnnforge.generator.hwops"

# Block RAM geometry of 7-series / UltraScale RAMB18: (width, depth) aspect ratios.
_BRAM18_SHAPES = ((1, 16384), (2, 8192), (4, 4096), (9, 2048), (18, 1024), (36, 512))
# Memories at or below this many bits, or this shallow, go to LUTRAM (64 x 1 bit per LUT)
LUTRAM_MAX_BITS = 2048
LUTRAM_MAX_DEPTH = 64


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def bram18(width: int, depth: int) -> int:
    """RAMB18 count for a width x depth memory, choosing the best aspect ratio."""
    if width <= 0 or depth <= 0:
        return 0
    return min(math.ceil(width / w) * math.ceil(depth / d) for w, d in _BRAM18_SHAPES)


def memory_cost(width: int, depth: int) -> dict[str, int]:
    """LUTRAM for small or shallow memories, BRAM18 for the rest (Vivado's default inference)."""
    bits = width * depth
    if bits == 0:
        return {"lut": 0, "bram18": 0}
    if bits <= LUTRAM_MAX_BITS or depth <= LUTRAM_MAX_DEPTH:
        return {"lut": width * math.ceil(depth / 64), "bram18": 0}
    return {"lut": 0, "bram18": bram18(width, depth)}


def bits_for(lo: int, hi: int) -> int:
    """Bits of the smallest two's-complement (or unsigned, if lo >= 0) type holding lo..hi."""
    if lo >= 0:
        return max(1, int(hi).bit_length())
    return max(int(hi).bit_length(), int(-lo - 1).bit_length()) + 1


def as_int(x: np.ndarray) -> np.ndarray:
    """Integer codes of an execution-context tensor (asserts they are integers)."""
    a = np.asarray(x, dtype=np.float64)
    r = np.rint(a)
    if not np.array_equal(r, a):
        raise ValueError("hardware-op tensors must hold integer codes")
    return r.astype(np.int64)


def pack_words(values: np.ndarray, bits: int) -> list[int]:
    """Pack the last axis of `values` into integers, element i at bits [i*bits, (i+1)*bits),
    two's complement: the layout of every bnnforge stream word (TDATA, ap_uint)."""
    v = np.asarray(values, dtype=np.int64)
    flat = v.reshape(-1, v.shape[-1]) & ((1 << bits) - 1)
    words = []
    for row in flat:
        w = 0
        for i, e in enumerate(row.tolist()):
            w |= int(e) << (i * bits)
        words.append(w)
    return words


def param_codes(params: tuple, n: int, op: str) -> tuple[np.ndarray, ...]:
    """An op's `n` parameter tensors (initializers, in input order) as integer codes."""
    if len(params) != n:
        raise BnnforgeError(f"{op}: expected {n} parameter tensors, got {len(params)}")
    return tuple(np.rint(np.asarray(p, dtype=np.float64)).astype(np.int64) for p in params)


def hex_lines(words: list[int], bits: int) -> str:
    """A $readmemh file: one word per line, zero-padded to the word width."""
    digits = max(1, (bits + 3) // 4)
    return "".join(f"{w:0{digits}x}\n" for w in words)


class HWOp(CustomOp):
    """Base of all bnnforge hardware ops."""

    # said in folding errors about an op whose parallelism is derived, not chosen
    fold_note = ""

    def get_nodeattr_types(self) -> dict:
        return {
            # output shape (channels last) and element type, fixed by the lowering
            "out_shape": ("ints", True, []),
            "out_dtype": ("s", True, "INT16"),
            # fractional bits of the output codes (value = code * 2**-out_frac)
            "out_frac": ("i", False, 0),
        }

    # ---- graph plumbing -------------------------------------------------------------
    def make_shape_compatible_op(self, model):  # noqa: ANN001
        node = self.make_const_shape_op(self.get_nodeattr("out_shape"))
        node.output[:] = self.onnx_node.output
        return node

    def infer_node_datatype(self, model) -> None:  # noqa: ANN001
        for o in self.onnx_node.output:
            model.set_tensor_datatype(o, DataType[self.get_nodeattr("out_dtype")])

    def verify_node(self) -> list[str]:
        return []

    def execute_node(self, context: dict, graph) -> None:  # noqa: ANN001
        ins = [as_int(context[i]) for i in self.onnx_node.input]
        out = self.golden(*ins)
        outs = out if isinstance(out, tuple) else (out,)
        lo, hi = DataType[self.get_nodeattr("out_dtype")].min(), DataType[self.get_nodeattr("out_dtype")].max()
        for name, value in zip(self.onnx_node.output, outs):
            if value.size and (value.min() < lo or value.max() > hi):
                raise AssertionError(f"{self.onnx_node.name}: output outside {self.get_nodeattr('out_dtype')}")
            context[name] = value.astype(np.float32)

    # ---- what subclasses define -----------------------------------------------------
    def golden(self, *inputs: np.ndarray) -> np.ndarray | tuple[np.ndarray, ...]:
        raise NotImplementedError

    def fold_params(self) -> dict[str, list[int]]:
        """Folding parameters of this op and their legal values (empty: not foldable)."""
        return {}

    def cycles(self) -> int:
        raise NotImplementedError

    def latency(self) -> int:
        """Cycles from the first input word to the first output word (pipeline fill)."""
        return 2

    def resources(self) -> dict[str, int]:
        raise NotImplementedError

    # ---- derived --------------------------------------------------------------------
    def folding(self) -> dict[str, int]:
        return {k: self.get_nodeattr(k) for k in self.fold_params()}

    def estimate(self) -> dict[str, int]:
        r = {"lut": 0, "ff": 0, "bram18": 0, "dsp": 0}
        r.update({k: int(math.ceil(v)) for k, v in self.resources().items()})
        r["cycles"] = int(self.cycles())
        return r

    def saturate(self, y: np.ndarray) -> np.ndarray:
        dt = DataType[self.get_nodeattr("out_dtype")]
        return np.clip(y, int(dt.min()), int(dt.max()))

    def out_shape(self) -> list[int]:
        return list(self.get_nodeattr("out_shape"))

    def pixels(self) -> int:
        """Spatial positions per frame of the output (1 for per-frame vectors)."""
        shape = self.out_shape()
        return int(np.prod(shape[1:-1])) if len(shape) > 2 else 1

    def channels(self) -> int:
        return self.out_shape()[-1]


class ElementwiseOp(HWOp):
    """A per-channel op streaming one channel-parallel word per cycle with PE lanes."""

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "PE": ("i", False, 1)}

    def fold_params(self) -> dict[str, list[int]]:
        return {"PE": divisors(self.channels())}

    def cycles(self) -> int:
        return self.pixels() * self.channels() // self.get_nodeattr("PE")

    def lane_cost(self) -> dict[str, float]:
        """Resources of one PE lane; per-channel parameters add their memory."""
        raise NotImplementedError

    def param_bits(self) -> int:
        """Bits of per-channel parameters each lane stores."""
        return 0

    # ---- stream words of a one-in, one-out op on codes (`in_bits` wide in, out_dtype out)
    def out_bits(self) -> int:
        return DataType[self.get_nodeattr("out_dtype")].bitwidth()

    def in_words(self, x: np.ndarray) -> list[int]:
        return pack_words(np.asarray(x).reshape(-1, self.get_nodeattr("PE")), self.get_nodeattr("in_bits"))

    def out_words(self, y: np.ndarray) -> list[int]:
        return pack_words(np.asarray(y).reshape(-1, self.get_nodeattr("PE")), self.out_bits())

    def hls_stream_widths(self) -> tuple[int, int]:
        from bnnforge.generator.hls import tw

        pe = self.get_nodeattr("PE")
        return tw(pe * self.get_nodeattr("in_bits")), tw(pe * self.out_bits())

    def resources(self) -> dict[str, int]:
        pe = self.get_nodeattr("PE")
        lane = self.lane_cost()
        out = {k: v * pe for k, v in lane.items()}
        mem = memory_cost(self.param_bits() * pe, self.channels() // pe)
        out["lut"] = out.get("lut", 0) + mem["lut"]
        out["bram18"] = out.get("bram18", 0) + mem["bram18"]
        return out
