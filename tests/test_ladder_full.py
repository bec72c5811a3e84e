"""Ladder rungs 1-3 on the full-size BCDNet-A and BCDNet-B (224x224, random realistic
weights) with scikit-learn's two bundled sample photos: PyTorch, qonnx (QONNX and
FINN-streamlined graphs) and the dataflow golden model agree bit for bit."""

from __future__ import annotations


import numpy as np
import pytest
import torch
import torch.nn.functional as F

from bnnforge.generator.dataflow import run_dataflow
from bnnforge.generator.frontend import export_model, run_graph
from bnnforge.generator.lower import lower
from bnnforge.generator.streamline import streamline
from bnnforge.quant import models
from tests.randomize import randomize_


def sample_photos(size: int = 224) -> torch.Tensor:
    """china.jpg and flower.jpg (bundled with scikit-learn), resized to uint8 size x size."""
    from sklearn.datasets import load_sample_images

    x = torch.stack([torch.from_numpy(im).permute(2, 0, 1).float() for im in load_sample_images().images])
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return torch.round(x).clamp(0, 255)


@pytest.mark.full
@pytest.mark.parametrize("name", ["bcdnet-a", "bcdnet-b"])
def test_full_size_on_sample_photos(name: str) -> None:
    model = randomize_(models.create(name), seed=4, calibration_batches=1)
    x = sample_photos()
    graph = export_model(model, batch=len(x))
    with torch.no_grad():
        want = model(x).numpy()
    assert len(np.unique(want)) > 100  # 2 x 1000 logits, far from constant
    assert np.array_equal(run_graph(graph, x.numpy()), want)
    streamlined = streamline(graph)
    assert np.array_equal(run_graph(streamlined, x.numpy()), want)
    assert np.array_equal(run_dataflow(lower(streamlined, batch=len(x)), x.numpy()), want)
