"""Verification ladder, rungs 1-3: the Brevitas model (PyTorch), its exported QONNX graph and
FINN's streamlined form of it (both executed by qonnx's `execute_onnx`), and the bnnforge
dataflow graph of hardware ops (their numpy golden models) agree bit for bit on every image."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bnnforge.generator.demo import shipped_checkpoint
from bnnforge.generator.dataflow import run_dataflow
from bnnforge.generator.frontend import export_model, run_graph
from bnnforge.generator.lower import lower
from bnnforge.generator.streamline import streamline
from bnnforge.quant import models
from bnnforge.quant.data import load_digits_split
from tests.randomize import randomize_

BATCH = 500


def mismatching_images(model: models.BNN, graph, x: torch.Tensor, run=run_graph) -> int:  # noqa: ANN001
    with torch.no_grad():
        want = model(x).numpy()
    got = run(graph, x.numpy())
    assert got.shape == want.shape
    return int((got != want).reshape(len(x), -1).any(axis=1).sum())


def ladder(model: models.BNN) -> list[tuple]:
    """(graph, runner) for rungs 2 (QONNX, FINN-streamlined) and 3 (dataflow golden model)."""
    graph = export_model(model, batch=BATCH)
    streamlined = streamline(graph)
    return [(graph, run_graph), (streamlined, run_graph), (lower(streamlined, batch=BATCH), run_dataflow)]


@pytest.mark.parametrize("name", ["reactnet-tiny", "bcdnet-a-tiny", "bcdnet-b-tiny", "ftbnn-tiny"])
def test_random_weights_1000_inputs(name: str) -> None:
    model = randomize_(models.create(name), seed=1)
    rungs = ladder(model)
    gen = torch.Generator().manual_seed(2)
    for _ in range(2):
        x = torch.randint(0, 256, (BATCH, *model.input_shape), generator=gen).float()
        assert [mismatching_images(model, g, x, run) for g, run in rungs] == [0, 0, 0]
    # the comparison can fail: a one-LSB change in the graph's output is seen
    with torch.no_grad():
        logits = model(x).numpy()
    assert len(np.unique(logits)) > 10  # outputs are not constant, so equality means something


def test_trained_bcdnet_tiny_digits_and_random() -> None:
    model = models.load(shipped_checkpoint())
    _, _, x_test, _ = load_digits_split(8)
    gen = torch.Generator().manual_seed(3)
    x_rand = torch.randint(0, 256, (2 * BATCH - len(x_test), *model.input_shape), generator=gen).float()
    x = torch.cat([x_test, x_rand])
    for graph, run in ladder(model):
        assert sum(mismatching_images(model, graph, x[i:i + BATCH], run) for i in range(0, len(x), BATCH)) == 0


def test_graph_rejects_wrong_batch() -> None:
    from bnnforge.quant.errors import BnnforgeError

    model = models.create("bcdnet-a-tiny", width=8)
    graph = export_model(model, batch=2)
    with pytest.raises(BnnforgeError, match="graph takes input of shape"):
        run_graph(graph, np.zeros((3, *model.input_shape), np.float32))
