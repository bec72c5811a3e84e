"""Training: a short run learns, runs are reproducible, checkpoints round-trip, the shipped one works."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from bnnforge.generator.demo import shipped_checkpoint
from bnnforge.quant import models
from bnnforge.quant.data import load_digits_split
from bnnforge.quant.errors import BnnforgeError
from bnnforge.quant.train import TrainConfig, evaluate, train, train_and_save

# one thread: two pytest-xdist workers share the 2 cores, and torch's threads spin when
# oversubscribed (a 20 s run took 5 minutes beside another training test)
SHORT = dict(epochs_step1=3, epochs_step2=3, progress=False, overrides={"width": 8}, threads=1)


@pytest.fixture(scope="module")
def short_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ckpt") / "short.pt"
    train_and_save(TrainConfig(model="bcdnet-tiny", **SHORT), path)
    return path


def test_short_training_beats_chance(short_run: Path) -> None:
    ckpt = models.read_checkpoint(short_run)
    assert ckpt["metrics"]["test_accuracy"] > 0.3  # chance is 0.1; 3+3 epochs reach about 0.48
    assert ckpt["model"] == "bcdnet-tiny" and ckpt["config"]["width"] == 8


def test_checkpoint_round_trip(short_run: Path) -> None:
    ckpt = models.read_checkpoint(short_run)
    m = models.load(short_run)
    assert not m.training
    _, _, x, y = load_digits_split(8)
    assert evaluate(m, x, y) == ckpt["metrics"]["test_accuracy"]
    m2 = models.load(short_run)
    with torch.no_grad():
        assert torch.equal(m(x[:32]), m2(x[:32]))


def test_training_is_reproducible(short_run: Path) -> None:
    model, metrics = train(TrainConfig(model="bcdnet-tiny", **SHORT))
    ref = models.read_checkpoint(short_run)
    assert metrics["test_accuracy"] == ref["metrics"]["test_accuracy"]
    for k, v in model.state_dict().items():
        assert torch.equal(v, ref["state_dict"][k]), k


def test_shipped_checkpoint_accuracy() -> None:
    path = shipped_checkpoint()
    m = models.load(path)
    _, _, x, y = load_digits_split(m.input_shape[1])
    acc = evaluate(m, x, y)
    assert acc >= 0.95
    assert acc == models.read_checkpoint(path)["metrics"]["test_accuracy"]


def test_corrupt_checkpoint(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint at all")
    with pytest.raises(BnnforgeError, match="corrupt"):
        models.load(bad)


def test_checkpoint_missing_keys(tmp_path: Path) -> None:
    p = tmp_path / "keys.pt"
    torch.save({"model": "bcdnet-tiny"}, p)
    with pytest.raises(BnnforgeError, match="is not a bnnforge checkpoint: it lacks"):
        models.load(p)


def test_mismatched_checkpoint(tmp_path: Path, short_run: Path) -> None:
    ckpt = models.read_checkpoint(short_run)
    ckpt["config"]["width"] = 16  # weights are for width 8
    p = tmp_path / "mismatch.pt"
    torch.save(ckpt, p)
    with pytest.raises(BnnforgeError, match="does not match model 'bcdnet-tiny'"):
        models.load(p)


def test_unknown_model_in_checkpoint(tmp_path: Path, short_run: Path) -> None:
    ckpt = models.read_checkpoint(short_run)
    ckpt["model"] = "resnet-50"
    p = tmp_path / "unknown.pt"
    torch.save(ckpt, p)
    with pytest.raises(BnnforgeError, match="unknown model 'resnet-50'"):
        models.load(p)


def test_failed_save_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    m = models.create("bcdnet-tiny", width=8)

    def boom(obj, f, *a, **k):
        Path(f).write_bytes(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(OSError):
        models.save(m, tmp_path / "x.pt", {})
    assert list(tmp_path.iterdir()) == []


def test_distillation_and_upscaling() -> None:
    """--distill trains a real-valued teacher first and its soft labels change the student;
    --image-size 16 builds a 16x16 model."""
    base = dict(model="bcdnet-tiny", image_size=16, epochs_step1=1, epochs_step2=1, progress=False,
                overrides={"width": 8}, threads=1)
    student, metrics = train(TrainConfig(**base, distill=True, teacher_epochs=5))
    assert student.input_shape == (1, 16, 16) and metrics["image_size"] == 16
    assert metrics["teacher_accuracy"] > 0.8
    plain, plain_metrics = train(TrainConfig(**base))
    assert plain_metrics["teacher_accuracy"] is None
    w = "blocks.0.half3x3.convs.0.weight"
    assert not torch.equal(student.state_dict()[w], plain.state_dict()[w])


def test_unknown_dataset() -> None:
    with pytest.raises(BnnforgeError, match="unknown dataset 'mnist'"):
        train(TrainConfig(model="bcdnet-tiny", dataset="mnist", progress=False))


def test_activation_ste_is_the_papers_polynomial() -> None:
    """BCDNet eq. 9 (Bi-Real Net): d sign(x)/dx ~ 2 - 2|x| inside [-1, 1], 0 outside; through
    RSign, x - t, so the threshold gets the negative."""
    from bnnforge.quant.fixed_point import FixedPoint
    from bnnforge.quant.layers import RSign

    x = torch.tensor([-1.5, -1.0, -0.75, -0.25, 0.0, 0.5, 0.875, 1.0, 2.0]).view(1, -1, 1, 1).requires_grad_()
    r = RSign(x.shape[1], FixedPoint())
    r(x).sum().backward()
    expected = torch.tensor([0.0, 0.0, 0.5, 1.5, 2.0, 1.0, 0.25, 0.0, 0.0])
    assert torch.equal(x.grad.flatten(), expected)
    assert torch.equal(r.threshold.grad, -expected)


def test_weight_gradient_is_the_references() -> None:
    """The authors' HardBinaryConv: forward alpha * sign(W) with alpha = mean|W| (detached),
    backward through clamp(W, -1, 1) only. Ours applies alpha after the integer dot (in the
    batch norm) and must give the same weight gradient, to float rounding."""
    import torch.nn.functional as F

    from bnnforge.quant.fixed_point import FixedPoint
    from bnnforge.quant.layers import BinaryConv2d, ScaledBatchNorm

    gen = torch.Generator().manual_seed(0)
    conv = BinaryConv2d(8, 6, 3)
    bn = ScaledBatchNorm(6, FixedPoint(bits=24, frac=16))
    with torch.no_grad():
        conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * 0.8)  # some |W| > 1
    x = torch.where(torch.rand(4, 8, 5, 5, generator=gen) < 0.5, -1.0, 1.0)
    target = torch.randn(4, 6, 5, 5, generator=gen)
    bn.train()
    ((bn([conv(x)], [conv.alpha()]) - target) ** 2).sum().backward()

    w = conv.weight.detach().clone().requires_grad_()
    alpha = w.abs().mean(dim=(1, 2, 3), keepdim=True).detach()
    clipped = torch.clamp(w, -1.0, 1.0)
    w_eff = (alpha * torch.sign(w)).detach() - clipped.detach() + clipped
    norm = torch.nn.BatchNorm2d(6)
    norm.load_state_dict(bn.norm.state_dict())  # the same affine parameters; batch statistics
    ((norm(F.conv2d(x, w_eff, padding=1)) - target) ** 2).sum().backward()
    assert (w.abs() > 1).any() and (w.grad[w.abs() > 1] == 0).all()
    # the gradients are O(10); ours differ only through the batch norm's output grid (2**-16)
    assert torch.allclose(conv.weight.grad, w.grad, rtol=0.0, atol=1e-3)
