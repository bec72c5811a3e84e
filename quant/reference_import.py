"""Import a checkpoint in the BCDNet authors' layout into a bnnforge checkpoint.

The authors' released code (github.com/Sense-GVT/BCDNet, prototype/model/a_3.py for the
binary step 2, a_3f.py for the real-weight step 1) names its tensors as follows; both files
give the same names and shapes, so both convert (a step-1 checkpoint becomes its binarized
version, the network step 2 starts from):

    feature.0.conv1 / .bn1                      the real-valued 3x3 stem (stride 2) and its BN
    feature.1..10                               ReActNet basic blocks (cin, cout, stride):
        move11, binary_3x3, bn1                 3x3 half: bias before the sign, conv, BN
        move12, prelu1, move13                  its RPReLU (bias, PReLU, bias)
        move21, binary_pw, bn2                  1x1 half (cin == cout), or for cout = 2 cin
        move21, binary_pw_down1/2, bn2_1/2      two convolutions concatenated
        move22, prelu2, move23                  its RPReLU
    mlp_layer.G.mlp_layer.J                     G = 0..2; J = 0..2 ShiftBlock, J = 3 PointBlock
        move0, binary_conv[, binary_conv1, binary_conv2], bn1, move1, prelu, move2
    fc, fc_dist                                 two classifiers, averaged at inference

Conversion (one tensor at a time, no retraining):
- LearnableBias b before a sign: sign(x + b) -> RSign threshold t = -b (x >= t);
- RPReLU: shift_in = -move (the bias before the PReLU), slope = PReLU weight, shift_out;
- binary conv weights and batch norms 1:1 (alpha = mean|W| per output channel in both);
- fc and fc_dist averaged into the 8-bit classifier;
- the ImageNet input normalisation ((p / 255 - mean) / std per channel, the reference's
  config) folded into the 8-bit stem: weights W / (255 std_c) on the uint8 pixels, and the
  constant sum(W mean_c / std_c) moved into the stem BN's running mean. Exact inside the
  image; on the one-pixel border the reference zero-pads the *normalised* image and bnnforge
  the pixels, so there the reference sees pixel value `mean` where bnnforge sees 0;
- the 8-bit classifier's input range calibrated on given images;
- the long-range shift distance is the reference's constant 3 (its MLP stage is 7x7).

Every real-valued parameter then rounds onto bnnforge's fixed-point grids (DESIGN.md,
number semantics): that is the only difference from a float evaluation of the same weights,
apart from the sign of exact zeros (the reference's torch.sign gives 0, a bit cannot).
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Iterator, Union

import numpy as np
import torch

from bnnforge.quant import models
from bnnforge.quant.errors import BnnforgeError

# the reference's data config (model_zoo_exp/BCDNet/a_3/config.yaml): torchvision's ImageNet
# normalisation of images scaled to [0, 1]
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
REFERENCE_LONG_RANGE = 3  # GlobalShift in a_3.py
REFERENCE_MODELS = ("bcdnet-a",)
DEFAULT_CALIBRATION_IMAGES = 8
_BN = ("weight", "bias", "running_mean", "running_var")
_OPTIONAL = "num_batches_tracked"  # torch's BatchNorm2d has it, the authors' SyncBN may not
_REPORTED_KEYS = 3

CalibrationSource = Union[int, str, Path, None]


# ---- the reference layout -------------------------------------------------------------


def _conv_stage() -> list[tuple[int, int, int]]:
    # the same list bnnforge's bcdnet-a is built from: one source for the conv stage
    return list(models._BCDNET_A_CONV)


def reference_shapes(classes: int = 1000) -> dict[str, tuple[int, ...]]:
    """Every tensor of an a_3.py / a_3f.py state dict (without `module.` and BN counters), in
    module order, with its shape."""
    shapes: dict[str, tuple[int, ...]] = {}

    def bn(prefix: str, c: int) -> None:
        for k in _BN:
            shapes[f"{prefix}.{k}"] = (c,)

    def bias(prefix: str, c: int) -> None:
        shapes[f"{prefix}.bias"] = (1, c, 1, 1)

    stem_out = _conv_stage()[0][0]
    shapes["feature.0.conv1.weight"] = (stem_out, 3, 3, 3)
    bn("feature.0.bn1", stem_out)
    for i, (cin, cout, _) in enumerate(_conv_stage(), start=1):
        p = f"feature.{i}"
        bias(f"{p}.move11", cin)
        shapes[f"{p}.binary_3x3.weight"] = (cin, cin, 3, 3)
        bn(f"{p}.bn1", cin)
        bias(f"{p}.move12", cin)
        shapes[f"{p}.prelu1.weight"] = (cin,)
        bias(f"{p}.move13", cin)
        bias(f"{p}.move21", cin)
        if cin == cout:
            shapes[f"{p}.binary_pw.weight"] = (cout, cin, 1, 1)
            bn(f"{p}.bn2", cout)
        else:
            shapes[f"{p}.binary_pw_down1.weight"] = (cin, cin, 1, 1)
            shapes[f"{p}.binary_pw_down2.weight"] = (cin, cin, 1, 1)
            bn(f"{p}.bn2_1", cin)
            bn(f"{p}.bn2_2", cin)
        bias(f"{p}.move22", cout)
        shapes[f"{p}.prelu2.weight"] = (cout,)
        bias(f"{p}.move23", cout)
    c = _conv_stage()[-1][1]
    for p, shift in _mlp_blocks():
        bias(f"{p}.move0", c)
        for conv in ("binary_conv", "binary_conv1", "binary_conv2") if shift else ("binary_conv",):
            shapes[f"{p}.{conv}.weight"] = (c, c, 1, 1)
        bn(f"{p}.bn1", c)
        bias(f"{p}.move1", c)
        shapes[f"{p}.prelu.weight"] = (c,)
        bias(f"{p}.move2", c)
    for fc in ("fc", "fc_dist"):
        shapes[f"{fc}.weight"] = (classes, c)
        shapes[f"{fc}.bias"] = (classes,)
    return shapes


def _mlp_blocks() -> Iterator[tuple[str, bool]]:
    """(prefix, has shifts) of the reference's MLP stage: 3 Blocks of 3 ShiftBlocks + 1 PointBlock."""
    for g in range(3):
        for j in range(4):
            yield f"mlp_layer.{g}.mlp_layer.{j}", j < 3


# ---- reading and checking ---------------------------------------------------------------


def _first(keys: list[str]) -> str:
    more = f" and {len(keys) - _REPORTED_KEYS} more" if len(keys) > _REPORTED_KEYS else ""
    return ", ".join(keys[:_REPORTED_KEYS]) + more


def read_reference_state(path: Path | str) -> dict[str, torch.Tensor]:
    """The state dict of a checkpoint in the authors' layout: the dict their saver writes
    ({"model": state_dict, "optimizer": ..., ...}), {"state_dict": ...}, or a bare state dict;
    the `module.` prefix of their distributed wrapper is removed."""
    path = Path(path)
    if not path.is_file():
        raise BnnforgeError(f"reference checkpoint {path} does not exist or is not a file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # torch raises many types for a damaged or pickled-object file
        raise BnnforgeError(f"reference checkpoint {path} is corrupt, not a torch checkpoint, or holds Python "
                            f"objects other than tensors (not loaded for safety)") from None
    if isinstance(obj, dict) and {"model", "config", "state_dict", "metrics"} <= set(obj):
        raise BnnforgeError(f"{path} is already a bnnforge checkpoint (model {obj.get('model')!r}); "
                            f"`bnnforge build` takes it as it is")
    state = obj
    if isinstance(obj, dict):
        for key in ("model", "state_dict"):
            if isinstance(obj.get(key), dict):
                state = obj[key]
                break
    if not isinstance(state, dict) or not state:
        raise BnnforgeError(f"reference checkpoint {path} holds no state dict")
    bad = [str(k) for k, v in state.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise BnnforgeError(f"reference checkpoint {path}: entries that are not named tensors: {_first(bad)}")
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}


def check_reference_state(state: dict[str, torch.Tensor], model: str = "bcdnet-a") -> int:
    """Raise a one-line error naming the first missing, unexpected and wrongly shaped keys
    (in the reference's module order); returns the number of classes."""
    if model not in REFERENCE_MODELS:
        raise BnnforgeError(f"no reference layout for model {model!r}: the authors' released code (a_3.py, "
                            f"a_3f.py) is {', '.join(REFERENCE_MODELS)}")
    fc = state.get("fc.weight")
    classes = int(fc.shape[0]) if fc is not None and fc.dim() == 2 else 1000
    expected = reference_shapes(classes)
    own = [k for k in state if not k.endswith("." + _OPTIONAL)]
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in own if k not in expected]
    unexpected += [k for k in state if k.endswith("." + _OPTIONAL)
                   and k[: -len(_OPTIONAL)] + "running_mean" not in expected]
    shaped = [f"{k} {tuple(state[k].shape)} (expected {expected[k]})" for k in expected
              if k in state and tuple(state[k].shape) != expected[k]]
    parts = [f"{len(v)} {what}: {_first(v)}" for v, what in
             ((missing, "missing"), (unexpected, "unexpected"), (shaped, "of another shape")) if v]
    if parts:
        raise BnnforgeError(f"not a {model} state dict in the authors' layout (a_3.py): " + "; ".join(parts))
    return classes


# ---- conversion -----------------------------------------------------------------------


def _rprelu(out: dict, dst: str, ref: dict, before: str, prelu: str, after: str) -> None:
    out[f"{dst}.shift_in"] = -ref[f"{before}.bias"].flatten()
    out[f"{dst}.slope"] = ref[f"{prelu}.weight"].flatten()
    out[f"{dst}.shift_out"] = ref[f"{after}.bias"].flatten()


def _bn(out: dict, dst: str, ref: dict, src: str) -> None:
    for k in _BN:
        out[f"{dst}.{k}"] = ref[f"{src}.{k}"]
    out[f"{dst}.num_batches_tracked"] = ref.get(f"{src}.num_batches_tracked", torch.tensor(0))


def _stem(out: dict, ref: dict) -> None:
    """Fold the input normalisation into the stem: conv((p/255 - m)/s, W) = conv(p, W') - k."""
    w = ref["feature.0.conv1.weight"].double()
    mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float64).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=torch.float64).view(1, 3, 1, 1)
    out["stem.conv.weight"] = (w / (255.0 * std)).float()
    k = (w * mean / std).sum(dim=(1, 2, 3))
    _bn(out, "stem.bn.norm", ref, "feature.0.bn1")
    out["stem.bn.norm.running_mean"] = (ref["feature.0.bn1.running_mean"].double() + k).float()


def convert_state(ref: dict[str, torch.Tensor], model: models.BNN) -> dict[str, torch.Tensor]:
    """The bnnforge state dict of `model` (a bcdnet-a) holding the reference's tensors."""
    out: dict[str, torch.Tensor] = {}
    _stem(out, ref)
    for i, (cin, cout, _) in enumerate(_conv_stage(), start=1):
        p, d = f"feature.{i}", f"blocks.{i - 1}"
        out[f"{d}.half3x3.rsign.threshold"] = -ref[f"{p}.move11.bias"].flatten()
        out[f"{d}.half3x3.convs.0.weight"] = ref[f"{p}.binary_3x3.weight"]
        _bn(out, f"{d}.half3x3.bns.0.norm", ref, f"{p}.bn1")
        _rprelu(out, f"{d}.half3x3.act", ref, f"{p}.move12", f"{p}.prelu1", f"{p}.move13")
        out[f"{d}.half1x1.rsign.threshold"] = -ref[f"{p}.move21.bias"].flatten()
        pairs = [("binary_pw", "bn2")] if cin == cout else [("binary_pw_down1", "bn2_1"), ("binary_pw_down2", "bn2_2")]
        for j, (conv, bn) in enumerate(pairs):
            out[f"{d}.half1x1.convs.{j}.weight"] = ref[f"{p}.{conv}.weight"]
            _bn(out, f"{d}.half1x1.bns.{j}.norm", ref, f"{p}.{bn}")
        _rprelu(out, f"{d}.half1x1.act", ref, f"{p}.move22", f"{p}.prelu2", f"{p}.move23")
    first = len(_conv_stage())
    for n, (p, shift) in enumerate(_mlp_blocks()):
        d = f"blocks.{first + n}"
        out[f"{d}.rsign.threshold"] = -ref[f"{p}.move0.bias"].flatten()
        out[f"{d}.pointwise_conv.weight"] = ref[f"{p}.binary_conv.weight"]
        if shift:  # binary_conv1 sees Shift (distance 1), binary_conv2 GlobalShift (distance 3)
            out[f"{d}.short_conv.weight"] = ref[f"{p}.binary_conv1.weight"]
            out[f"{d}.long_conv.weight"] = ref[f"{p}.binary_conv2.weight"]
        _bn(out, f"{d}.bn.norm", ref, f"{p}.bn1")
        _rprelu(out, f"{d}.act", ref, f"{p}.move1", f"{p}.prelu", f"{p}.move2")
    out["classifier.linear.weight"] = (ref["fc.weight"] + ref["fc_dist.weight"]) / 2
    out["classifier.bias"] = (ref["fc.bias"] + ref["fc_dist.bias"]) / 2
    own = model.state_dict()
    # the classifier's input range is not in the reference: calibration sets it
    for k, v in own.items():
        if k not in out and k.endswith("input_quant.fused_activation_quant_proxy.tensor_quant.scaling_impl.value"):
            out[k] = v
    missing = [k for k in own if k not in out]
    if missing:  # the mapping above and the bnnforge layout disagree: a bug, not bad input
        raise AssertionError(f"reference import leaves bnnforge keys unset: {_first(missing)}")
    return {k: out[k].to(own[k].dtype).reshape(own[k].shape).clone() for k in own}


# ---- calibration images -----------------------------------------------------------------


def _center_crop(img: "np.ndarray", size: int) -> np.ndarray:
    """The reference's test transform scaled to `size`: resize the short side to size * 256/224
    (bilinear), then the central size x size crop; HWC uint8 -> CHW float of integers."""
    from PIL import Image

    h, w = img.shape[:2]
    short = round(size * 256 / 224)
    nh, nw = (short, max(short, round(w * short / h))) if h <= w else (max(short, round(h * short / w)), short)
    im = Image.fromarray(img).convert("RGB").resize((nw, nh), Image.BILINEAR)
    top, left = (nh - size) // 2, (nw - size) // 2
    a = np.asarray(im, dtype=np.uint8)[top:top + size, left:left + size]
    return a.transpose(2, 0, 1).astype(np.float32)


def calibration_images(source: CalibrationSource, size: int) -> tuple[torch.Tensor, str]:
    """(N x 3 x size x size pixels 0..255, where they come from). `source`: a directory of
    images (.jpg/.jpeg/.png, sorted by name), or a count N of crops of scikit-learn's two
    sample photos (offline stand-ins for ImageNet), or None for the default count."""
    if source is None:
        source = DEFAULT_CALIBRATION_IMAGES
    if isinstance(source, int) or (isinstance(source, str) and source.isdigit()):
        n = int(source)
        if n < 1:
            raise BnnforgeError(f"--calibrate-images needs at least 1 image, got {n}")
        from sklearn.datasets import load_sample_images

        photos = load_sample_images().images
        rng = np.random.default_rng(0)
        crops = []
        for i in range(n):  # random square crops of 60-100% of the short side, seeded
            img = photos[i % len(photos)]
            h, w = img.shape[:2]
            s = int(rng.integers(int(0.6 * min(h, w)), min(h, w) + 1))
            top, left = int(rng.integers(0, h - s + 1)), int(rng.integers(0, w - s + 1))
            crops.append(_center_crop(np.ascontiguousarray(img[top:top + s, left:left + s]), size))
        return torch.from_numpy(np.stack(crops)), f"{n} crops of scikit-learn's sample photos (seed 0)"
    folder = Path(source)
    if not folder.is_dir():
        raise BnnforgeError(f"--calibrate-images {source}: neither a directory nor a number of images")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not files:
        raise BnnforgeError(f"--calibrate-images {folder}: no .jpg, .jpeg or .png files")
    from PIL import Image, UnidentifiedImageError

    images = []
    for f in files:
        try:
            with Image.open(f) as im:
                images.append(_center_crop(np.asarray(im.convert("RGB")), size))
        except (UnidentifiedImageError, OSError) as exc:
            raise BnnforgeError(f"--calibrate-images: cannot read {f}: {exc}") from None
    return torch.from_numpy(np.stack(images)), f"{len(files)} images from {folder}"


# ---- the command -------------------------------------------------------------------------


def import_reference(path: Path | str, out: Path | str, model: str = "bcdnet-a",
                     calibrate: CalibrationSource = None, overrides: dict | None = None) -> dict:
    """Convert the authors' checkpoint at `path` into the bnnforge checkpoint `out` (written
    atomically); returns its metrics. `overrides` change bnnforge model parameters (e.g. the
    input size; the weights do not depend on it)."""
    path, out = Path(path), Path(out)
    state = read_reference_state(path)
    classes = check_reference_state(state, model)
    params = {"classes": classes, "in_channels": 3, "long_range": REFERENCE_LONG_RANGE, **(overrides or {})}
    net = models.create(model, **params)
    net.load_state_dict(convert_state(state, net), strict=True)
    net.eval()
    images, where = calibration_images(calibrate, net.input_shape[1])
    ranges = net.calibrate_input_scales(images)
    zeros = sum(int((state[k] == 0).sum()) for k in state
                if k.endswith(".weight") and state[k].dim() == 4 and not k.startswith("feature.0."))
    metrics = {
        "imported_from": {"format": "Sense-GVT/BCDNet a_3.py / a_3f.py state dict", "file": path.name,
                          "sha256": hashlib.sha256(path.read_bytes()).hexdigest()},
        "calibration": {"images": where, "count": int(len(images)), "input_ranges": ranges},
        "binary_weights_exactly_zero": zeros,  # sign 0 in the reference, a bit (+1) here
        "input_normalisation": {"mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD), "scale": 1 / 255},
    }
    models.save(net, out, metrics)
    return metrics
