"""Front end: a Brevitas model -> a clean QONNX graph that qonnx's `execute_onnx` runs.

The export holds Brevitas' Quant / BipolarQuant nodes, standard ONNX ops and one
`bnnforge` node per fixed-point layer. Cleaning is qonnx's own passes (shape and datatype
inference, constant folding, unique readable names); nothing here re-implements them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
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
from bnnforge.quant.errors import BnnforgeError


def write_qonnx(model: torch.nn.Module, path: Path, batch: int = 1) -> Path:
    """Brevitas `export_qonnx` of `model` (put in eval mode) for a fixed batch size."""
    from brevitas.export import export_qonnx

    model.eval()
    example = torch.zeros((batch, *model.input_shape))
    # dynamo=False: the TorchScript exporter is the one Brevitas' QONNX handlers support
    export_qonnx(model, example, export_path=str(path), dynamo=False)
    return Path(path)


def export_model(model: torch.nn.Module, batch: int = 1) -> ModelWrapper:
    """Export `model` for a fixed batch size and clean the graph."""
    with tempfile.TemporaryDirectory() as tmp:
        wrapper = ModelWrapper(str(write_qonnx(model, Path(tmp) / "model.onnx", batch)))
    return clean(wrapper)


def clean(model: ModelWrapper) -> ModelWrapper:
    for t in (InferShapes(), FoldConstants(), InferShapes(), InferDataTypes(), GiveUniqueNodeNames(),
              GiveReadableTensorNames(), RemoveStaticGraphInputs(), RemoveUnusedTensors()):
        model = model.transform(t)
    missing = [o for n in model.graph.node for o in n.output if model.get_tensor_shape(o) is None]
    if missing:
        raise BnnforgeError(f"shape inference left {len(missing)} tensors without a shape, e.g. {missing[0]}")
    return model


def run_graph(model: ModelWrapper, x: np.ndarray) -> np.ndarray:
    """Execute the graph on a batch of the batch size it was exported for."""
    want = model.get_tensor_shape(model.graph.input[0].name)
    if list(x.shape) != list(want):
        raise BnnforgeError(f"graph takes input of shape {want}, got {list(x.shape)}")
    out = execute_onnx(model, {model.graph.input[0].name: x.astype(np.float32)})
    return out[model.graph.output[0].name]
