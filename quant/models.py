"""The model zoo: a registry of BCDNet, ReActNet and FTBNN networks, full-size and tiny.

A model is built from a *layout*: a JSON-able dict (input shape, classes, numerics, stem,
a list of blocks) that a zoo builder derives from a few high-level parameters. A checkpoint
stores the model name and those parameters, so `load` rebuilds exactly the same network.

    create("bcdnet-tiny", width=32)   -> BNN
    load("ckpt.pt")                   -> BNN in eval mode with the trained weights
"""

from __future__ import annotations

import copy
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from bnnforge.quant.blocks import BinaryMLPBlock, ConvHalf, PointBlock, ReActBlock
from bnnforge.quant.errors import BnnforgeError
from bnnforge.quant.export_nodes import exporting
from bnnforge.quant.fixed_point import FixedPoint
from bnnforge.quant.layers import FixedPointAvgPool, FixedPointLinear, QuantConv8, ScaledBatchNorm
from bnnforge.quant.shift import LONG_RANGE, LongRange, degenerate_long_range, shift_distances

LOGIT_FORMAT = FixedPoint(bits=24, frac=8)


# ---- layouts ------------------------------------------------------------------------


def _stem(cin: int, cout: int, kernel: int, stride: int, maxpool: bool = False) -> dict:
    return {"kind": "stem", "cin": cin, "cout": cout, "kernel": kernel, "stride": stride, "maxpool": maxpool}


def _react(cin: int, cout: int, stride: int, dynamic: bool = False) -> dict:
    return {"kind": "reactnet", "cin": cin, "cout": cout, "stride": stride, "dynamic": dynamic}


def _half(cin: int, stride: int = 1, copies: int = 1, groups: int = 1, act: str = "rprelu",
          dynamic: bool = False, kernel: int = 3) -> dict:
    return {"kind": "half", "cin": cin, "kernel": kernel, "stride": stride, "copies": copies,
            "groups": groups, "act": act, "dynamic": dynamic}


def _mlp(channels: int, long_range: LongRange = None) -> dict:
    """A binary MLP block with shifts (the reference's ShiftBlock); long_range None: floor(H/2), floor(W/2)."""
    return {"kind": "mlp", "channels": channels, "long_range": long_range}


def _point(channels: int) -> dict:
    """The reference's PointBlock: the binary MLP block's pointwise branch only."""
    return {"kind": "point", "channels": channels}


def _mlp_stage(channels: int, groups: int, shift_blocks: int, long_range: LongRange) -> list[dict]:
    """BCDNet's binary MLP stage (reference code, a_3.py): `groups` x [`shift_blocks`
    ShiftBlocks + 1 PointBlock], all at one channel count and spatial size."""
    return [b for _ in range(groups)
            for b in [_mlp(channels, long_range) for _ in range(shift_blocks)] + [_point(channels)]]


def _layout(input_shape: list[int], classes: int, stem: dict, blocks: list[dict],
            residual_bits: int, residual_frac: int) -> dict:
    return {"input_shape": list(input_shape), "classes": classes, "stem": stem, "blocks": blocks,
            "numerics": {"residual": {"bits": residual_bits, "frac": residual_frac}}}


# ReActNet-A (MobileNet-V1 layout): (cin, cout, stride) of its 13 blocks.
_REACTNET_A = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2),
               (512, 512, 1), (512, 512, 1), (512, 512, 1), (512, 512, 1), (512, 512, 1),
               (512, 1024, 2), (1024, 1024, 1)]


def reactnet_a(input_size: int = 224, classes: int = 1000, in_channels: int = 3,
               residual_bits: int = 16, residual_frac: int = 8) -> dict:
    blocks = [_react(*b) for b in _REACTNET_A]
    return _layout([in_channels, input_size, input_size], classes, _stem(in_channels, 32, 3, 2), blocks,
                   residual_bits, residual_frac)


# BCDNet-A's conv stage (reference a_3.py): ReActNet-A up to and including its 512 -> 1024
# downsampling block, without two of its 512-channel blocks and its last 1024-channel block.
_BCDNET_A_CONV = _REACTNET_A[:9] + [(512, 1024, 2)]


def bcdnet_a(input_size: int = 224, classes: int = 1000, in_channels: int = 3, dynamic: bool = False,
             residual_bits: int = 16, residual_frac: int = 8, long_range: LongRange = None) -> dict:
    """The authors' layout (a_3.py; the paper's two stages, section 4.3): 11 conv blocks
    (the stem, then 1, 2, 2, 4, 1 ReActNet blocks per resolution), then the binary MLP stage
    3 x [3 ShiftBlocks + 1 PointBlock] at 1024 channels and 7x7 (at 224x224)."""
    conv = [_react(ci, co, s, dynamic) for ci, co, s in _BCDNET_A_CONV]
    blocks = conv + _mlp_stage(1024, 3, 3, long_range)
    return _layout([in_channels, input_size, input_size], classes, _stem(in_channels, 32, 3, 2),
                   copy.deepcopy(blocks), residual_bits, residual_frac)


def bcdnet_b(**kw: Any) -> dict:
    return bcdnet_a(dynamic=True, **kw)


def _r18_halves(mlp_last: bool, dynamic: bool, act: str, groups: int, long_range: LongRange) -> list[dict]:
    """ResNet-18 as eight blocks of two 3 x 3 halves; `mlp_last` swaps the last three halves
    (the last three binary 3 x 3 convs) for nine binary MLP blocks, as in BCDNet (R18)."""
    h: list[dict] = []
    for c_in, c_out, stride in [(64, 64, 1), (64, 64, 1), (64, 128, 2), (128, 128, 1),
                                (128, 256, 2), (256, 256, 1), (256, 512, 2), (512, 512, 1)]:
        h.append(_half(c_in, stride, c_out // c_in, groups, act, dynamic))
        h.append(_half(c_out, 1, 1, groups, act, dynamic))
    if mlp_last:
        h = h[:-3] + [_mlp(512, long_range) for _ in range(9)]
    return h


def _r18(mlp_last: bool, dynamic: bool, act: str = "rprelu", groups: int = 1, input_size: int = 224,
         classes: int = 1000, in_channels: int = 3, residual_bits: int = 16, residual_frac: int = 8,
         long_range: LongRange = None) -> dict:
    return _layout([in_channels, input_size, input_size], classes, _stem(in_channels, 64, 7, 2, maxpool=True),
                   _r18_halves(mlp_last, dynamic, act, groups, long_range), residual_bits, residual_frac)


def reactnet_r18(**kw: Any) -> dict:
    return _r18(False, False, **kw)


def bcdnet_a_r18(**kw: Any) -> dict:
    return _r18(True, False, **kw)


def bcdnet_b_r18(**kw: Any) -> dict:
    return _r18(True, True, **kw)


def ftbnn_r18(groups: int = 2, **kw: Any) -> dict:
    return _r18(False, False, act="fprelu", groups=groups, **kw)


def _tiny(family: str, width: int = 16, depth: int = 2, input_size: int = 8, classes: int = 10,
          in_channels: int = 1, groups: int = 2, residual_bits: int = 16, residual_frac: int = 8,
          long_range: LongRange = None) -> dict:
    """Tiny networks for 8x8..32x32 inputs that keep every block kind of their family:
    channel doubling, a stride-2 block, then `depth` blocks of the family's own kind. The
    BCDNet ones mirror the authors' two stages: the conv blocks, then one MLP group of `depth`
    ShiftBlocks and a PointBlock."""
    w, w2 = width, 2 * width
    stem = _stem(in_channels, w, 3, 1)
    if family == "ftbnn":
        blocks = [_half(w, 1, 2, groups, "fprelu"), _half(w2, 2, 1, groups, "fprelu")]
        blocks += [_half(w2, 1, 1, groups, "fprelu") for _ in range(depth)]
    else:
        dynamic = family == "bcdnet-b"
        blocks = [_react(w, w2, 1, dynamic), _react(w2, w2, 2, dynamic)]
        if family == "reactnet":
            blocks += [_react(w2, w2, 1) for _ in range(depth)]
        else:
            blocks += _mlp_stage(w2, 1, depth, long_range)
    return _layout([in_channels, input_size, input_size], classes, stem, blocks, residual_bits, residual_frac)


@dataclass(frozen=True)
class ZooEntry:
    name: str
    builder: Callable[..., dict]
    defaults: dict
    description: str


def _entry(name: str, builder: Callable[..., dict], defaults: dict, description: str) -> ZooEntry:
    return ZooEntry(name, builder, defaults, description)


_FULL = {"input_size": 224, "classes": 1000, "in_channels": 3, "residual_bits": 16, "residual_frac": 8}
_TINY = {"width": 16, "depth": 2, "input_size": 8, "classes": 10, "in_channels": 1,
         "residual_bits": 16, "residual_frac": 8}
# models with binary MLP blocks: the long-range shift distance (None: floor(H/2), floor(W/2))
_MLP = {"long_range": None}

ZOO: dict[str, ZooEntry] = {e.name: e for e in [
    _entry("reactnet-a", reactnet_a, _FULL, "ReActNet-A: MobileNet-V1 layout, 13 binary conv blocks"),
    _entry("bcdnet-a", bcdnet_a, {**_FULL, **_MLP},
           "BCDNet-A (authors' layout): 11 conv blocks, then 3 x [3 long-short binary MLP + 1 pointwise] at 1024 ch"),
    _entry("bcdnet-b", bcdnet_b, {**_FULL, **_MLP},
           "BCDNet-B: BCDNet-A with dynamic contextual thresholds/embeddings"),
    _entry("reactnet-r18", reactnet_r18, _FULL, "ReActNet (ResNet-18 layout)"),
    _entry("bcdnet-a-r18", bcdnet_a_r18, {**_FULL, **_MLP},
           "BCDNet-A (R18): last three 3x3 convs -> 9 binary MLP blocks"),
    _entry("bcdnet-b-r18", bcdnet_b_r18, {**_FULL, **_MLP},
           "BCDNet-B (R18): BCDNet-A (R18) with dynamic embeddings"),
    _entry("ftbnn-r18", ftbnn_r18, {**_FULL, "groups": 2}, "FTBNN (ResNet-18): FPReLU and grouped binary convs"),
    _entry("reactnet-tiny", lambda **k: _tiny("reactnet", **k), {**_TINY, "depth": 3},
           "tiny ReActNet: doubling, stride-2 and plain ReActNet blocks"),
    _entry("bcdnet-a-tiny", lambda **k: _tiny("bcdnet-a", **k), {**_TINY, **_MLP},
           "tiny BCDNet-A: ReActNet conv blocks, then binary MLP blocks + a pointwise block"),
    _entry("bcdnet-b-tiny", lambda **k: _tiny("bcdnet-b", **k), {**_TINY, **_MLP},
           "tiny BCDNet-B: dynamic-threshold conv blocks, then binary MLP blocks + a pointwise block"),
    _entry("bcdnet-tiny", lambda **k: _tiny("bcdnet-b", **k), {**_TINY, **_MLP},
           "tiny BCDNet (the B variant: every BCDNet block kind); the demo model"),
    _entry("ftbnn-tiny", lambda **k: _tiny("ftbnn", **k), {**_TINY, "width": 24, "groups": 2},
           "tiny FTBNN: FPReLU, grouped binary 3x3 convs"),
]}


def names() -> list[str]:
    return list(ZOO)


def _entry_for(name: str) -> ZooEntry:
    if name not in ZOO:
        raise BnnforgeError(f"unknown model {name!r}; known models: {', '.join(ZOO)}")
    return ZOO[name]


def resolve_params(name: str, overrides: dict | None = None) -> dict:
    """The model's parameters: its defaults with `overrides` applied (unknown keys rejected)."""
    entry = _entry_for(name)
    params = dict(entry.defaults)
    for key, value in (overrides or {}).items():
        if key not in params:
            raise BnnforgeError(
                f"model {name!r} has no parameter {key!r}; its parameters: {', '.join(sorted(params))}")
        params[key] = value
    return params


def create(name: str, **overrides: Any) -> "BNN":
    """Build zoo model `name` with fresh weights; `overrides` change its parameters."""
    params = resolve_params(name, overrides)
    return BNN(name, params, _entry_for(name).builder(**params))


def long_range_notes(layout: dict) -> list[str]:
    """One note per distinct (size, long range) of the layout's binary MLP blocks where +d and
    -d are the same roll (an even size with d = size/2): the paper's h/2 then gives only two
    distinct long-range tokens of four. At 7x7 (full size, the reference) there is none."""
    _, h, w = layout["input_shape"]
    h, w = _out_size(h, layout["stem"]["stride"]), _out_size(w, layout["stem"]["stride"])
    if layout["stem"].get("maxpool"):
        h, w = _out_size(h, 2), _out_size(w, 2)
    notes: list[str] = []
    for spec in layout["blocks"]:
        h, w = _out_size(h, spec.get("stride", 1)), _out_size(w, spec.get("stride", 1))
        if spec["kind"] != "mlp":
            continue
        dh, dw = shift_distances(LONG_RANGE, h, w, spec.get("long_range"))
        if degenerate_long_range(dh, dw, h, w):
            note = (f"long range ({dh}, {dw}) at {h}x{w}: +d and -d are the same roll, so only two of the "
                    f"four long-range tokens differ")
            if h == w and all((2 * d) % h == 0 or d % h in (1, h - 1) for d in range(h)):
                note += f" (at {h}x{w} every distance that keeps them distinct is the short range's +-1)"
            if note not in notes:
                notes.append(note)
    return notes


def describe_all() -> list[dict]:
    rows = []
    for e in ZOO.values():
        layout = e.builder(**e.defaults)
        rows.append({"name": e.name, "input_shape": layout["input_shape"], "classes": layout["classes"],
                     "parameters": e.defaults, "description": e.description, "notes": long_range_notes(layout)})
    return rows


# ---- the network ----------------------------------------------------------------------


class Stem(nn.Module):
    """8-bit first layer: uint8 pixels -> 8-bit conv -> BN onto the residual stream."""

    def __init__(self, spec: dict, fmt: FixedPoint) -> None:
        super().__init__()
        self.conv = QuantConv8(spec["cin"], spec["cout"], spec["kernel"], spec["stride"])
        self.bn = ScaledBatchNorm(spec["cout"], fmt)
        self.pool = nn.MaxPool2d(3, 2, 1) if spec.get("maxpool") else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        frac = 0
        if exporting():  # the exported node records the grid of the conv output: the power-of-two
            frac = -int(torch.log2(self.conv.quant_weight().scale).round().item())  # weight scale
        y = self.bn([self.conv(x)], [torch.ones(self.conv.out_channels, device=x.device)], input_frac=frac)
        return self.pool(y) if self.pool is not None else y


def _out_size(size: int, stride: int) -> int:
    return size if stride == 1 else size // 2


class BNN(nn.Module):
    """A zoo network: stem -> blocks on the fixed-point residual stream -> GAP -> 8-bit classifier."""

    def __init__(self, name: str, params: dict, layout: dict) -> None:
        super().__init__()
        self.name, self.params, self.layout = name, dict(params), layout
        self.input_shape = tuple(layout["input_shape"])
        self.fmt = FixedPoint(**layout["numerics"]["residual"])
        c, h, w = self.input_shape
        if min(h, w) < 4:
            raise BnnforgeError(f"model {name!r} cannot take input {c}x{h}x{w}: the smallest input is 4x4")
        stem = layout["stem"]
        self.stem = Stem(stem, self.fmt)
        h, w = self._check_stride(h, w, stem["stride"], "the stem")
        if stem.get("maxpool"):
            h, w = self._check_stride(h, w, 2, "the stem max pool")
        c = stem["cout"]
        blocks = []
        for i, spec in enumerate(layout["blocks"]):
            kind, where = spec["kind"], f"block {i} ({spec['kind']})"
            if kind == "reactnet":
                h, w = self._check_stride(h, w, spec["stride"], where)
                blocks.append(ReActBlock(spec["cin"], spec["cout"], spec["stride"], self.fmt, spec["dynamic"]))
                c_next = spec["cout"]
            elif kind == "half":
                h, w = self._check_stride(h, w, spec["stride"], where)
                blocks.append(ConvHalf(spec["cin"], spec["kernel"], spec["stride"], self.fmt, spec["copies"],
                                       spec["groups"], spec["act"], spec["dynamic"]))
                c_next = spec["cin"] * spec["copies"]
            elif kind == "mlp":
                blocks.append(BinaryMLPBlock(spec["channels"], h, w, self.fmt, spec.get("long_range")))
                c_next = spec["channels"]
            elif kind == "point":
                blocks.append(PointBlock(spec["channels"], self.fmt))
                c_next = spec["channels"]
            else:
                raise BnnforgeError(f"{where}: unknown block kind {kind!r}")
            cin = spec.get("cin", spec.get("channels"))
            if cin != c:
                raise BnnforgeError(f"{where} expects {cin} channels but receives {c}")
            c = c_next
        self.blocks = nn.ModuleList(blocks)
        self.feature_shape = (c, h, w)
        self.pool = FixedPointAvgPool(self.fmt, kernel=None)
        self.classifier = FixedPointLinear(c, layout["classes"], LOGIT_FORMAT)

    def _check_stride(self, h: int, w: int, stride: int, where: str) -> tuple[int, int]:
        if stride == 2 and (h % 2 or w % 2):
            c = self.input_shape[0]
            raise BnnforgeError(
                f"model {self.name!r} cannot take input {c}x{self.input_shape[1]}x{self.input_shape[2]}: "
                f"{where} has stride 2 and needs an even size, but sees {h}x{w}")
        return _out_size(h, stride), _out_size(w, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[1:]) != self.input_shape:
            raise BnnforgeError(f"model {self.name!r} takes input N x {'x'.join(map(str, self.input_shape))}, "
                                f"got {tuple(x.shape)}")
        y = self.stem(x)
        for block in self.blocks:
            y = block(y)
        return self.classifier(self.pool(y).flatten(1))

    @torch.no_grad()
    def calibrate_input_scales(self, x: torch.Tensor, batch: int = 256, sequential: bool = True) -> dict[str, float]:
        """Set the 8-bit input range of every 8-bit linear map (the classifier, BCDNet-B's
        context maps) to the power of two covering max|input| over the images `x`, in the
        model's current mode; returns {module name: range}. `sequential`: the maps are
        calibrated one after another in forward order, each seeing the calibrated ranges of
        those before it (one pass over `x` per map); otherwise all in one pass (re-calibrating
        ranges that are already close).

        This is the only step that sets those ranges (training learns them in between); a
        forward pass never does. Batch-norm statistics moved by train-mode passes are restored."""
        buffers = {k: b.clone() for k, b in self.named_buffers()}
        linears = [(n, m) for n, m in self.named_modules() if isinstance(m, FixedPointLinear)]
        ranges: dict[str, float] = {}
        try:
            for group in ([[nl] for nl in linears] if sequential else [linears]):
                peaks = {name: 0.0 for name, _ in group}

                def record(name: str):
                    def hook(_mod: nn.Module, inp: tuple) -> None:
                        peaks[name] = max(peaks[name], float(inp[0].detach().abs().max()))
                    return hook

                handles = [lin.linear.register_forward_pre_hook(record(name)) for name, lin in group]
                try:
                    for i in range(0, len(x), batch):
                        self(x[i:i + batch])
                finally:
                    for h in handles:
                        h.remove()
                for name, lin in group:
                    lin.calibrate_input(peaks[name])
                    ranges[name] = lin.input_threshold()
        finally:
            for k, b in self.named_buffers():
                b.copy_(buffers[k])
        return ranges

    def set_weight_binarization(self, on: bool) -> None:
        """Step 1 of the two-step recipe trains with real weights (off), step 2 binary (on)."""
        for m in self.modules():
            if hasattr(m, "binarize_weights"):
                m.binarize_weights = on


# ---- checkpoints ----------------------------------------------------------------------

CHECKPOINT_KEYS = ("model", "config", "state_dict", "metrics")


def save(model: BNN, path: Path, metrics: dict) -> None:
    """Write a checkpoint atomically: a failed save leaves no half-written file behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    try:
        torch.save({"model": model.name, "config": model.params, "state_dict": model.state_dict(),
                    "metrics": metrics}, tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _one_line(text: object, limit: int = 160) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def read_checkpoint(path: Path | str) -> dict:
    """The checkpoint dict, validated; a one-line BnnforgeError naming the problem otherwise."""
    path = Path(path)
    if not path.exists():
        raise BnnforgeError(f"checkpoint {path} does not exist")
    if not path.is_file():
        raise BnnforgeError(f"checkpoint {path} is not a file")
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols on the way to failing
            warnings.simplefilter("ignore")
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except OSError as exc:
        raise BnnforgeError(f"cannot read checkpoint {path}: {exc.strerror or _one_line(exc)}") from None
    except Exception as exc:  # torch raises many types for a damaged file; its texts run to many lines
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(exc))
        if found:
            raise BnnforgeError(f"checkpoint {path} holds Python objects ({found.group(1)}), not only tensors and "
                                f"plain data: not a bnnforge checkpoint, and not loaded for safety") from None
        raise BnnforgeError(f"checkpoint {path} is corrupt or not a torch checkpoint") from None
    if not isinstance(ckpt, dict):
        raise BnnforgeError(f"checkpoint {path} is not a bnnforge checkpoint: it holds a {type(ckpt).__name__}, "
                            f"not a dict with keys {', '.join(CHECKPOINT_KEYS)}")
    missing = [k for k in CHECKPOINT_KEYS if k not in ckpt]
    if missing:
        raise BnnforgeError(f"checkpoint {path} is not a bnnforge checkpoint: it lacks {', '.join(map(repr, missing))} "
                            f"(a bnnforge checkpoint holds {', '.join(CHECKPOINT_KEYS)})")
    if not isinstance(ckpt["model"], str) or not isinstance(ckpt["config"], dict) \
            or not isinstance(ckpt["state_dict"], dict):
        raise BnnforgeError(f"checkpoint {path} is not a bnnforge checkpoint: 'model' must be a name, 'config' and "
                            f"'state_dict' dicts")
    return ckpt


def _mismatch(model: BNN, state: dict) -> str:
    """What differs between a model's weights and a state dict, in one line."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shaped = [k for k in own
              if k in state and hasattr(state[k], "shape") and tuple(state[k].shape) != tuple(own[k].shape)]
    parts = [f"{len(v)} {what} (e.g. {v[0]})" for v, what in ((missing, "missing"), (unexpected, "unexpected"),
                                                               (shaped, "of another shape")) if v]
    return ", ".join(parts) or "the weights do not load"


def load(path: Path | str) -> BNN:
    """Rebuild the checkpoint's model, load its weights and return it in eval mode."""
    ckpt = read_checkpoint(path)
    name, config = ckpt["model"], ckpt["config"]
    if name not in ZOO:
        raise BnnforgeError(f"checkpoint {path} names unknown model {name!r}; known models: {', '.join(ZOO)}")
    try:
        model = create(name, **config)
    except BnnforgeError as exc:
        raise BnnforgeError(f"checkpoint {path}: {_one_line(exc, 300)}") from None
    except (TypeError, ValueError, KeyError) as exc:
        raise BnnforgeError(f"checkpoint {path}: config {_one_line(config)} does not build model {name!r}: "
                            f"{_one_line(exc)}") from None
    try:
        model.load_state_dict(ckpt["state_dict"], strict=True)
    except (RuntimeError, TypeError, AttributeError, KeyError):
        raise BnnforgeError(f"checkpoint {path} does not match model {name!r} with config {_one_line(config)}: "
                            f"{_mismatch(model, ckpt['state_dict'])} weights") from None
    return model.eval()
