"""The hls4ml layer classes of the bnnforge extension (hls4ml.model.layers.register_layer).

One hls4ml layer per bnnforge hardware op (class `Bnf<OpType>`, e.g. BnfBinaryMVAU), plus
BnfStreamIn / BnfStreamOut at the two ends, which convert between hls4ml's
hls::stream<nnet::array<T, N> > (what the top function, test bench and Python bridge of an
hls4ml project speak) and bnnforge's folded hls::stream<ap_uint<TW> > words.

Everything a layer needs comes from the op contract, read by mapping.py and handed over as
attributes: the template (`bnf_header`, `bnf_function`), the config struct members
(`bnf_config`, the dict the op's hls() returns), its parameter arrays (`bnf_arrays`) and its
output streams (`bnf_outputs`: TDATA bits, words per frame, FIFO depth). Nothing here
knows any op.

The stream and weight variables are created already in their Vivado form, because
hls4ml's own conversion (vivado:transform_types) would wrap every stream word in an
nnet::array, which the bnf_*.h templates do not take; transform_types leaves converted
variables alone.
"""

from __future__ import annotations

import numpy as np
from hls4ml.backends.fpga.fpga_types import APTypeConverter, HLSTypeConverter, StaticWeightVariableDefinition
from hls4ml.backends.vivado.vivado_types import VivadoStreamVariableDefinition
from hls4ml.model.layers import Layer, register_layer
from hls4ml.model.types import IntegerPrecisionType, TensorVariable, WeightVariable

from bnnforge.generator.emit.hls import limb_count, limb_row

_TYPES = HLSTypeConverter(precision_converter=APTypeConverter())

# hls4ml layer class name -> class, filled by layer_class()
LAYER_CLASSES: dict[str, type] = {}


class BnfStream(TensorVariable, VivadoStreamVariableDefinition):
    """hls::stream<ap_uint<TW> > with the FIFO depth bnnforge sized for it (SizeFIFOs)."""

    def __init__(self, words: int, var_name: str, type_name: str, bits: int, depth: int) -> None:
        # shape: words per frame, one packed word each (hls4ml only reads it for tracing)
        super().__init__([words, 1], var_name=var_name, type_name=type_name,
                         precision=IntegerPrecisionType(width=bits, signed=False))
        self.type = _TYPES.convert(self.type)  # typedef ap_uint<TW> <type_name>;
        self.pragma = ("stream", depth)


class BnfWords(WeightVariable, StaticWeightVariableDefinition):
    """A parameter array of a bnf template: words of any width, written as rows of 64-bit
    limbs as the templates take them (emit.hls.limb_row; hw/hls/bnf_rom.h says why), so words
    wider than 64 bits are exact (numpy cannot hold them, and hls4ml's own weight formats go
    through float)."""

    def __init__(self, var_name: str, type_name: str, bits: int, words: tuple[int, ...]) -> None:
        super().__init__(var_name, type_name, IntegerPrecisionType(width=bits, signed=False),
                         np.zeros(len(words)))
        self.words = tuple(int(w) for w in words)
        self.bits = bits
        self.type = _TYPES.convert(self.type)
        self.weight_class = "BnfWords"
        self.storage = "register"
        # the writer prints min/max as floats in a header comment
        self.min = float(min(self.words)) if max(self.words).bit_length() < 1000 else float("inf")
        self.max = float(max(self.words)) if max(self.words).bit_length() < 1000 else float("inf")
        self.nzeros = sum(1 for w in self.words if w == 0)

    def __iter__(self):  # noqa: ANN204
        self._iterator = iter(self.words)
        return self

    def __next__(self) -> str:
        return limb_row(next(self._iterator), self.bits)

    def definition_cpp(self, name_suffix: str = "", as_reference: bool = False) -> str:
        return f"unsigned long long {self.name}[{len(self.words)}][{limb_count(self.bits)}]"

    next = __next__


class BnfLayer(Layer):
    """Base of the extension layers: streams in, streams out, one bnf template call."""

    def initialize(self) -> None:
        outs = self.get_attr("bnf_outputs")
        if len(outs) != len(self.outputs):
            raise ValueError(f"{self.name}: {len(self.outputs)} outputs named, {len(outs)} output streams")
        for k, (out_name, (bits, words, depth)) in enumerate(zip(self.outputs, outs)):
            suffix = "" if len(outs) == 1 else f"_{k}"
            var = BnfStream(words, f"layer{self.index}_out{suffix}", f"layer{self.index}{suffix}_t", bits, depth)
            self.set_attr(out_name, var)
            # every output's type must be a NamedType attribute of its own to reach defines.h
            # (the attribute dict keeps only the last one as result_t)
            self.set_attr(f"out{k}_t", var.type)
        for name, bits, words in self.get_attr("bnf_arrays", ()):
            self.set_attr(name, BnfWords(f"{name}{self.index}", f"{name}{self.index}_t", bits, words))


class BnfStreamIn(BnfLayer):
    """hls4ml's input stream (nnet::array per pixel) -> the first op's packed words."""


class BnfStreamOut(Layer):
    """The last op's packed words -> hls4ml's output stream (nnet::array per pixel/vector)."""

    def initialize(self) -> None:
        shape = self.get_attr("out_shape")
        precision = self.model.config.backend.convert_precision_string(self.get_attr("out_precision"))
        self.add_output_variable(shape, var_name=f"layer{self.index}_out", type_name=f"layer{self.index}_t",
                                 precision=precision)


def layer_class(name: str) -> type:
    """The registered hls4ml layer class `name` (created and registered once)."""
    if name not in LAYER_CLASSES:
        base = {"BnfStreamIn": BnfStreamIn, "BnfStreamOut": BnfStreamOut}.get(name)
        cls = base if base is not None else type(name, (BnfLayer,), {
            "__doc__": f"bnnforge hardware op {name[3:]} as an hls4ml layer (its bnf template)."})
        register_layer(name, cls)
        LAYER_CLASSES[name] = cls
    return LAYER_CLASSES[name]


def op_layer_name(op_type: str) -> str:
    return f"Bnf{op_type}"


__all__ = ["BnfLayer", "BnfStream", "BnfStreamIn", "BnfStreamOut", "BnfWords", "LAYER_CLASSES", "layer_class",
           "op_layer_name"]
