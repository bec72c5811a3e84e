"""The whole front end in one place: Brevitas model -> QONNX -> FINN streamlined graph ->
bnnforge dataflow graph, and how to run that graph on images."""

from __future__ import annotations

import numpy as np
import torch
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx

from bnnforge.generator.frontend import export_model
from bnnforge.generator.passes.linear_qonnx import linear_qonnx, read_only
from bnnforge.generator.lower import LAYOUT_KEY, OUTPUT_FRAC_KEY, check_supported, lower
from bnnforge.generator.streamline import streamline
from bnnforge.quant.errors import BnnforgeError


def build_dataflow(model: torch.nn.Module, batch: int = 1) -> tuple[ModelWrapper, ModelWrapper]:
    """(streamlined graph at batch 1, dataflow graph of hardware ops at `batch`)."""
    graph = export_model(model, batch=1)
    check_supported(graph)
    streamlined = streamline(graph)
    return streamlined, lower(streamlined, batch=batch)


def run_dataflow(graph: ModelWrapper, images: np.ndarray) -> np.ndarray:
    """Execute the dataflow graph on NCHW uint8-valued images; returns the real-valued logits.

    The graph takes NHWC pixel codes and returns logit codes on 2**-frac; the conversion
    here is exact (a transpose and a power-of-two scale).
    """
    name = graph.graph.input[0].name
    want = graph.get_tensor_shape(name)
    x = np.transpose(np.asarray(images, dtype=np.float32), (0, 2, 3, 1))
    if list(x.shape) != list(want):
        raise BnnforgeError(f"dataflow graph takes {graph.get_metadata_prop(LAYOUT_KEY)} input of shape "
                            f"{want}, got {list(x.shape)} after the NCHW->NHWC transpose")
    with linear_qonnx():  # the same execution; qonnx's lookups and checks in linear time
        codes = execute_onnx(read_only(graph), {name: x})[graph.graph.output[0].name]
    return codes.astype(np.float64) * 2.0 ** -int(graph.get_metadata_prop(OUTPUT_FRAC_KEY))
