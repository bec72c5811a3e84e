"""Binarization of the fixed-point stream: static (RSign) and dynamic (BCDNet-B) thresholds."""

from __future__ import annotations

import numpy as np

from bnnforge.generator.hwops.base import (ElementwiseOp, HLSArray, HLSInstance, MemoryFile, RTLInstance, bits_for,
                                           param_codes)
from bnnforge.generator.hwops.memory import buffer_words, clog2
from bnnforge.generator.hwops.ports import Port, in_port, out_port, pack_words


class Thresholding(ElementwiseOp):
    """bit = x >= t per channel (RSign after FINN streamlining absorbed its bias).

    Inputs: x codes, initializer t [C] integer thresholds on x's grid.
    """

    def golden(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        return (x >= t).astype(np.int64)

    def lane_cost(self) -> dict[str, float]:
        # the compare; the threshold table is ElementwiseOp's (rom_lut). Flip-flops: the output
        # bit, and about half the threshold's bits once it varies (Yosys registers the table
        # read with the channel counter): synth_xilinx -flatten, 16-bit codes, LUT / FF (this
        # model): PE 1, 32 channels 30 / 15 (25 / 15); PE 2, 16 channels 46 / 22 (47 / 22);
        # PE 3, 24 channels 62 / 31 (70 / 31)
        # (from 8 channels a lane on; PE 8 with 4 channels a lane: 25 FF, this model 27)
        cf = self.channels() // self.get_nodeattr("PE")
        table_ff = self.get_nodeattr("in_bits") // 2 if cf >= 8 else 2 if cf > 1 else 0
        return {"lut": self.get_nodeattr("in_bits") // 2 + 1, "ff": 1 + table_ff}

    @property
    def control_ff(self) -> int:  # output valid, channel-fold counter
        return 1 + clog2(self.channels() // self.get_nodeattr("PE"))

    def param_bits(self) -> int:
        return self.get_nodeattr("in_bits")

    def latency(self) -> int:
        return 1  # one register slice

    # ---- RTL and HLS emitters (bnf_thresholding.v / .h) ------------------------------
    def _threshold_words(self, params: tuple) -> list[int]:
        (t,) = param_codes(params, 1, self.layer_name())
        ib, pe = self.get_nodeattr("in_bits"), self.get_nodeattr("PE")
        # a threshold beyond the input range behaves like the range's end + 1 or its start
        t = np.clip(t, -(1 << (ib - 1)), 1 << (ib - 1))
        return pack_words(t.reshape(-1, pe), ib + 1)

    def rtl(self, *params: np.ndarray) -> RTLInstance:
        pe, ib = self.get_nodeattr("PE"), self.get_nodeattr("in_bits")
        return RTLInstance("bnf_thresholding", ("bnf_thresholding.v",), {
            "C": self.channels(), "PE": pe, "IN_W": ib,
            "THRESH_FILE": MemoryFile(tuple(self._threshold_words(params)), pe * (ib + 1))})

    def hls(self, *params: np.ndarray) -> HLSInstance:
        pe, ib = self.get_nodeattr("PE"), self.get_nodeattr("in_bits")
        config = {"C": self.channels(), "PE": pe, "IN_W": ib, "PIXELS": self.pixels(), **self.stream_config()}
        return HLSInstance("bnf_thresholding.h", "bnf_thresholding", config,
                           (HLSArray(pe * (ib + 1), "thresholds", tuple(self._threshold_words(params))),))


class DynamicSign(ElementwiseOp):
    """BCDNet-B's input-dependent binarization: bit = x - v >= t per channel.

    Inputs: x [N, H, W, C] codes on 2**-x_frac (`in_bits` wide) on in0_V, v [N, C] per-frame
    thresholds from the context maps on 2**-v_frac (`v_bits` wide, 0: `in_bits`) on in1_V,
    C/PE words per frame, initializer t [C] static thresholds on the common grid
    2**-f, f = max(x_frac, v_frac): bit = (x << (f - x_frac)) - (v << (f - v_frac)) >= t.

    v depends on the global average of this very frame, computed by other ops from a copy of
    the same stream, so the unit takes in the whole frame of x without waiting for v (else the
    graph deadlocks) into a ring of one frame and the next frame's words that come in while v is
    on its way (ring_words; SizeFIFOs measures those words), whose slots frame n+1 refills as
    frame n, once its v has arrived, streams out. Latency: the whole frame, whose first word is
    read in the cycle its last comes in, then the output register: H*W*C/PE + 1 cycles from the
    first x word to the first output word when v is there in time (later, the unit waits for
    it); frames stream at one word per cycle, H*W*C/PE cycles each.
    """

    ram_style_buffers = True

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "x_frac": ("i", False, 8), "v_frac": ("i", False, 8),
                "v_bits": ("i", False, 0),
                # x words that wait for v beyond one frame (SizeFIFOs): the ring holds them
                "ring_wait_words": ("i", False, 0)}

    def golden(self, x: np.ndarray, v: np.ndarray, t: np.ndarray) -> np.ndarray:
        fx, fv = self.get_nodeattr("x_frac"), self.get_nodeattr("v_frac")
        f = max(fx, fv)
        v = v.reshape(v.shape[0], *([1] * (x.ndim - 2)), v.shape[-1])
        return (((x << (f - fx)) - (v << (f - fv))) >= t).astype(np.int64)

    def v_bits(self) -> int:
        return self.get_nodeattr("v_bits") or self.get_nodeattr("in_bits")

    def shifts(self) -> tuple[int, int]:
        """Left shifts of x and v onto the common grid."""
        fx, fv = self.get_nodeattr("x_frac"), self.get_nodeattr("v_frac")
        return max(fx, fv) - fx, max(fx, fv) - fv

    def diff_bits(self) -> int:
        """Width holding every x' - v' (the RTL's DW); thresholds take one bit more."""
        sx, sv = self.shifts()
        return max(self.get_nodeattr("in_bits") + sx, self.v_bits() + sv) + 1

    def ports(self) -> list[Port]:
        pe = self.get_nodeattr("PE")
        return [Port(in_port(0), "in", pe, self.get_nodeattr("in_bits")), Port(in_port(1), "in", pe, self.v_bits()),
                Port(out_port(0), "out", pe, 1, False)]

    def frame_words(self) -> int:
        return self.pixels() * self.channels() // self.get_nodeattr("PE")

    def latency(self) -> int:
        # the whole frame; its first word is read in the cycle the last one comes in (after
        # it, for a one-word frame), then the output register
        return self.frame_words() + (1 if self.frame_words() > 1 else 2)

    def frame_buffered_inputs(self) -> frozenset[str]:
        # x fills the frame ring while v (computed from this very frame) is on its way
        return frozenset({in_port(0)})

    def ring_words(self) -> int:
        """Depth of the RTL's x frame ring (D): one frame (two slots when a frame is one word)
        and room for the words of the next frame that come in while v is on its way
        (ring_wait_words, with memory.buffer_words' margin)."""
        wait = self.get_nodeattr("ring_wait_words")
        return max(2, self.frame_words()) + (buffer_words(wait) if wait else 0)

    def buffered_frames(self) -> float:
        return self.ring_words() / self.frame_words()

    def ring_input(self) -> str | None:
        return in_port(0)

    # Yosys xc7, [1,8,8,64] PE8 16-bit, one-frame ring: 421 LUT, 252 FF, 4 BRAM18; this model:
    # 494, 312, 4.
    def lane_cost(self) -> dict[str, float]:
        # subtractor and comparator; x and v read registers and the output bit (the threshold
        # read folds into its ROM's LUTs)
        dw = self.diff_bits()
        return {"lut": dw + (dw + 2) // 2, "ff": self.get_nodeattr("in_bits") + self.v_bits() + 1}

    def param_bits(self) -> int:
        return self.diff_bits() + 1  # the static thresholds

    def resources(self) -> dict[str, float]:
        out = super().resources()
        pe, cf = self.get_nodeattr("PE"), self.channels() // self.get_nodeattr("PE")
        addr = bits_for(0, self.ring_words())
        out["lut"] += 2 * addr + 8  # ring pointers, fill count, frame and v flags
        out["ff"] += 3 * addr + 2 * bits_for(0, 2 * cf) + 8
        for width, depth in ((pe * self.get_nodeattr("in_bits"), self.ring_words()), (pe * self.v_bits(), 2 * cf)):
            mem = self.memory(width, depth)  # frame buffer, v double buffer
            for k in ("lut", "bram18", "uram"):
                out[k] += mem[k]
        return out

    def memory_floor_bits(self, bits: int) -> int:
        # v is known only after the whole frame: one frame of x, the next frame's words that
        # come in meanwhile and one v must be held (the second v bank lets the next frame's v
        # arrive while this frame streams out; the ring's margin is not needed)
        pe, wait = self.get_nodeattr("PE"), self.get_nodeattr("ring_wait_words")
        return (self.frame_words() + wait) * pe * self.get_nodeattr("in_bits") + self.channels() * self.v_bits()

    # ---- RTL and HLS emitters (bnf_dynamic_sign.v / .h) ------------------------------
    def _threshold_words(self, params: tuple) -> list[int]:
        (t,) = param_codes(params, 1, self.layer_name())
        dw, pe = self.diff_bits(), self.get_nodeattr("PE")
        # x' - v' lies in [-2**(dw-1), 2**(dw-1)): a threshold beyond acts like these ends
        t = np.clip(t, -(1 << (dw - 1)), 1 << (dw - 1))
        return pack_words(t.reshape(-1, pe), dw + 1)

    def _parameters(self) -> dict[str, int]:
        sx, sv = self.shifts()
        return {"C": self.channels(), "PE": self.get_nodeattr("PE"), "P": self.pixels(),
                "X_W": self.get_nodeattr("in_bits"), "V_W": self.v_bits(), "SX": sx, "SV": sv, "RING": self.ring_words()}

    def rtl(self, *params: np.ndarray) -> RTLInstance:
        words = MemoryFile(tuple(self._threshold_words(params)), self.get_nodeattr("PE") * (self.diff_bits() + 1))
        return RTLInstance("bnf_dynamic_sign", ("bnf_ram.v", "bnf_dynamic_sign.v"),
                           {**self._parameters(), "THRESH_FILE": words, **self.ram_style_parameter()})

    def hls(self, *params: np.ndarray) -> HLSInstance:
        p = self._parameters()
        (x, v), (out,) = self.in_ports(), self.out_ports()
        config = {"C": p["C"], "PE": p["PE"], "PIXELS": p["P"], **{k: p[k] for k in ("X_W", "V_W", "SX", "SV", "RING")},
                  "X_TW": x.tdata_bits, "V_TW": v.tdata_bits, "OUT_TW": out.tdata_bits}
        return HLSInstance("bnf_dynamic_sign.h", "bnf_dynamic_sign", config, (
            HLSArray(p['PE'] * (self.diff_bits() + 1), "thresholds", tuple(self._threshold_words(params))),))
