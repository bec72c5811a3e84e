"""The `bnnforge` ONNX nodes: each layer exports as one node, and the node's integer
execution (qonnx custom op) equals the PyTorch layer bit for bit, odd and even sizes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from brevitas.export import export_qonnx
from onnx import numpy_helper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.frontend import run_graph

import bnnforge.generator  # noqa: F401  (maps the bnnforge domain to its custom ops)
from bnnforge.quant.fixed_point import FixedPoint
from bnnforge.quant.layers import FixedPointAvgPool, FixedPointLinear, FPReLU, RPReLU, ScaledBatchNorm
from bnnforge.quant.shift import LONG_RANGE, SHORT_RANGE, LongShortShift

FMT = FixedPoint(16, 8)


class _BN(torch.nn.Module):
    """ScaledBatchNorm with its branch inputs as separate graph inputs."""

    def __init__(self, c: int, branches: int, input_frac: int) -> None:
        super().__init__()
        self.bn, self.input_frac = ScaledBatchNorm(c, FMT, branches), input_frac
        self.alphas = [torch.rand(c) * 0.2 + 0.01 for _ in range(branches)]
        n = self.bn.norm
        with torch.no_grad():
            n.weight.copy_(torch.randn(c)); n.bias.copy_(torch.randn(c) * 2)
            n.running_mean.copy_(torch.randn(c) * 10); n.running_var.copy_(torch.rand(c) * 30 + 0.5)

    def forward(self, *dots: torch.Tensor) -> torch.Tensor:
        return self.bn(list(dots), self.alphas, input_frac=self.input_frac)


def _run_exported_node(module: torch.nn.Module, inputs: list[torch.Tensor], tmp: Path, op_type: str) -> np.ndarray:
    path = tmp / f"{op_type}.onnx"
    export_qonnx(module.eval(), tuple(inputs) if len(inputs) > 1 else inputs[0], export_path=str(path), dynamo=False)
    model = onnx.load(str(path))
    nodes = [n for n in model.graph.node if n.domain == "bnnforge"]
    assert [n.op_type for n in nodes] == [op_type], [n.op_type for n in model.graph.node]
    ctx = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    for n in model.graph.node:
        if n.op_type == "Constant":
            ctx[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    for vi, x in zip(model.graph.input, inputs):
        ctx[vi.name] = x.numpy()
    node = nodes[0]
    getCustomOp(node).execute_node(ctx, model.graph)
    return ctx[node.output[0]]


def _export_single(module: torch.nn.Module, x: torch.Tensor, tmp: Path) -> np.ndarray:
    """Export, clean and run a whole small graph with qonnx (for layers with standard ops too)."""
    from qonnx.core.modelwrapper import ModelWrapper

    from bnnforge.generator.frontend import clean

    path = tmp / "single.onnx"
    export_qonnx(module.eval(), x, export_path=str(path), dynamo=False)
    graph = clean(ModelWrapper(str(path)))
    assert any(n.domain == "bnnforge" for n in graph.graph.node)
    return run_graph(graph, x.numpy())


def _grid(shape: tuple, spread: int = 8000) -> torch.Tensor:
    return torch.randint(-spread, spread, shape).float() * FMT.scale


@pytest.mark.parametrize("shape", [(2, 8, 5, 5), (1, 12, 4, 6)])
def test_rprelu_node(shape: tuple, tmp_path: Path) -> None:
    m = RPReLU(shape[1], FMT)
    with torch.no_grad():
        m.shift_in.copy_(torch.randn(shape[1])); m.slope.copy_(torch.rand(shape[1]) - 0.2)
        m.shift_out.copy_(torch.randn(shape[1]))
    x = _grid(shape)
    assert np.array_equal(_run_exported_node(m, [x], tmp_path, "RPReLU"), m(x).detach().numpy())


def test_fprelu_node(tmp_path: Path) -> None:
    m = FPReLU(8, FMT)
    with torch.no_grad():
        m.slope_pos.copy_(torch.rand(8) + 0.5); m.slope_neg.copy_(torch.rand(8) - 0.5)
    x = _grid((2, 8, 3, 5))
    assert np.array_equal(_run_exported_node(m, [x], tmp_path, "FPReLU"), m(x).detach().numpy())


@pytest.mark.parametrize("kernel,shape", [(2, (2, 4, 6, 6)), (2, (1, 4, 4, 8)), (None, (2, 4, 7, 7)), (None, (1, 4, 4, 5))])
def test_avgpool_node(kernel: int | None, shape: tuple, tmp_path: Path) -> None:
    m = FixedPointAvgPool(FMT, kernel)
    x = _grid(shape)
    assert np.array_equal(_run_exported_node(m, [x], tmp_path, "FixedAvgPool"), m(x).numpy())


@pytest.mark.parametrize("kind", [SHORT_RANGE, LONG_RANGE])
@pytest.mark.parametrize("hw", [(4, 4), (5, 7)])
def test_shift_node(kind: str, hw: tuple, tmp_path: Path) -> None:
    m = LongShortShift(kind, *hw)
    x = torch.randint(0, 2, (2, 8, *hw)).float() * 2 - 1
    assert np.array_equal(_run_exported_node(m, [x], tmp_path, "LongShortShift"), m(x).numpy())


@pytest.mark.parametrize("branches,input_frac", [(1, 0), (3, 0), (1, 5)])
def test_batchnorm_node(branches: int, input_frac: int, tmp_path: Path) -> None:
    m = _BN(8, branches, input_frac)
    dots = [torch.randint(-400, 401, (2, 8, 3, 5)).float() * 2.0 ** -input_frac for _ in range(branches)]
    with torch.no_grad():
        want = m.eval()(*dots).numpy()
    assert np.array_equal(_run_exported_node(m, dots, tmp_path, "FixedBatchNorm"), want)


def test_bias_requantize_node(tmp_path: Path) -> None:
    m = FixedPointLinear(12, 5, FMT)
    with torch.no_grad():
        m.linear.weight.copy_(torch.randn(5, 12)); m.bias.copy_(torch.randn(5))
    m.train()
    m(torch.randn(64, 12) * 3)  # let the input quantizer's scale settle, as training does
    x = torch.randn(4, 12) * 3
    with torch.no_grad():
        want = m.eval()(x).numpy()
    model = _export_single(m, x, tmp_path)
    assert np.array_equal(model, want)


def test_full_model_exports_bnnforge_nodes(tmp_path: Path) -> None:
    from bnnforge.quant import models

    m = models.create("bcdnet-tiny").eval()
    path = tmp_path / "m.onnx"
    export_qonnx(m, torch.zeros((1, *m.input_shape)), export_path=str(path), dynamo=False)
    ops = {n.op_type for n in onnx.load(str(path)).graph.node if n.domain == "bnnforge"}
    assert ops == {"FixedBatchNorm", "RPReLU", "FixedAvgPool", "LongShortShift", "BiasRequantize"}
