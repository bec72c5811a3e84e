"""The hardware-op contract: what every bnnforge hardware op answers for itself.

A hardware op is a qonnx CustomOp in the domain `bnnforge.generator.hwops`. Its tensors
hold integer codes (stored as float32, exact below 2**24) in channels-last layout: feature
maps are [N, H, W, C], per-frame vectors [N, C], binary tensors hold bits (1 = +1, 0 = -1).
Stream inputs come first among a node's inputs, then its parameters (initializers: weights,
thresholds, gains) in a fixed order; `*params` below are those parameters' integer codes.

Everything outside an op asks the op and never looks inside (FINN's HWCustomOp is the
model). The abstract methods, which every concrete op must define:

- semantics and cost: `golden(*inputs)`, `fold_params()`, `cycles()`, `latency()`,
  `resources()`;
- `ports()`: every stream port with its folded word geometry (elements per word, element
  bits, signedness); width converters, FIFO sizing, TDATA widths, cocotb and C-simulation
  packing read it;
- `rtl(*params)`: the Verilog module, its files and its typed parameters (integers, literals
  it elaborates into logic, $readmemh memory files);
- `hls(*params)`: the HLS template, its header, one config struct of named constants (the
  template reads `CFG::PE`) and its parameter arrays.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from dataclasses import dataclass, field

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.custom_op.base import CustomOp

from bnnforge.generator.hwops import DOMAIN
from bnnforge.generator.hwops.memory import RAM_STYLES, memory_cost, rom_lut
from bnnforge.generator.hwops.ports import Port, in_port, out_port, pack_words
from bnnforge.quant.errors import BnnforgeError

RESOURCE_KEYS = ("lut", "ff", "bram18", "uram", "dsp")


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def bits_for(lo: int, hi: int) -> int:
    """Bits of the smallest two's-complement (or unsigned, if lo >= 0) type holding lo..hi."""
    if lo >= 0:
        return max(1, int(hi).bit_length())
    return max(int(hi).bit_length(), int(-lo - 1).bit_length()) + 1


def as_int(x: np.ndarray) -> np.ndarray:
    """Integer codes of an execution-context tensor."""
    a = np.asarray(x, dtype=np.float64)
    r = np.rint(a)
    if not np.array_equal(r, a):
        raise BnnforgeError("hardware-op tensors must hold integer codes")
    return r.astype(np.int64)


def param_codes(params: tuple, n: int, op: str) -> tuple[np.ndarray, ...]:
    """An op's `n` parameter tensors (initializers, in input order) as integer codes."""
    if len(params) != n:
        raise BnnforgeError(f"{op}: expected {n} parameter tensors, got {len(params)}")
    return tuple(np.rint(np.asarray(p, dtype=np.float64)).astype(np.int64) for p in params)


def hex_lines(words: list[int], bits: int) -> str:
    """A $readmemh file: one word per line, zero-padded to the word width."""
    digits = max(1, (bits + 3) // 4)
    return "".join(f"{w:0{digits}x}\n" for w in words)


# ---- what rtl() returns ----------------------------------------------------------------
@dataclass(frozen=True)
class Literal:
    """A sized Verilog literal (e.g. 128'h3c...) the module elaborates into logic: the
    constant-weight MVAU's weights must be known at elaboration, a file would be too late."""

    text: str

    @staticmethod
    def of(values: np.ndarray, bits: int) -> Literal:
        """`values` packed `bits` each, element 0 lowest."""
        word = pack_words(np.asarray(values, np.int64).reshape(1, -1), bits)[0]
        return Literal(f"{np.size(values) * bits}'h{word:x}")


# a sliced memory's files are named stem + SLICE_SUFFIX % index (the RTL builds the same names)
SLICE_SUFFIX = "_s%03d.mem"
MAX_SLICES = 1000  # three digits in the RTL's file names


@dataclass(frozen=True)
class MemoryFile:
    """A $readmemh file: `words` of `bits` bits each; the parameter holds its path. With
    `slice_bits`, one file per slice of that many bits (the lowest first), and the parameter
    holds their common stem: synthesis then sees one narrow memory per slice."""

    words: tuple[int, ...]
    bits: int
    slice_bits: int = 0

    @property
    def contents(self) -> str:
        return hex_lines(list(self.words), self.bits)

    def slices(self) -> list[str]:
        """The slice files' contents, lowest bits first."""
        n = -(-self.bits // self.slice_bits)
        if n > MAX_SLICES:
            raise ValueError(f"{n} memory slices, more than the RTL's file names allow ({MAX_SLICES})")
        out = []
        for i in range(n):
            lo = i * self.slice_bits
            width = min(self.slice_bits, self.bits - lo)
            out.append(hex_lines([(w >> lo) & ((1 << width) - 1) for w in self.words], width))
        return out


RTLValue = int | str | Literal | MemoryFile  # str: a Verilog string parameter


@dataclass(frozen=True)
class RTLInstance:
    """One instance of an hw/rtl module: what the stitcher, the testbench and Yosys need."""

    module: str
    files: tuple[str, ...]  # hw/rtl sources, dependencies first
    parameters: dict[str, RTLValue]
    # signals of stream ports the module has but this instance does not use: (signal, a
    # Verilog value for an input | the bit width of an output left open)
    tie_offs: tuple[tuple[str, str | int], ...] = ()


# ---- what hls() returns ----------------------------------------------------------------
@dataclass(frozen=True)
class HLSArray:
    """A constant parameter array passed to the template after the streams: `words`, each
    `bits` wide (generated as 64-bit limbs, hw/hls/bnf_rom.h)."""

    bits: int
    name: str
    words: tuple[int, ...]


@dataclass(frozen=True)
class HLSInstance:
    header: str  # in hw/hls
    function: str  # the template, called as function<config>(streams..., arrays...)
    config: dict[str, int]  # members of the layer's config struct, named as the template reads them
    arrays: tuple[HLSArray, ...] = field(default=())


class HWOp(CustomOp):
    """Base of all bnnforge hardware ops (abstract: see the module docstring)."""

    # said in folding errors about an op whose parallelism is derived, not chosen
    fold_note = ""
    # its stream buffers (frame, line and skip buffers: RAMs, not ROMs) are bnf_ram, placed as
    # ram_style says in the RTL (ram_style_parameter), so UltraRAM can hold them
    ram_style_buffers = False

    def get_nodeattr_types(self) -> dict:
        return {
            # output shape (channels last) and element type, fixed by the lowering
            "out_shape": ("ints", True, []),
            "out_dtype": ("s", True, "INT16"),
            # fractional bits of the output codes (value = code * 2**-out_frac)
            "out_frac": ("i", False, 0),
            # words the FIFO in front of each stream input holds (passes.fifos.SizeFIFOs)
            "in_fifo_depths": ("ints", False, []),
            # where each of those FIFOs' storage goes (passes.memories.place_memories)
            "in_fifo_ram_styles": ("strings", False, []),
            # where large memories go (FINN's name and values); the RTL honours it for the
            # stream buffers of ops with ram_style_buffers (bnf_ram) and the weight ROMs
            "ram_style": ("s", False, "auto", set(RAM_STYLES)),
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
        dt = DataType[self.get_nodeattr("out_dtype")]
        for name, value in zip(self.onnx_node.output, outs):
            if value.size and (value.min() < dt.min() or value.max() > dt.max()):
                raise BnnforgeError(f"{self.onnx_node.name}: output outside {dt.name}")
            context[name] = value.astype(np.float32)

    # ---- the contract -----------------------------------------------------------------
    @abstractmethod
    def golden(self, *inputs: np.ndarray) -> np.ndarray | tuple[np.ndarray, ...]:
        """The integer semantics in numpy (rung 3 of the verification ladder)."""

    @abstractmethod
    def fold_params(self) -> dict[str, list[int]]:
        """Folding parameters of this op and their legal values (empty: not foldable)."""

    @abstractmethod
    def cycles(self) -> int:
        """Initiation interval: clock cycles per frame at one word per cycle."""

    @abstractmethod
    def latency(self) -> int:
        """Cycles from the first input word to the first output word (pipeline fill)."""

    def frame_buffered_inputs(self) -> frozenset[str]:
        """Input ports whose whole frame the op takes in without waiting for its other
        inputs (into a frame buffer of its own): nothing waits in the FIFO in front of them
        (passes.fifos). Empty: every input waits for the others."""
        return frozenset()

    def buffered_frames(self) -> float:
        """Frames the buffer behind frame_buffered_inputs holds (a ring of D words holds
        D / frame words): a word enters only once the word D before it has left, so such an
        input waits in its FIFO while the op's output runs more than this many frames behind
        it."""
        return 1

    def ring_input(self) -> str | None:
        """The input port whose words go into a ring buffer of the op's own that can grow by
        the words that would otherwise wait in the FIFO in front (SizeFIFOs sets its
        `ring_wait_words`); None for ops without one."""
        return None

    def out_burst_words(self) -> int:
        """Words the op emits back to back, faster than the stream's pace, and cannot hold
        back without stalling its input (a pool's completed windows): the FIFO after it holds
        them (passes.fifos). 0: the op's output is paced by its input or its own cycles."""
        return 0

    @abstractmethod
    def resources(self) -> dict[str, float]:
        """LUT / FF / BRAM18 / URAM / DSP estimate of the current folding."""

    @abstractmethod
    def ports(self) -> list[Port]:
        """Every stream port, inputs first, in the order of the node's stream tensors."""

    @abstractmethod
    def rtl(self, *params: np.ndarray) -> RTLInstance:
        """The RTL instance of this op with these parameter codes."""

    @abstractmethod
    def hls(self, *params: np.ndarray) -> HLSInstance:
        """The HLS template call of this op with these parameter codes."""

    # ---- derived from the contract ----------------------------------------------------
    def set_folding(self, values: dict[str, int]) -> None:
        """Set folding parameters; ops whose hardware form follows from the folding record
        it here (`derive_form`), so no consumer decides it again."""
        for k, v in values.items():
            self.set_nodeattr(k, v)
        self.derive_form()

    def derive_form(self) -> None:
        """Record attributes that follow from the folding (none by default)."""

    def folding(self) -> dict[str, int]:
        return {k: self.get_nodeattr(k) for k in self.fold_params()}

    def in_ports(self) -> list[Port]:
        return [p for p in self.ports() if p.direction == "in"]

    def out_ports(self) -> list[Port]:
        return [p for p in self.ports() if p.direction == "out"]

    def in_words(self, *xs: np.ndarray) -> list[int] | dict[str, list[int]]:
        """Stream words of the input tensors (one per input port): a list for one port,
        else {port: words}."""
        ports = self.in_ports()
        if len(xs) != len(ports):
            raise BnnforgeError(f"{self.onnx_node.op_type}: {len(ports)} input streams, got {len(xs)} tensors")
        words = {p.name: p.pack(x) for p, x in zip(ports, xs)}
        return words[ports[0].name] if len(ports) == 1 else words

    def out_words(self, y: np.ndarray | tuple[np.ndarray, ...]) -> list[int] | dict[str, list[int]]:
        """Stream words of the outputs: `y` is golden()'s result (a tuple for several
        outputs) or one tensor every output port carries."""
        ports = self.out_ports()
        ys = y if isinstance(y, tuple) else (y,) * len(ports)
        words = {p.name: p.pack(v) for p, v in zip(ports, ys)}
        return words[ports[0].name] if len(ports) == 1 else words

    def estimate(self) -> dict[str, int]:
        r = dict.fromkeys(RESOURCE_KEYS, 0)
        r.update({k: int(math.ceil(v)) for k, v in self.resources().items()})
        r["cycles"] = int(self.cycles())
        return r

    def memory(self, width: int, depth: int, read: str = "sync") -> dict[str, int]:
        """This op's memory of width x depth, placed as its ram_style says. Every memory the
        cost model counts goes through here, so memory_bits() sees the same memories."""
        if self._memory_log is not None:
            self._memory_log.append(width * depth)
        return memory_cost(width, depth, read, self.get_nodeattr("ram_style"))

    _memory_log: list[int] | None = None

    def ram_style_parameter(self) -> dict[str, str]:
        """{"RAM_STYLE": ram_style} for an RTL module whose stream buffers are bnf_ram, so the
        RTL places them where the cost model counts them; nothing when "auto"."""
        style = self.get_nodeattr("ram_style")
        return {} if style == "auto" else {"RAM_STYLE": style}

    def memory_bits(self) -> dict[str, int]:
        """{"bits": the bits of the memories this op's cost model counts, "floor_bits": the
        least its function needs}, for the report's memory column."""
        self._memory_log = []
        try:
            self.resources()
            bits = sum(self._memory_log)
        finally:
            self._memory_log = None
        return {"bits": bits, "floor_bits": self.memory_floor_bits(bits)}

    def memory_floor_bits(self, bits: int) -> int:
        """The least memory the op's function needs, given the `bits` its memories hold. By
        default the memories hold what the op cannot do without (weights, thresholds,
        parameters, the input words an MVAU reuses across output folds, a window's lines);
        ops that buffer more than their function needs, to keep the stream going, say so."""
        return bits

    def saturate(self, y: np.ndarray) -> np.ndarray:
        dt = DataType[self.get_nodeattr("out_dtype")]
        return np.clip(y, int(dt.min()), int(dt.max()))

    def out_shape(self) -> list[int]:
        return list(self.get_nodeattr("out_shape"))

    def out_bits(self) -> int:
        """Bits of one output element (its out_dtype)."""
        return DataType[self.get_nodeattr("out_dtype")].bitwidth()

    def pixels(self) -> int:
        """Spatial positions per frame of the output (1 for per-frame vectors)."""
        shape = self.out_shape()
        return int(np.prod(shape[1:-1])) if len(shape) > 2 else 1

    def channels(self) -> int:
        return self.out_shape()[-1]

    def layer_name(self) -> str:
        return self.onnx_node.name or self.onnx_node.op_type

    def stream_config(self) -> dict[str, int]:
        """IN_TW / OUT_TW: the TDATA widths of a one-in, one-out op as HLS config members
        (ops with more ports name theirs as their templates do)."""
        (x,), (y,) = self.in_ports(), self.out_ports()
        return {"IN_TW": x.tdata_bits, "OUT_TW": y.tdata_bits}


class ElementwiseOp(HWOp):
    """A per-channel op streaming one channel-parallel word per cycle with PE lanes, codes
    of `in_bits` bits in and out_dtype codes out, on every stream input."""

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "PE": ("i", False, 1), "in_bits": ("i", False, 16)}

    def fold_params(self) -> dict[str, list[int]]:
        return {"PE": divisors(self.channels())}

    def cycles(self) -> int:
        return self.pixels() * self.channels() // self.get_nodeattr("PE")

    def stream_inputs(self) -> int:
        """Stream inputs of the node (the rest are parameters)."""
        return 1

    def ports(self) -> list[Port]:
        pe = self.get_nodeattr("PE")
        ins = [Port(in_port(i), "in", pe, self.get_nodeattr("in_bits")) for i in range(self.stream_inputs())]
        return [*ins, Port(out_port(0), "out", pe, self.out_bits(), self.out_bits() > 1)]

    @abstractmethod
    def lane_cost(self) -> dict[str, float]:
        """Resources of one PE lane."""

    # flip-flops and LUTs outside the lanes (an output valid and its handshake, say)
    control_ff = 0
    control_lut = 0

    def param_bits(self) -> int:
        """Bits of per-channel parameters each lane stores."""
        return 0

    def param_rom_lut(self, bits: int, depth: int) -> int:
        """LUTs of the per-channel parameter table (`bits` a word, one word per channel fold)
        beyond what lane_cost() counts."""
        return rom_lut(bits, depth)

    def resources(self) -> dict[str, float]:
        """PE lanes, their per-channel parameter memory, and the control flip-flops."""
        pe = self.get_nodeattr("PE")
        out = dict.fromkeys(RESOURCE_KEYS, 0)
        for k, v in self.lane_cost().items():
            out[k] += v * pe
        bits, depth = self.param_bits() * pe, self.channels() // pe
        mem = self.memory(bits, depth)
        if not mem["bram18"] and not mem["uram"]:  # in LUTs: a constant table, merged into the lanes
            mem = {**mem, "lut": self.param_rom_lut(bits, depth)}
        for k, v in mem.items():
            out[k] += v
        out["ff"] += self.control_ff
        out["lut"] += self.control_lut
        return out
