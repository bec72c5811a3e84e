"""The FINN HW layer of a bnnforge op: HWCustomOp's abstract methods answered by the op.

`layer_class(Op)` is `class Bnf<Op>(HWLayer, Op, HWCustomOp)`. Python's MRO puts this mixin
first, our op class next and FINN's base last, so:

- golden model, ports, cost model, shape and datatype inference stay the op's own (HWOp);
- FINN's questions are answered from the op contract, never re-derived: stream widths and
  folded shapes from `ports()` (elements per word x element bits), expected cycles from
  `cycles()`, LUT/BRAM18/URAM/DSP from `estimate()`;
- what the op cannot know without the graph (the shapes and datatypes of its inputs) is
  recorded on the node once, by graph.to_finn_hw, as `bnf_in_shapes` / `bnf_in_dtypes`.

Stream inputs come first among a node's inputs, parameters (initializers) after them; FINN
reads a stream width of 0 as "not a stream", which is what parameter inputs report.
"""

from __future__ import annotations

import math

from qonnx.core.datatype import BaseDataType, DataType

from bnnforge.generator.hwops.ports import Port
from bnnforge.quant.errors import BnnforgeError

IN_SHAPES, IN_DTYPES = "bnf_in_shapes", "bnf_in_dtypes"


def encode_shapes(shapes: list[list[int]]) -> str:
    """`bnf_in_shapes`: "1,8,8,16;1,16" (qonnx attributes have no list of int lists)."""
    return ";".join(",".join(str(int(d)) for d in s) for s in shapes)


def decode_shapes(text: str) -> list[list[int]]:
    return [[int(d) for d in s.split(",") if d] for s in text.split(";")] if text else []


def port_datatype(port: Port) -> BaseDataType:
    """The FINN datatype of a port's elements: what the stream carries."""
    if port.elem_bits == 1:
        return DataType["BINARY"]
    return DataType[f"{'INT' if port.signed else 'UINT'}{port.elem_bits}"]


def fold_shape(shape: list[int], elems: int) -> list[int]:
    """FINN's folded shape: [..., words per vector, elements per word] (the product of all
    but the last dimension is the number of stream words)."""
    shape = [int(d) for d in shape]
    if shape[-1] % elems == 0:
        return [*shape[:-1], shape[-1] // elems, elems]
    total = math.prod(shape)
    if total % (elems * shape[0]):
        raise BnnforgeError(f"a tensor of shape {shape} is not a whole number of {elems}-element words")
    return [shape[0], total // (elems * shape[0]), elems]


class HWLayer:
    """Mixin: HWCustomOp's interface in terms of the bnnforge op contract (see the module
    docstring). Concrete classes come from `layer_class`."""

    bnf_op_class: type  # the bnnforge op class this layer wraps

    def get_nodeattr_types(self) -> dict:
        from finn.custom_op.fpgadataflow.hwcustomop import HWCustomOp

        return {**HWCustomOp.get_nodeattr_types(self), **self.bnf_op_class.get_nodeattr_types(self),
                IN_SHAPES: ("s", False, ""), IN_DTYPES: ("strings", False, [])}

    # ---- shapes and streams -------------------------------------------------------------
    def _in_shapes(self) -> list[list[int]]:
        shapes = decode_shapes(self.get_nodeattr(IN_SHAPES))
        if len(shapes) != len(self.onnx_node.input):
            raise BnnforgeError(f"{self.onnx_node.name}: {IN_SHAPES} is not set for every input "
                                "(bnnforge.generator.finn_hw.graph.to_finn_hw records it)")
        return shapes

    def _in_port(self, ind: int) -> Port | None:
        ports = self.in_ports()
        return ports[ind] if ind < len(ports) else None

    def get_normal_input_shape(self, ind: int = 0) -> list[int]:
        return self._in_shapes()[ind]

    def get_normal_output_shape(self, ind: int = 0) -> list[int]:
        return self.out_shape()  # every output of an op has its out_shape (Duplicate: copies)

    def get_folded_input_shape(self, ind: int = 0) -> list[int]:
        port = self._in_port(ind)
        shape = self.get_normal_input_shape(ind)
        return fold_shape(shape, port.elems) if port else shape

    def get_folded_output_shape(self, ind: int = 0) -> list[int]:
        return fold_shape(self.out_shape(), self.out_ports()[ind].elems)

    def get_instream_width(self, ind: int = 0) -> int:
        port = self._in_port(ind)
        return port.word_bits if port else 0  # parameters are no stream

    def get_outstream_width(self, ind: int = 0) -> int:
        return self.out_ports()[ind].word_bits

    def get_input_datatype(self, ind: int = 0) -> BaseDataType:
        """The graph's datatype of the input when its width is the port's element width
        (it says how to read the bits: a port's `signed` is only its default), else one of
        the port's width."""
        port = self._in_port(ind)
        names = list(self.get_nodeattr(IN_DTYPES))
        recorded = DataType[names[ind]] if ind < len(names) and names[ind] else None
        if port is None:
            if recorded is None:
                raise BnnforgeError(f"{self.onnx_node.name}: no datatype recorded for input {ind}")
            return recorded
        if recorded is not None and recorded.bitwidth() == port.elem_bits:
            return recorded
        return port_datatype(port)

    def get_output_datatype(self, ind: int = 0) -> BaseDataType:
        port = self.out_ports()[ind]
        dt = DataType[self.get_nodeattr("out_dtype")]
        return dt if dt.bitwidth() == port.elem_bits else port_datatype(port)

    # ---- FINN's estimate hooks: the op's cost model ---------------------------------------
    def get_exp_cycles(self) -> int:
        return int(self.cycles())

    def lut_estimation(self, fpgapart: str = "") -> int:
        return self.estimate()["lut"]

    def bram_estimation(self, fpgapart: str = "") -> int:
        return self.estimate()["bram18"]

    def uram_estimation(self, fpgapart: str = "") -> int:
        return self.estimate()["uram"]

    def dsp_estimation(self, fpgapart: str = "") -> int:
        return self.estimate()["dsp"]

    # ---- execution --------------------------------------------------------------------
    def execute_node(self, context: dict, graph) -> None:  # noqa: ANN001
        """Python mode (exec_mode "", as for FINN's own layers before specialization; also
        cppsim of an RTL node, as FINN does for its RTL layers): the op's golden model. The
        backends handle cppsim of HLS nodes and rtlsim."""
        mode = self.get_nodeattr("exec_mode")
        if mode not in ("", "cppsim"):
            raise BnnforgeError(f"{self.onnx_node.name}: exec_mode {mode!r} needs a simulator backend")
        self.bnf_op_class.execute_node(self, context, graph)


def layer_class(op_cls: type, name: str) -> type:
    """class <name>(HWLayer, op_cls, HWCustomOp): the FINN HW layer of a bnnforge op."""
    from finn.custom_op.fpgadataflow.hwcustomop import HWCustomOp

    return type(name, (HWLayer, op_cls, HWCustomOp), {
        "bnf_op_class": op_cls, "__module__": __name__,
        "__doc__": f"FINN HW layer of bnnforge's {op_cls.__name__} (generator/finn_hw/layer.py).\n\n{op_cls.__doc__ or ''}"})
