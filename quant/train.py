"""Two-step binary QAT, as in the BCDNet / ReActNet papers, on the embedded digits set.

Step 1 trains binary activations with real weights; step 2 binarizes the weights too and
starts from step 1's weights. Both use AdamW with a cosine schedule and label smoothing 0.1;
optionally a real-valued teacher, trained by the same call, adds a distillation loss.
Seeded and single-process, so the same command gives the same checkpoint on one machine.
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from bnnforge.quant import models
from bnnforge.quant.data import load_digits_split
from bnnforge.quant.errors import BnnforgeError
from bnnforge.quant.opcount import count_ops

LABEL_SMOOTHING = 0.1
# training images that set the 8-bit linear maps' input ranges before step 1 (then learned)
CALIBRATION_IMAGES = 256


@dataclass
class TrainConfig:
    model: str = "bcdnet-tiny"
    dataset: str = "digits"
    image_size: int | None = None       # None: the model's own input size
    epochs_step1: int | None = None     # None: a per-size default
    epochs_step2: int | None = None
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay_step1: float = 1e-5    # the papers' values: small decay, then none
    weight_decay_step2: float = 0.0
    seed: int = 0
    distill: bool = False
    teacher_epochs: int = 30
    overrides: dict = field(default_factory=dict)
    progress: bool = True
    threads: int = 2


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _batches(x: torch.Tensor, y: torch.Tensor, batch: int, gen: torch.Generator) -> Iterator:
    order = torch.randperm(len(y), generator=gen)
    for i in range(0, len(y), batch):
        idx = order[i : i + batch]
        yield x[idx], y[idx]


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random +-1 pixel translation (zero fill): cheap and keeps pixels integers."""
    dx, dy = (int(v) for v in torch.randint(-1, 2, (2,), generator=gen))
    out = torch.zeros_like(x)
    h, w = x.shape[2:]
    out[:, :, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        x[:, :, max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 256) -> float:
    """Top-1 accuracy in eval mode, i.e. with the hardware's fixed-point semantics."""
    was = model.training
    model.eval()
    correct = sum(int((model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum()) for i in range(0, len(y), batch))
    model.train(was)
    return correct / len(y)


class _Progress:
    """A tqdm bar over all epochs of one phase (or nothing when progress is off)."""

    def __init__(self, total: int, desc: str, enabled: bool) -> None:
        self.bar = None
        if enabled:
            from tqdm import tqdm
            self.bar = tqdm(total=total, desc=desc, unit="epoch", leave=True, dynamic_ncols=True)

    def step(self, **postfix: float) -> None:
        if self.bar is not None:
            self.bar.set_postfix({k: f"{v:.3f}" for k, v in postfix.items()})
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _fit(model: nn.Module, data: tuple, epochs: int, lr: float, wd: float, cfg: TrainConfig, desc: str,
         teacher: nn.Module | None = None) -> float:
    x_tr, y_tr, x_te, y_te = data
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=wd)
    steps = epochs * ((len(y_tr) + cfg.batch_size - 1) // cfg.batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(steps, 1))
    gen = torch.Generator().manual_seed(cfg.seed)
    bar = _Progress(epochs, desc, cfg.progress)
    acc = 0.0
    model.train()
    for _ in range(epochs):
        if hasattr(model, "calibrate_input_scales"):
            # the 8-bit maps' input ranges follow the growing features (Brevitas used to take
            # them from statistics of the first 300 training steps), one pass per epoch
            model.calibrate_input_scales(x_tr[:CALIBRATION_IMAGES], sequential=False)
        total_loss, n = 0.0, 0
        for xb, yb in _batches(x_tr, y_tr, cfg.batch_size, gen):
            xb = _augment(xb, gen)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=LABEL_SMOOTHING)
            if teacher is not None:
                with torch.no_grad():
                    soft = F.softmax(teacher(xb), dim=1)
                loss = 0.5 * loss + 0.5 * F.kl_div(F.log_softmax(logits, dim=1), soft, reduction="batchmean")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total_loss += loss.item() * len(yb)
            n += len(yb)
        acc = evaluate(model, x_te, y_te)
        bar.step(loss=total_loss / n, test_acc=acc)
    bar.close()
    return acc


class TeacherCNN(nn.Module):
    """A small real-valued CNN used only as a distillation teacher."""

    def __init__(self, in_channels: int, classes: int, width: int = 64) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(2 * width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x / 255.0))


def default_epochs(image_size: int) -> tuple[int, int]:
    """Epoch budget per step that fits the 5-minute target on 2 cores at each input size."""
    return {8: (30, 30), 16: (12, 12), 32: (5, 5)}[image_size]


def train(cfg: TrainConfig) -> tuple[models.BNN, dict]:
    """Run the recipe; returns the trained model (eval mode) and its metrics."""
    if cfg.dataset != "digits":
        raise BnnforgeError(f"unknown dataset {cfg.dataset!r}; available: digits")
    t0 = time.time()
    torch.set_num_threads(cfg.threads)
    _seed_everything(cfg.seed)
    overrides = dict(cfg.overrides)
    params = models.resolve_params(cfg.model, overrides)
    size = cfg.image_size or params["input_size"]
    overrides.update(input_size=size, in_channels=1, classes=10)
    model = models.create(cfg.model, **overrides)
    data = load_digits_split(size)
    e1, e2 = default_epochs(size)
    e1 = cfg.epochs_step1 if cfg.epochs_step1 is not None else e1
    e2 = cfg.epochs_step2 if cfg.epochs_step2 is not None else e2

    teacher, teacher_acc = None, None
    if cfg.distill:
        teacher = TeacherCNN(1, 10)
        teacher_acc = _fit(teacher, data, cfg.teacher_epochs, cfg.lr, 1e-4, cfg, "teacher (real-valued)")
        teacher.eval()
        for p in teacher.parameters():
            p.requires_grad_(False)

    model.set_weight_binarization(False)
    model.train()  # ranges under batch statistics, as training sees them
    model.calibrate_input_scales(data[0][:CALIBRATION_IMAGES])  # first, one map after another
    acc1 = _fit(model, data, e1, cfg.lr, cfg.weight_decay_step1, cfg, "step 1 (binary act, real W)", teacher)
    model.set_weight_binarization(True)
    acc2 = _fit(model, data, e2, cfg.lr, cfg.weight_decay_step2, cfg, "step 2 (binary act and W)", teacher)
    model.eval()
    ops = count_ops(model)["total"]
    metrics = {
        "test_accuracy": acc2, "test_images": int(len(data[3])), "train_images": int(len(data[1])),
        "step1_accuracy": acc1, "teacher_accuracy": teacher_acc, "train_seconds": time.time() - t0,
        "dataset": cfg.dataset, "image_size": size, "epochs": [e1, e2], "seed": cfg.seed,
        "ops": ops, "recipe": {k: v for k, v in asdict(cfg).items() if k not in ("progress",)},
    }
    return model, metrics


def train_and_save(cfg: TrainConfig, out: Path) -> dict:
    """Train and write the checkpoint (atomically); returns the checkpoint dict's metadata."""
    model, metrics = train(cfg)
    models.save(model, out, metrics)
    return {"model": model.name, "config": model.params, "metrics": metrics}
