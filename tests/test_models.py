"""The model zoo: every model builds and runs; sizes and names are validated with clear errors."""

from __future__ import annotations

import pytest
import torch

from bnnforge.quant import models
from bnnforge.quant.blocks import BinaryMLPBlock, ConvHalf, DynamicContext, PointBlock, ReActBlock
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
    if name.startswith("bcdnet"):
        assert type(m.blocks[-1]).__name__ == "PointBlock"


def test_block_kinds_present() -> None:
    def kinds(name: str) -> set[type]:
        return {type(mod) for mod in models.create(name).modules()}

    bcd = models.create("bcdnet-tiny")
    halves = [m for m in bcd.modules() if isinstance(m, ConvHalf)]
    assert any(h.stride == 2 for h in halves) and any(h.cout == 2 * h.cin for h in halves)
    assert {BinaryMLPBlock, PointBlock, DynamicContext} <= kinds("bcdnet-tiny")
    assert {BinaryMLPBlock, PointBlock} <= kinds("bcdnet-a-tiny") and DynamicContext not in kinds("bcdnet-a-tiny")
    ft = models.create("ftbnn-tiny")
    assert FPReLU in kinds("ftbnn-tiny")
    assert any(getattr(m, "groups", 1) > 1 for m in ft.modules() if hasattr(m, "binarize_weights"))


def _block_kinds(name: str, **overrides: object) -> list[str]:
    return [type(b).__name__ for b in models.create(name, **overrides).blocks]


@pytest.mark.parametrize("name", ["bcdnet-a", "bcdnet-b"])
def test_bcdnet_reference_layout(name: str) -> None:
    """The authors' a_3.py: 10 ReActNet blocks after the stem (11 conv blocks), the last the
    512 -> 1024 downsampling one, then 3 x [3 ShiftBlocks + 1 PointBlock] at 1024 x 7 x 7."""
    m = models.create(name)
    conv = [b for b in m.blocks if isinstance(b, ReActBlock)]
    assert len(conv) == 10 and all(isinstance(b, ReActBlock) for b in m.blocks[:10])
    last = m.blocks[9]
    assert (last.half3x3.cin, last.half1x1.cout, last.half3x3.stride) == (512, 1024, 2)
    assert [type(b).__name__ for b in m.blocks[10:]] == (["BinaryMLPBlock"] * 3 + ["PointBlock"]) * 3
    mlp = [b for b in m.blocks[10:] if isinstance(b, BinaryMLPBlock)]
    assert all((b.h, b.w, b.pointwise_conv.in_channels) == (7, 7, 1024) for b in mlp)
    assert all((b.long.dh, b.long.dw, b.short.dh, b.short.dw) == (3, 3, 1, 1) for b in mlp)  # the reference's 3
    assert all(b.pointwise_conv.in_channels == 1024 for b in m.blocks[10:] if isinstance(b, PointBlock))
    assert (DynamicContext in {type(x) for x in m.modules()}) == (name == "bcdnet-b")


@pytest.mark.parametrize("name", ["bcdnet-a-tiny", "bcdnet-b-tiny", "bcdnet-tiny"])
def test_tiny_bcdnet_mirrors_the_reference(name: str) -> None:
    """A conv stage (doubling, then stride 2), then the MLP stage: `depth` ShiftBlocks + a PointBlock."""
    assert _block_kinds(name) == ["ReActBlock"] * 2 + ["BinaryMLPBlock"] * 2 + ["PointBlock"]
    assert _block_kinds(name, depth=3)[2:] == ["BinaryMLPBlock"] * 3 + ["PointBlock"]


def test_long_range_is_a_parameter() -> None:
    def longs(m: models.BNN) -> set[tuple[int, int]]:
        return {(b.long.dh, b.long.dw) for b in m.blocks if isinstance(b, BinaryMLPBlock)}

    assert longs(models.create("bcdnet-a-tiny")) == {(2, 2)}  # floor(4/2) at the 4x4 MLP stage
    assert longs(models.create("bcdnet-a-tiny", input_size=16, long_range=3)) == {(3, 3)}
    assert longs(models.create("bcdnet-a-tiny", input_size=16, long_range=[3, 1])) == {(3, 1)}
    assert longs(models.create("bcdnet-a", input_size=96)) == {(1, 1)}  # 3x3 MLP stage
    assert longs(models.create("bcdnet-a-tiny", long_range=[5, 4])) == {(1, 0)}  # circular: mod 4
    with pytest.raises(BnnforgeError, match="long_range must not be negative"):
        models.create("bcdnet-a-tiny", long_range=-1)
    with pytest.raises(BnnforgeError, match="long_range must be an integer or"):
        models.create("bcdnet-a-tiny", long_range="far")
    with pytest.raises(BnnforgeError, match="no parameter 'long_range'"):
        models.create("reactnet-tiny", long_range=1)


def test_even_size_long_range_degeneracy_is_documented() -> None:
    rows = {r["name"]: r for r in models.describe_all()}
    assert rows["bcdnet-a"]["notes"] == [] and rows["bcdnet-b"]["notes"] == []  # 7x7: as the reference
    for name in ["bcdnet-a-tiny", "bcdnet-b-tiny", "bcdnet-tiny"]:
        (note,) = rows[name]["notes"]
        assert "(2, 2) at 4x4" in note and "only two of the four long-range tokens differ" in note


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


def test_fresh_state_dict_reloads_strictly() -> None:
    """Every key exists from construction (the 8-bit maps' input ranges included), so an
    untrained model's state dict loads strictly into another one, and a calibrated one too."""
    for name in ["bcdnet-tiny", "ftbnn-tiny", "reactnet-tiny"]:
        fresh = models.create(name)
        models.create(name).load_state_dict(fresh.state_dict(), strict=True)
        fresh.calibrate_input_scales(torch.randint(0, 256, (8, *fresh.input_shape)).float())
        assert set(fresh.state_dict()) == set(models.create(name).state_dict())
        models.create(name).load_state_dict(fresh.state_dict(), strict=True)


BN_STATISTICS = ("running_mean", "running_var", "num_batches_tracked")


@pytest.mark.parametrize("binary_weights", [True, False])
def test_forward_never_writes_parameters(binary_weights: bool) -> None:
    """Latent weights beyond [-1, 1] survive forward passes in train and eval mode (Brevitas'
    own binary quantizer clamped them in place); in train mode only the batch norms' running
    statistics move, as in any torch model."""
    m = models.create("bcdnet-tiny")
    m.set_weight_binarization(binary_weights)
    with torch.no_grad():
        for mod in m.modules():
            if hasattr(mod, "binarize_weights"):
                mod.weight.normal_(0.0, 2.0)  # many |W| > 1
    x = torch.randint(0, 256, (4, *m.input_shape)).float()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    m.eval()
    with torch.no_grad():
        m(x)
    assert all(torch.equal(before[k], v) for k, v in m.state_dict().items())
    m.train()
    m(x).sum().backward()
    after = m.state_dict()
    assert set(after) == set(before)
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all(k.endswith(BN_STATISTICS) for k in changed)


def test_weight_scale_is_mean_abs_of_latent_weights() -> None:
    from bnnforge.quant.layers import BinaryConv2d

    conv = BinaryConv2d(4, 2, 1)
    w = torch.tensor([[0.5, -2.0, 0.1, -0.1], [3.0, 1.0, -1.0, 0.5]]).view(2, 4, 1, 1)
    with torch.no_grad():
        conv.weight.copy_(w)
    conv(torch.ones(1, 4, 1, 1))
    assert torch.equal(conv.weight.detach(), w)
    assert torch.allclose(conv.alpha(), torch.tensor([2.7 / 4, 5.5 / 4]))


def test_weight_binarization_switch() -> None:
    m = models.create("bcdnet-tiny")
    m.set_weight_binarization(False)
    assert all(not mod.binarize_weights for mod in m.modules() if hasattr(mod, "binarize_weights"))
    m.set_weight_binarization(True)
    assert all(mod.binarize_weights for mod in m.modules() if hasattr(mod, "binarize_weights"))
