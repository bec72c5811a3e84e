"""Embedded data: scikit-learn's digits (1797 8x8 images, 10 classes), nothing downloaded.

Pixels (0..16) become uint8 values 0..255, the network's input format; a fixed,
stratified 80/20 split (seed 0) makes every accuracy comparable across runs.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from bnnforge.quant.errors import BnnforgeError

SPLIT_SEED = 0
TEST_FRACTION = 0.2
DIGITS_SIZES = (8, 16, 32)


def load_digits_split(image_size: int = 8) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x_train, y_train, x_test, y_test); x is float N x 1 x S x S holding integers 0..255."""
    if image_size not in DIGITS_SIZES:
        raise BnnforgeError(f"digits image size must be one of {DIGITS_SIZES}, got {image_size}")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = torch.from_numpy(np.round(d.images * (255.0 / 16.0))).float().unsqueeze(1)
    if image_size != 8:
        x = torch.round(F.interpolate(x, size=(image_size, image_size), mode="bilinear", align_corners=False))
        x = x.clamp(0, 255)
    y = torch.from_numpy(d.target).long()
    idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=TEST_FRACTION,
                                           random_state=SPLIT_SEED, stratify=d.target)
    return x[idx_train], y[idx_train], x[idx_test], y[idx_test]
