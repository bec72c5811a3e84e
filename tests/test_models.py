"""The model zoo: every model builds and runs; sizes and names are validated with clear errors."""

from __future__ import annotations

import pytest
import torch

from bnnforge.quant import models
from bnnforge.quant.blocks import BinaryMLPBlock, ConvHalf, DynamicContext
from bnnforge.quant.errors import BnnforgeError
from bnnforge.quant.layers import FPReLU

FULL = ["reactnet-a", "bcdnet-a", "bcdnet-b", "reactnet-r18", "bcdnet-a-r18", "bcdnet-b-r18", "ftbnn-r18"]
TINY = ["reactnet-tiny", "bcdnet-a-tiny", "bcdnet-b-tiny", "bcdnet-tiny", "ftbnn-tiny"]


def test_zoo_names() -> None:
    assert set(FULL + TINY) == set(models.names())


def _forward(model: models.BNN, batch: int = 2) -> torch.Tensor:
    x = torch.randint(0, 256, (batch, *model.input_shape)).float()
    with torch.no_grad():
        return model.eval()(x)


@pytest.mark.parametrize("name", FULL)
def test_full_size_models_forward(name: str) -> None:
    m = models.create(name)
    y = _forward(m, batch=1)
    assert y.shape == (1, 1000) and torch.isfinite(y).all()
    assert m.feature_shape[1:] == (7, 7)


@pytest.mark.parametrize("name", TINY)
@pytest.mark.parametrize("size", [8, 16, 32])
def test_tiny_models_forward(name: str, size: int) -> None:
    m = models.create(name, input_size=size)
    y = _forward(m)
    assert y.shape == (2, 10)
    assert m.feature_shape[1:] == (size // 2, size // 2)


def test_block_kinds_present() -> None:
    def kinds(name: str) -> set[type]:
        return {type(mod) for mod in models.create(name).modules()}

    bcd = models.create("bcdnet-tiny")
    halves = [m for m in bcd.modules() if isinstance(m, ConvHalf)]
    assert any(h.stride == 2 for h in halves) and any(h.cout == 2 * h.cin for h in halves)
    assert {BinaryMLPBlock, DynamicContext} <= kinds("bcdnet-tiny")
    assert BinaryMLPBlock in kinds("bcdnet-a-tiny") and DynamicContext not in kinds("bcdnet-a-tiny")
    ft = models.create("ftbnn-tiny")
    assert FPReLU in kinds("ftbnn-tiny")
    assert any(getattr(m, "groups", 1) > 1 for m in ft.modules() if hasattr(m, "binarize_weights"))
    assert sum(isinstance(m, BinaryMLPBlock) for m in models.create("bcdnet-a").modules()) == 9


def test_logits_on_fixed_point_grid() -> None:
    y = _forward(models.create("bcdnet-tiny"))
    assert torch.equal(y * 256, torch.round(y * 256))


def test_unknown_model_lists_known_names() -> None:
    with pytest.raises(BnnforgeError) as e:
        models.create("bcdnet-z")
    msg = str(e.value)
    assert "bcdnet-z" in msg and all(n in msg for n in models.names())


def test_unknown_parameter() -> None:
    with pytest.raises(BnnforgeError, match="no parameter 'depthh'.*depth"):
        models.create("bcdnet-tiny", depthh=3)


@pytest.mark.parametrize("size", [7, 9, 2])
def test_input_size_the_model_cannot_take(size: int) -> None:
    with pytest.raises(BnnforgeError, match="cannot take input"):
        models.create("bcdnet-tiny", input_size=size)


def test_odd_size_in_full_model() -> None:
    with pytest.raises(BnnforgeError, match="stride 2.*even size"):
        models.create("reactnet-a", input_size=220)  # 220 -> 110 -> 55 is odd at the next stride


def test_wrong_input_shape_at_forward() -> None:
    m = models.create("bcdnet-tiny")
    with pytest.raises(BnnforgeError, match="takes input"):
        m(torch.zeros(1, 1, 16, 16))


def test_weight_binarization_switch() -> None:
    m = models.create("bcdnet-tiny")
    m.set_weight_binarization(False)
    assert all(not mod.binarize_weights for mod in m.modules() if hasattr(mod, "binarize_weights"))
    m.set_weight_binarization(True)
    assert all(mod.binarize_weights for mod in m.modules() if hasattr(mod, "binarize_weights"))
