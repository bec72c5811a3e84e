"""Lowering: FINN's streamlined graph -> the bnnforge dataflow graph of hardware ops.

Each streamlined node (or short chain: Conv -> Mul -> ..., MatMul -> Mul -> BiasRequantize,
Add -> Quant, Sub -> MultiThreshold) becomes hardware ops from `hwops`, with tensors turned
into integer codes in channels-last layout. The lowering tracks each tensor's grid
(value = code * 2**-frac), so scalar power-of-two Mul nodes vanish into that bookkeeping.
A node with no rule is an error naming it and listing what is supported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.general import GiveUniqueNodeNames, SortGraph
from qonnx.util.basic import get_by_name

from bnnforge.generator.hwops import DOMAIN
from bnnforge.generator.hwops.base import bits_for
from bnnforge.generator.passes.linear_qonnx import IndexedModel, linear_qonnx
from bnnforge.quant.errors import BnnforgeError
from bnnforge.quant.fixed_point import exact_int

OUTPUT_FRAC_KEY = "bnnforge_output_frac"
LAYOUT_KEY = "bnnforge_layout"


@dataclass(frozen=True)
class HwTensor:
    name: str
    shape: tuple[int, ...]   # channels last: [N, H, W, C] or [N, C]
    frac: int                # value = code * 2**-frac
    dtype: str               # qonnx DataType name of the codes
    offset: tuple = ()       # deferred constant added to a per-frame vector (dynamic thresholds)

    @property
    def bits(self) -> int:
        return DataType[self.dtype].bitwidth()

    @property
    def is_vector(self) -> bool:
        return len(self.shape) == 2


class _Lowering:
    def __init__(self, src: ModelWrapper, batch: int) -> None:
        # read-only from here on: lookups through dictionaries
        self.src = IndexedModel(src.transform(SortGraph()), ("init", "vi", "qa", "nodes"))
        self.batch = batch
        self.nodes: list = []
        self.inits: dict[str, np.ndarray] = {}
        self.tensors: dict[str, HwTensor] = {}    # source tensor name -> hardware tensor
        self.values: dict[str, HwTensor] = {}     # hardware tensor name -> tensor
        self.done: set[str] = set()               # source nodes folded into an earlier rule
        self._n = 0

    # ---- helpers ----------------------------------------------------------------------
    def fail(self, node, why: str) -> BnnforgeError:  # noqa: ANN001
        return BnnforgeError(f"cannot map layer {node.name!r} ({node.op_type}) to hardware: {why}. "
                             f"Supported: {supported_ops()}")

    def init(self, name: str) -> np.ndarray | None:
        return self.src.get_initializer(name)

    def consumers(self, tensor: str) -> list:
        return self.src.find_consumers(tensor)

    def only_consumer(self, tensor: str, op_type: str):  # noqa: ANN201
        cons = self.consumers(tensor)
        if len(cons) == 1 and cons[0].op_type == op_type:
            return cons[0]
        return None

    def new_tensor(self, shape, frac: int, dtype: str, prefix: str = "t") -> HwTensor:  # noqa: ANN001
        self._n += 1
        t = HwTensor(f"{prefix}{self._n}", tuple(int(s) for s in shape), int(frac), dtype)
        self.values[t.name] = t
        return t

    def const(self, value: np.ndarray, prefix: str = "p") -> str:
        self._n += 1
        name = f"{prefix}{self._n}"
        self.inits[name] = np.asarray(value, dtype=np.int64)
        return name

    def emit(self, op: str, inputs: list[str], out: HwTensor | list[HwTensor], **attrs) -> None:  # noqa: ANN003
        outs = out if isinstance(out, list) else [out]
        attrs.setdefault("out_shape", list(outs[0].shape))
        attrs.setdefault("out_dtype", outs[0].dtype)
        attrs.setdefault("out_frac", outs[0].frac)
        self.nodes.append(helper.make_node(op, inputs, [o.name for o in outs], domain=DOMAIN, **attrs))

    def get(self, name: str, node) -> HwTensor:  # noqa: ANN001
        if name not in self.tensors:
            raise self.fail(node, f"input {name!r} comes from a layer that was not mapped")
        return self.tensors[name]

    # ---- driver ---------------------------------------------------------------------
    def run(self) -> ModelWrapper:
        src_in = self.src.graph.input[0]
        c, h, w = self.src.get_tensor_shape(src_in.name)[1:]
        x = HwTensor("global_in", (self.batch, h, w, c), 0, "UINT8")
        self.values[x.name] = x
        self.tensors[src_in.name] = x
        for node in self.src.graph.node:
            if node.name in self.done:
                continue
            rule = RULES.get(node.op_type)
            if rule is None:
                raise self.fail(node, "no hardware op implements it")
            rule(self, node)
        out_src = self.src.graph.output[0].name
        return self.build(x, self.get(out_src, self.src.find_producer(out_src)))

    def build(self, x: HwTensor, y: HwTensor) -> ModelWrapper:
        self.insert_duplicates(y.name)
        vi = [helper.make_tensor_value_info(t.name, TensorProto.FLOAT, list(t.shape))
              for t in self.values.values() if t.name not in (x.name, y.name)]
        graph = helper.make_graph(
            self.nodes, "bnnforge_dataflow",
            [helper.make_tensor_value_info(x.name, TensorProto.FLOAT, list(x.shape))],
            [helper.make_tensor_value_info(y.name, TensorProto.FLOAT, list(y.shape))],
            initializer=[numpy_helper.from_array(v, k) for k, v in self.inits.items()],
            value_info=vi,
        )
        model = ModelWrapper(helper.make_model(graph, producer_name="bnnforge"))
        annotate = IndexedModel(model, ("qa",))
        for t in self.values.values():
            annotate.set_tensor_datatype(t.name, DataType[t.dtype])
        model.set_metadata_prop(OUTPUT_FRAC_KEY, str(y.frac))
        model.set_metadata_prop(LAYOUT_KEY, "NHWC")
        return model.transform(GiveUniqueNodeNames())

    def insert_duplicates(self, graph_output: str) -> None:
        """A stream read by several ops gets an explicit Duplicate (one FIFO per reader)."""
        readers: dict[str, list[tuple[int, int]]] = {}
        for ni, n in enumerate(self.nodes):
            for ii, name in enumerate(n.input):
                if name in self.values:
                    readers.setdefault(name, []).append((ni, ii))
        extra = []
        for name, uses in readers.items():
            count = len(uses) + (name == graph_output)
            if count < 2:
                continue
            src = self.values[name]
            outs = [self.new_tensor(src.shape, src.frac, src.dtype) for _ in uses]
            for (ni, ii), o in zip(uses, outs):
                self.nodes[ni].input[ii] = o.name
            extra.append((name, helper.make_node(
                "Duplicate", [name], [o.name for o in outs], domain=DOMAIN, out_shape=list(src.shape),
                out_dtype=src.dtype, out_frac=src.frac, elem_bits=src.bits)))
        for name, dup in extra:  # right after the producer keeps the node list topological
            pos = next((i + 1 for i, n in enumerate(self.nodes) if name in n.output), 0)
            self.nodes.insert(pos, dup)


# ---- rules: one per streamlined op type ---------------------------------------------

def _scalar(low: _Lowering, node, i: int) -> float:  # noqa: ANN001
    v = low.init(node.input[i])
    if v is None or v.size != 1:
        raise low.fail(node, f"input {i} must be a constant scalar")
    return float(v.reshape(()))


def _po2_exponent(low: _Lowering, node, value: float) -> int:  # noqa: ANN001
    e = -math.log2(value) if value > 0 else float("nan")
    if not (e == int(e) and e >= 0):
        raise low.fail(node, f"scale {value} is not 2**-k")
    return int(e)


def rule_quant(low: _Lowering, node) -> None:  # noqa: ANN001
    x = low.get(node.input[0], node)
    scale, zero, bits = (_scalar(low, node, i) for i in (1, 2, 3))
    signed = get_by_name(node.attribute, "signed").i
    narrow = get_by_name(node.attribute, "narrow").i
    if zero != 0 or narrow:
        raise low.fail(node, "only zero-point 0, non-narrow quantizers are supported")
    f = _po2_exponent(low, node, scale)
    if x.name == "global_in":  # the uint8 image quantizer is the identity on pixel codes
        if (f, bits, signed) != (0, 8, 0):
            raise low.fail(node, "the input quantizer must be unsigned 8-bit with scale 1")
        low.tensors[node.output[0]] = x
        return
    if not signed:
        raise low.fail(node, "unsigned requantization inside the network")
    y = low.new_tensor(x.shape, f, f"INT{int(bits)}")
    low.emit("Requantize", [x.name], y, in_frac=x.frac, in_bits=x.bits)
    low.tensors[node.output[0]] = y


def rule_mul(low: _Lowering, node) -> None:  # noqa: ANN001
    # a scalar 2**-k scale only moves the grid: same codes, k more fractional bits
    x = low.get(node.input[0], node)
    k = _po2_exponent(low, node, _scalar(low, node, 1))
    low.tensors[node.output[0]] = replace(x, frac=x.frac + k)


def rule_reshape(low: _Lowering, node) -> None:  # noqa: ANN001
    x = low.get(node.input[0], node)
    if not x.is_vector:
        raise low.fail(node, "reshapes are supported on per-frame vectors only")
    low.tensors[node.output[0]] = x


def _conv_geometry(low: _Lowering, node) -> tuple[int, int, int, int]:  # noqa: ANN001
    k = list(get_by_name(node.attribute, "kernel_shape").ints)
    s = list(get_by_name(node.attribute, "strides").ints)
    p = list(get_by_name(node.attribute, "pads").ints)
    d = get_by_name(node.attribute, "dilations")
    g = get_by_name(node.attribute, "group")
    if k[0] != k[1] or s[0] != s[1] or len(set(p)) != 1 or (d is not None and set(d.ints) != {1}):
        raise low.fail(node, f"only square kernels, equal strides and pads, no dilation (kernel {k}, "
                             f"strides {s}, pads {p})")
    return k[0], s[0], p[0], (g.i if g is not None else 1)


def rule_conv(low: _Lowering, node) -> None:  # noqa: ANN001
    x = low.get(node.input[0], node)
    w = low.init(node.input[1])
    if w is None or len(node.input) > 2:
        raise low.fail(node, "weights must be constant and the bias separate")
    k, s, p, g = _conv_geometry(low, node)
    n, h, wd, c = x.shape
    cout = w.shape[0]
    oh, ow = (h + 2 * p - k) // s + 1, (wd + 2 * p - k) // s + 1
    binary = x.dtype == "BINARY"
    ebits = 1 if binary else x.bits
    src = x
    if k > 1 or s > 1 or p > 0:
        win = low.new_tensor((n, oh, ow, k * k * c), x.frac, x.dtype)
        low.emit("SlidingWindow", [x.name], win, ifm_dim=[h, wd], channels=c, kernel=k, stride=s, pad=p,
                 pad_value=0, elem_bits=ebits)
        src = win
    # (o, c, ky, kx) -> (o, ky, kx, c): the window's element order
    wt = np.transpose(w, (0, 2, 3, 1)).reshape(cout, -1)
    mw = wt.shape[1]
    if binary:
        if not set(np.unique(wt)) <= {-1.0, 1.0}:
            raise low.fail(node, "binary input needs +-1 weights")
        y = low.new_tensor((n, oh, ow, cout), 0, f"INT{bits_for(-mw, mw)}")
        low.emit("BinaryMVAU", [src.name, low.const((wt > 0).astype(np.int64))], y, MW=mw, MH=cout, groups=g,
                 kernel=k, stride=s, pad=p, ifm_dim=[h, wd])
    else:
        if g != 1:
            raise low.fail(node, "grouped convolutions need binary inputs")
        wi = _int_weights(low, node, wt)
        y = low.new_tensor((n, oh, ow, cout), x.frac, _acc_dtype(x, wi))
        low.emit("IntMVAU", [src.name, low.const(wi)], y, MW=mw, MH=cout, in_bits=x.bits, in_signed=_signed(x),
                 w_bits=_weight_bits(wi), acc_frac=x.frac, mode="acc", po2_weights=_is_po2(wi))
    low.tensors[node.output[0]] = y


def _int_weights(low: _Lowering, node, w: np.ndarray) -> np.ndarray:  # noqa: ANN001
    if not np.array_equal(np.rint(w), w):
        raise low.fail(node, "weights are not integers after FINN folded their scale")
    return np.rint(w).astype(np.int64)


def _weight_bits(w: np.ndarray) -> int:
    """Signed width of integer weights (the MVAU stores them two's complement)."""
    return bits_for(min(int(w.min()), -1), int(w.max()))


def _signed(x: HwTensor) -> int:
    """1 unless the codes are unsigned (the UINT8 image pixels)."""
    return int(DataType[x.dtype].signed())


def _is_po2(w: np.ndarray) -> int:
    a = np.abs(w[w != 0])
    return int(bool(np.all((a & (a - 1)) == 0)))


def _acc_dtype(x: HwTensor, w: np.ndarray) -> str:
    dt = DataType[x.dtype]
    reach = int(np.abs(w).sum(axis=-1).max()) * max(abs(int(dt.min())), int(dt.max()))
    return f"INT{bits_for(-reach, reach)}"


def rule_matmul(low: _Lowering, node) -> None:  # noqa: ANN001
    x = low.get(node.input[0], node)
    w = low.init(node.input[1])
    if w is None or not x.is_vector:
        raise low.fail(node, "only constant-weight matrix-vector products on per-frame vectors")
    wi = _int_weights(low, node, w.T)
    acc_frac, tail = x.frac, node.output[0]
    mul = low.only_consumer(tail, "Mul")
    if mul is not None:
        acc_frac += _po2_exponent(low, mul, _scalar(low, mul, 1))
        low.done.add(mul.name)
        tail = mul.output[0]
    req = low.only_consumer(tail, "BiasRequantize")
    attrs = dict(MW=wi.shape[1], MH=wi.shape[0], in_bits=x.bits, in_signed=_signed(x), w_bits=_weight_bits(wi),
                 acc_frac=acc_frac, po2_weights=_is_po2(wi))
    if req is None:
        y = low.new_tensor((x.shape[0], wi.shape[0]), acc_frac, _acc_dtype(x, wi))
        low.emit("IntMVAU", [x.name, low.const(wi)], y, mode="acc", **attrs)
        low.tensors[tail] = y
        return
    low.done.add(req.name)
    f, bits = get_by_name(req.attribute, "frac").i, get_by_name(req.attribute, "bits").i
    bias = exact_int(low.init(req.input[1]), f)
    y = low.new_tensor((x.shape[0], wi.shape[0]), f, f"INT{bits}")
    low.emit("IntMVAU", [x.name, low.const(wi), low.const(bias)], y, mode="requant", out_bits=bits, **attrs)
    low.tensors[req.output[0]] = y


def rule_fixed_batchnorm(low: _Lowering, node) -> None:  # noqa: ANN001
    k = get_by_name(node.attribute, "branches").i
    dots = [low.get(i, node) for i in node.input[:k]]
    in_frac = get_by_name(node.attribute, "input_frac").i
    if any(d.frac != in_frac for d in dots):
        raise low.fail(node, f"inputs on grid 2**-{dots[0].frac}, the layer expects 2**-{in_frac}")
    m, e, b = (low.init(i) for i in node.input[k:])
    f, bits = get_by_name(node.attribute, "frac").i, get_by_name(node.attribute, "bits").i
    y = low.new_tensor(dots[0].shape, f, f"INT{bits}")
    params = [low.const(np.asarray(m).reshape(k, -1)), low.const(e), low.const(b)]
    low.emit("FixedAffine", [d.name for d in dots] + params, y, branches=k, in_frac=in_frac,
             in_bits=max(d.bits for d in dots), gain_bits=_weight_bits(np.rint(np.asarray(m)).astype(np.int64)))
    low.tensors[node.output[0]] = y


def _bipolar_thresholds(low: _Lowering, node, channels: int) -> np.ndarray:  # noqa: ANN001
    if get_by_name(node.attribute, "out_dtype").s != b"BIPOLAR":
        raise low.fail(node, "only bipolar (sign) thresholding inside the network")
    t = low.init(node.input[1]).astype(np.float64)
    if t.shape[1] != 1:
        raise low.fail(node, "a sign has one threshold per channel")
    return np.broadcast_to(t[:, 0], (channels,))


def rule_multithreshold(low: _Lowering, node) -> None:  # noqa: ANN001
    prod = low.src.find_producer(node.input[0])
    if prod is not None and prod.op_type == "Sub" and low.init(prod.input[1]) is None:
        return _dynamic_sign(low, node, prod)
    x = low.get(node.input[0], node)
    t = _bipolar_thresholds(low, node, x.shape[-1])
    codes = np.ceil(t * 2.0 ** x.frac)  # x >= t  <=>  code >= ceil(t * 2**frac)
    y = low.new_tensor(x.shape, 0, "BINARY")
    low.emit("Thresholding", [x.name, low.const(codes)], y, in_bits=x.bits)
    low.tensors[node.output[0]] = y


def _dynamic_sign(low: _Lowering, node, sub) -> None:  # noqa: ANN001
    x, v = low.get(sub.input[0], sub), low.get(sub.input[1], sub)
    if not v.is_vector or x.is_vector:
        raise low.fail(sub, "a dynamic threshold subtracts a per-frame vector from a feature map")
    f = max(x.frac, v.frac)
    t = _bipolar_thresholds(low, node, x.shape[-1]) + (np.asarray(v.offset) if v.offset else 0.0)
    codes = np.ceil(t * 2.0 ** f)
    y = low.new_tensor(x.shape, 0, "BINARY")
    low.emit("DynamicSign", [x.name, v.name, low.const(codes)], y, x_frac=x.frac, v_frac=v.frac,
             in_bits=x.bits, v_bits=v.bits)
    low.tensors[node.output[0]] = y


def rule_sub(low: _Lowering, node) -> None:  # noqa: ANN001
    if low.only_consumer(node.output[0], "MultiThreshold") is None or low.init(node.input[1]) is not None:
        raise low.fail(node, "a subtraction must feed a sign (dynamic threshold)")


def rule_add(low: _Lowering, node) -> None:  # noqa: ANN001
    c = low.init(node.input[1])
    if c is not None:  # constant on a vector: kept aside and folded into the sign's thresholds
        v = low.get(node.input[0], node)
        sub = low.only_consumer(node.output[0], "Sub")
        if not v.is_vector or sub is None or sub.input[1] != node.output[0]:
            raise low.fail(node, "a constant add is supported only on a dynamic threshold vector")
        low.tensors[node.output[0]] = replace(v, offset=tuple(np.asarray(c, np.float64).reshape(-1)))
        return
    a, b = low.get(node.input[0], node), low.get(node.input[1], node)
    if a.is_vector:
        a, b = b, a
    q = low.only_consumer(node.output[0], "Quant")
    if q is None:
        raise low.fail(node, "an add must be followed by its requantizer")
    low.done.add(q.name)
    scale, zero, bits = (_scalar(low, q, i) for i in (1, 2, 3))
    if zero != 0 or not get_by_name(q.attribute, "signed").i or get_by_name(q.attribute, "narrow").i:
        raise low.fail(q, "the residual requantizer must be signed, zero-point 0, not narrow")
    y = low.new_tensor(a.shape, _po2_exponent(low, q, scale), f"INT{int(bits)}")
    op = "EmbeddingAdd" if b.is_vector else "ResidualAdd"
    if not b.is_vector and a.shape != b.shape:
        raise low.fail(node, f"residual shapes differ: {a.shape} vs {b.shape}")
    low.emit(op, [a.name, b.name], y, a_frac=a.frac, b_frac=b.frac, in_bits=max(a.bits, b.bits))
    low.tensors[q.output[0]] = y


def _slope_rule(op: str) -> object:
    def rule(low: _Lowering, node) -> None:  # noqa: ANN001
        x = low.get(node.input[0], node)
        f, sf = get_by_name(node.attribute, "frac").i, get_by_name(node.attribute, "slope_frac").i
        if x.frac != f:
            raise low.fail(node, f"input on grid 2**-{x.frac}, the layer expects 2**-{f}")
        grids = (f, sf, f) if op == "RPReLU" else (sf, sf)
        codes = [exact_int(low.init(i), q) for i, q in zip(node.input[1:], grids)]
        slopes = np.concatenate([np.ravel(c) for c in (codes[1:2] if op == "RPReLU" else codes)])
        bits = get_by_name(node.attribute, "bits").i
        y = low.new_tensor(x.shape, f, f"INT{bits}")
        low.emit(op, [x.name, *map(low.const, codes)], y, slope_frac=sf, in_bits=x.bits,
                 slope_bits=_weight_bits(slopes))
        low.tensors[node.output[0]] = y
    return rule


def rule_avgpool(low: _Lowering, node) -> None:  # noqa: ANN001
    x = low.get(node.input[0], node)
    k = get_by_name(node.attribute, "kernel").i
    f, bits = get_by_name(node.attribute, "frac").i, get_by_name(node.attribute, "bits").i
    if x.frac != f:
        raise low.fail(node, f"input on grid 2**-{x.frac}, the layer expects 2**-{f}")
    n, h, w, c = x.shape
    shape = (n, c) if k == 0 else (n, h // k, w // k, c)
    y = low.new_tensor(shape, f, f"INT{bits}")
    low.emit("AvgPool", [x.name], y, kernel=k, ifm_dim=[h, w], in_bits=x.bits)
    low.tensors[node.output[0]] = y


def rule_shift(low: _Lowering, node) -> None:  # noqa: ANN001
    x = low.get(node.input[0], node)
    if x.dtype != "BINARY" or x.shape[-1] % 4:
        raise low.fail(node, "the circular shift moves binary maps with channels divisible by 4")
    y = low.new_tensor(x.shape, 0, "BINARY")
    low.emit("LongShortShift", [x.name], y, dh=get_by_name(node.attribute, "dh").i,
             dw=get_by_name(node.attribute, "dw").i)
    low.tensors[node.output[0]] = y


def rule_concat(low: _Lowering, node) -> None:  # noqa: ANN001
    xs = [low.get(i, node) for i in node.input]
    if get_by_name(node.attribute, "axis").i != 1 or len({(x.frac, x.dtype, x.shape[:-1]) for x in xs}) != 1:
        raise low.fail(node, "concatenation along channels of streams with one format and size")
    y = low.new_tensor((*xs[0].shape[:-1], sum(x.shape[-1] for x in xs)), xs[0].frac, xs[0].dtype)
    low.emit("Concat", [x.name for x in xs], y, elem_bits=xs[0].bits, in_channels=[x.shape[-1] for x in xs])
    low.tensors[node.output[0]] = y


def rule_slice(low: _Lowering, node) -> None:  # noqa: ANN001
    x = low.get(node.input[0], node)
    starts, ends, axes = (low.init(i) for i in node.input[1:4])
    steps = low.init(node.input[4]) if len(node.input) > 4 else np.ones(1)
    if not x.is_vector or list(axes) != [1] or list(steps) != [1]:
        raise low.fail(node, "slices are supported along the channels of per-frame vectors")
    c = x.shape[-1]
    start, end = int(starts[0]), min(int(ends[0]), c)
    if (start, end) == (0, c):
        low.tensors[node.output[0]] = x
        return
    y = low.new_tensor((x.shape[0], end - start), x.frac, x.dtype)
    low.emit("ChannelSlice", [x.name], y, start=start, end=end, elem_bits=x.bits, in_channels=x.shape[-1])
    low.tensors[node.output[0]] = y


RULES = {
    "Quant": rule_quant, "Mul": rule_mul, "Flatten": rule_reshape, "Unsqueeze": rule_reshape,
    "Conv": rule_conv, "MatMul": rule_matmul, "FixedBatchNorm": rule_fixed_batchnorm,
    "MultiThreshold": rule_multithreshold, "Sub": rule_sub, "Add": rule_add,
    "RPReLU": _slope_rule("RPReLU"), "FPReLU": _slope_rule("FPReLU"), "FixedAvgPool": rule_avgpool,
    "LongShortShift": rule_shift, "Concat": rule_concat, "Slice": rule_slice,
}


# ops with no rule of their own: FINN's streamlining converts or folds them (BipolarQuant,
# Transpose of weights) or a rule takes them along (BiasRequantize after MatMul)
_HANDLED_ELSEWHERE = {"BipolarQuant", "Transpose", "Identity", "BiasRequantize"}


def supported_ops() -> str:
    return ", ".join(sorted(set(RULES) | _HANDLED_ELSEWHERE - {"Identity", "Transpose"}))


def check_supported(qonnx_graph: ModelWrapper) -> None:
    """Fail fast, before streamlining, on a layer no rule can map."""
    for node in qonnx_graph.graph.node:
        if node.op_type not in RULES and node.op_type not in _HANDLED_ELSEWHERE:
            raise BnnforgeError(f"cannot map layer {node.name!r} ({node.op_type}) to hardware: no hardware op "
                                f"implements it. Supported: {supported_ops()}")


def lower(streamlined: ModelWrapper, batch: int = 1) -> ModelWrapper:
    """The dataflow graph of hardware ops for a streamlined graph, for `batch` frames at once
    (the hardware streams one frame at a time; a larger batch only speeds up execution)."""
    with linear_qonnx():
        return _Lowering(streamlined, batch).run()

