"""Folding: how many PE / SIMD lanes each hardware op gets, from a file or chosen to meet a
target throughput with the least resources.

A folding file is JSON or YAML in FINN's folding-config shape:

    {"Defaults": {"PE": 1}, "BinaryMVAU_3": {"PE": 4, "SIMD": 16}, ...}

"Defaults" applies to every op that has the parameter and the value is legal for it;
named layers override it. Anything that cannot be applied is an error naming the layer,
the parameter and the legal values.
"""

from __future__ import annotations

import copy
import itertools
import json
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import yaml
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from bnnforge.generator.hwops import DOMAIN, HWOp
from bnnforge.quant.errors import BnnforgeError

DEFAULTS_KEY = "Defaults"
# LUT-equivalent weights to rank foldings by area: a BRAM18 or a DSP slice occupies about
# as much silicon as this many LUTs on 7-series parts.
AREA_WEIGHTS = {"lut": 1.0, "ff": 0.5, "bram18": 200.0, "dsp": 100.0}


def hw_ops(model: ModelWrapper) -> list[HWOp]:
    ops = []
    for node in model.graph.node:
        if node.domain != DOMAIN:
            raise BnnforgeError(f"node {node.name!r} ({node.op_type}) is not a bnnforge hardware op")
        ops.append(getCustomOp(node))
    return ops


def read_folding(path: Path) -> dict:
    """A folding file (JSON or YAML) as {layer: {param: value}}."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise BnnforgeError(f"cannot read folding file {path}: {e.strerror}") from e
    try:
        spec = yaml.safe_load(text) if path.suffix.lower() in (".yaml", ".yml") else json.loads(text)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        raise BnnforgeError(f"folding file {path} is not valid {'YAML' if path.suffix in ('.yaml', '.yml') else 'JSON'}:"
                            f" {e}") from e
    if not isinstance(spec, dict) or not all(isinstance(v, dict) for v in spec.values()):
        raise BnnforgeError(f"folding file {path} must map layer names to {{parameter: value}} objects")
    return spec


def apply_folding(model: ModelWrapper, spec: dict) -> ModelWrapper:
    """Set the folding of every op named in `spec` (after its Defaults); validates everything first."""
    ops = {op.onnx_node.name: op for op in hw_ops(model)}
    unknown = [k for k in spec if k != DEFAULTS_KEY and k not in ops]
    if unknown:
        raise BnnforgeError(f"folding names layer {unknown[0]!r}, which is not in the graph; its layers are: "
                            f"{', '.join(n for n, op in ops.items() if op.fold_params())}")
    plan: dict[str, dict[str, int]] = {}
    for name, op in ops.items():
        legal = op.fold_params()
        chosen = {p: v for p, v in spec.get(DEFAULTS_KEY, {}).items() if p in legal and v in legal[p]}
        for p, v in spec.get(name, {}).items():
            if p not in legal:
                takes = ", ".join(legal) if legal else "no folding parameters"
                note = f" ({op.fold_note})" if op.fold_note else ""
                raise BnnforgeError(f"layer {name!r} ({op.onnx_node.op_type}) has no folding parameter {p!r}; "
                                    f"it takes {takes}{note}")
            if not isinstance(v, int) or v not in legal[p]:
                raise BnnforgeError(f"layer {name!r} ({op.onnx_node.op_type}): {p}={v!r} is not legal; "
                                    f"{p} must divide {max(legal[p])}: one of {', '.join(map(str, legal[p]))}")
            chosen[p] = v
        plan[name] = chosen
    for name, chosen in plan.items():
        ops[name].set_folding(chosen)
    return tie_windows(model)


def tie_windows(model: ModelWrapper) -> ModelWrapper:
    """A SlidingWindow emits words as wide as the SIMD of the MVAU it feeds."""
    for node in model.graph.node:
        if node.op_type == "SlidingWindow":
            consumer = getCustomOp(model.find_consumer(node.output[0]))
            getCustomOp(node).set_nodeattr("SIMD", consumer.get_nodeattr("SIMD"))
    return model


@contextmanager
def _attributes_cached(*ops: HWOp) -> Iterator[None]:
    """Within this context each op answers get_nodeattr from a cache that its set_nodeattr
    keeps current. qonnx re-reads the node's attribute list and rebuilds the op's attribute
    table on every call, and the cost models ask for dozens of attributes per estimate: the
    folding search, hundreds of estimates per layer, spent most of its time there. Only for
    code that changes these ops' attributes through these instances."""
    for op in ops:
        cache: dict[str, object] = {}

        def get(name: str, cache: dict = cache, read=op.get_nodeattr) -> object:  # noqa: ANN001
            if name not in cache:
                cache[name] = read(name)
            value = cache[name]
            if isinstance(value, list) and all(isinstance(v, (int, float, str)) for v in value):
                return list(value)  # a fresh list, as qonnx returns
            return value if isinstance(value, (int, float, str, bool, type(None))) else copy.deepcopy(value)

        def put(name: str, value: object, cache: dict = cache, write=op.set_nodeattr) -> None:  # noqa: ANN001
            cache.pop(name, None)  # an attribute's value depends on nothing else
            write(name, value)

        op.get_nodeattr, op.set_nodeattr = get, put
    try:
        yield
    finally:
        for op in ops:
            del op.get_nodeattr, op.set_nodeattr


def area(est: dict[str, int]) -> float:
    return sum(AREA_WEIGHTS[k] * est.get(k, 0) for k in AREA_WEIGHTS)


# One op's folding candidates: (legal values, the estimate of the op with its window).
Candidates = list[tuple[tuple[int, ...], dict[str, int]]]


def _attribute_key(*ops: HWOp | None) -> tuple[bytes, ...]:
    """The ops' names and attributes: an op's estimate at a folding depends on nothing else."""
    return tuple(b"" if op is None else op.onnx_node.name.encode() + b"\0" +
                 b"".join(a.SerializeToString() for a in op.onnx_node.attribute) for op in ops)


def _candidates(op: HWOp, window: HWOp | None, legal: dict[str, list[int]]) -> Candidates:
    """Every legal folding of `op` with its estimate; an MVAU's SIMD is also its window
    generator's word width, so they are judged together."""
    found = []
    with _attributes_cached(op, *([window] if window is not None else [])):
        for values in itertools.product(*legal.values()):
            op.set_folding(dict(zip(legal, values)))
            est = op.estimate()
            if window is not None:
                window.set_nodeattr("SIMD", op.get_nodeattr("SIMD"))
                w_est = window.estimate()
                est = {k: (max(v, w_est[k]) if k == "cycles" else v + w_est.get(k, 0)) for k, v in est.items()}
            found.append((values, est))
    return found


def auto_folding(model: ModelWrapper, target_cycles: int | None = None,
                 search_cache: dict | None = None) -> tuple[ModelWrapper, list[str]]:
    """For every op, the folding with the least area whose cycles per frame meet the target.

    The default target is one input pixel per cycle (H * W of the input). Ops that cannot
    reach the target even fully unfolded get their fastest folding; they are returned as
    warnings because they set the throughput. `search_cache` (a dict the caller keeps) lets
    several searches of the same graph for different targets estimate each candidate once.
    """
    if target_cycles is None:
        shape = model.get_tensor_shape(model.graph.input[0].name)
        target_cycles = int(shape[1] * shape[2])
    if target_cycles < 1:
        raise BnnforgeError(f"target cycles per frame must be positive, got {target_cycles}")
    warnings = []
    # MVAUs first: their SIMD fixes the window generators' word width and so their cycles
    ops = sorted(hw_ops(model), key=lambda op: op.onnx_node.op_type == "SlidingWindow")
    for op in ops:
        if op.onnx_node.op_type == "SlidingWindow":
            tie_windows(model)
            est = op.estimate()
            if est["cycles"] > target_cycles:
                warnings.append(f"{op.onnx_node.name} needs {est['cycles']} cycles per frame at its MVAU's SIMD "
                                f"(target {target_cycles})")
            continue
        legal = op.fold_params()
        if not legal:
            continue
        producer = model.find_producer(op.onnx_node.input[0])
        window = getCustomOp(producer) if producer is not None and producer.op_type == "SlidingWindow" else None
        key = _attribute_key(op, window) if search_cache is not None else None
        found = search_cache.get(key) if key is not None else None
        if found is None:
            found = _candidates(op, window, legal)
            if key is not None:
                search_cache[key] = found
        best = fastest = None
        for values, est in found:
            rank = (area(est), est["cycles"])
            if est["cycles"] <= target_cycles and (best is None or rank < best[0]):
                best = (rank, values)
            if fastest is None or (est["cycles"], rank[0]) < fastest[0]:
                fastest = ((est["cycles"], rank[0]), values)
        values = best[1] if best else fastest[1]
        if best is None:
            warnings.append(f"{op.onnx_node.name} needs {fastest[0][0]} cycles per frame even fully parallel "
                            f"(target {target_cycles})")
        op.set_folding(dict(zip(legal, values)))
    return tie_windows(model), warnings


def folding_of(model: ModelWrapper) -> dict[str, dict[str, int]]:
    """The current folding as a folding-file dict (only ops that fold)."""
    return {op.onnx_node.name: op.folding() for op in hw_ops(model) if op.fold_params()}


class ApplyFolding(Transformation):
    """The folding of a folding-file dict (see apply_folding)."""

    def __init__(self, spec: dict) -> None:
        super().__init__()
        self.spec = spec

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        return apply_folding(model, self.spec), False


class AutoFolding(Transformation):
    """The least-area folding meeting `target_cycles` (see auto_folding); ops that cannot
    reach it are listed in `self.warnings`."""

    def __init__(self, target_cycles: int | None = None, search_cache: dict | None = None) -> None:
        super().__init__()
        self.target_cycles = target_cycles
        self.search_cache = search_cache
        self.warnings: list[str] = []

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        model, self.warnings = auto_folding(model, self.target_cycles, self.search_cache)
        return model, False
