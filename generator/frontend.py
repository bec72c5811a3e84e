"""Front end: a Brevitas model -> a clean QONNX graph that qonnx's `execute_onnx` runs.

The export holds Brevitas' Quant / BipolarQuant nodes, standard ONNX ops and one
`bnnforge` node per fixed-point layer. Cleaning is qonnx's own passes (shape and datatype
inference, constant folding, unique readable names); nothing here re-implements them, but
they run inside `passes.linear_qonnx`, which gives the same graph in linear time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.fold_constants import FoldConstants
from qonnx.transformation.general import (
    GiveReadableTensorNames,
    GiveUniqueNodeNames,
    RemoveStaticGraphInputs,
    RemoveUnusedTensors,
)
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

import bnnforge.generator  # noqa: F401  (the bnnforge domain must resolve before execution)
from bnnforge.generator.passes.linear_qonnx import IndexedModel, linear_qonnx, read_only
from bnnforge.quant.errors import BnnforgeError


def qonnx_proto(model: torch.nn.Module, batch: int = 1) -> onnx.ModelProto:
    """Brevitas `export_qonnx` of `model` (put in eval mode) for a fixed batch size, in memory."""
    from brevitas.export import export_qonnx

    model.eval()
    example = torch.zeros((batch, *model.input_shape))
    # dynamo=False: the TorchScript exporter is the one Brevitas' QONNX handlers support
    return export_qonnx(model, example, export_path=None, dynamo=False)


def write_qonnx(model: torch.nn.Module, path: Path, batch: int = 1) -> Path:
    """Brevitas' raw export of `model` at `path` (not cleaned: qonnx cannot run it as is)."""
    onnx.save(qonnx_proto(model, batch), str(path))
    return Path(path)


def export_model(model: torch.nn.Module, batch: int = 1) -> ModelWrapper:
    """Export `model` for a fixed batch size and clean the graph."""
    return clean(ModelWrapper(qonnx_proto(model, batch)))


def clean(model: ModelWrapper) -> ModelWrapper:
    """Shapes and datatypes inferred, constants folded, weights as initializers only, unique
    readable names; `model` itself is left as it is."""
    passes = (InferShapes(), FoldConstants(), InferShapes(), InferDataTypes(), GiveUniqueNodeNames(),
              GiveReadableTensorNames(), RemoveStaticGraphInputs(), RemoveUnusedTensors())
    with linear_qonnx():
        for i, t in enumerate(passes):
            model = model.transform(t, make_deepcopy=i == 0)  # then in place, on the copy
        indexed = IndexedModel(model, ("init", "vi"))
        missing = [o for n in model.graph.node for o in n.output if indexed.get_tensor_shape(o) is None]
    if missing:
        raise BnnforgeError(f"shape inference left {len(missing)} tensors without a shape, e.g. {missing[0]}")
    return model


def run_graph(model: ModelWrapper, x: np.ndarray) -> np.ndarray:
    """Execute the graph on a batch of the batch size it was exported for."""
    want = model.get_tensor_shape(model.graph.input[0].name)
    if list(x.shape) != list(want):
        raise BnnforgeError(f"graph takes input of shape {want}, got {list(x.shape)}")
    with linear_qonnx():  # the same execution; qonnx's lookups and checks in linear time
        out = execute_onnx(read_only(model), {model.graph.input[0].name: x.astype(np.float32)})
    return out[model.graph.output[0].name]
