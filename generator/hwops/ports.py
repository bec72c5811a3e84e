"""Stream ports: their names and the geometry of their words.

The names are the ones Vivado/Vitis HLS gives a top function with `ap_ctrl_none` and
hls::stream axis ports, so the RTL library, the generated HLS tops, the stitched modules and
the cocotb testbenches (sim/ imports this module) all agree on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLOCK = "ap_clk"
RESET_N = "ap_rst_n"
# the AXI-stream signals of one port, as suffixes of its name
AXIS_SIGNALS = ("TDATA", "TVALID", "TREADY")


def in_port(i: int = 0) -> str:
    return f"in{i}_V"


def out_port(i: int = 0) -> str:
    return f"out{i}_V"


def tdata_width(bits: int) -> int:
    """TDATA width HLS gives an axis port carrying `bits` bits: whole bytes."""
    return (bits + 7) // 8 * 8


def pack_words(values: np.ndarray, bits: int) -> list[int]:
    """Pack the last axis of `values` into integers, element i at bits [i*bits, (i+1)*bits),
    two's complement: the layout of every bnnforge stream word (TDATA, ap_uint)."""
    v = np.asarray(values, dtype=np.int64)
    flat = v.reshape(-1, v.shape[-1]) & ((1 << bits) - 1)
    # bit j of element i is bit i*bits + j of the word: one little-endian bit row per word,
    # packed to bytes in numpy (a Python loop per element took 20 s of a full-size build)
    bitrows = ((flat[:, :, None] >> np.arange(bits, dtype=np.int64)) & 1).astype(np.uint8).reshape(len(flat), flat.shape[1] * bits)
    packed = np.packbits(bitrows, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


@dataclass(frozen=True)
class Port:
    """One stream port of a hardware op: `elems` elements of `elem_bits` bits per word."""

    name: str
    direction: str  # "in" or "out"
    elems: int
    elem_bits: int
    signed: bool = True

    @property
    def word_bits(self) -> int:
        return self.elems * self.elem_bits

    @property
    def tdata_bits(self) -> int:
        return tdata_width(self.word_bits)

    def pack(self, tensor: np.ndarray) -> list[int]:
        """The words carrying `tensor` (channels last, raster order) on this port."""
        return pack_words(np.asarray(tensor).reshape(-1, self.elems), self.elem_bits)

    def frame_words(self, shape: list[int]) -> int:
        """Words per frame of a tensor of `shape` ([N, ...]) on this port."""
        return max(1, int(np.prod(shape[1:])) // self.elems)
