"""Verification ladder, rungs 1 and 2: the Brevitas model (PyTorch) and its exported QONNX
graph executed by qonnx's `execute_onnx` agree bit for bit on every image."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bnnforge.generator.demo import shipped_checkpoint
from bnnforge.generator.frontend import export_model, run_graph
from bnnforge.quant import models
from bnnforge.quant.data import load_digits_split
from tests.randomize import randomize_

BATCH = 500


def mismatching_images(model: models.BNN, graph, x: torch.Tensor) -> int:
    with torch.no_grad():
        want = model(x).numpy()
    got = run_graph(graph, x.numpy())
    assert got.shape == want.shape
    return int((got != want).reshape(len(x), -1).any(axis=1).sum())


@pytest.mark.parametrize("name", ["reactnet-tiny", "bcdnet-a-tiny", "bcdnet-b-tiny", "ftbnn-tiny"])
def test_random_weights_1000_inputs(name: str) -> None:
    model = randomize_(models.create(name), seed=1)
    graph = export_model(model, batch=BATCH)
    gen = torch.Generator().manual_seed(2)
    for _ in range(2):
        x = torch.randint(0, 256, (BATCH, *model.input_shape), generator=gen).float()
        assert mismatching_images(model, graph, x) == 0
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
    graph = export_model(model, batch=BATCH)
    assert sum(mismatching_images(model, graph, x[i:i + BATCH]) for i in range(0, len(x), BATCH)) == 0


def test_graph_rejects_wrong_batch() -> None:
    from bnnforge.quant.errors import BnnforgeError

    model = models.create("bcdnet-a-tiny", width=8)
    graph = export_model(model, batch=2)
    with pytest.raises(BnnforgeError, match="graph takes input of shape"):
        run_graph(graph, np.zeros((3, *model.input_shape), np.float32))
