"""`bnnforge import-reference`: a state dict in the BCDNet authors' layout (a_3.py) becomes a
bnnforge bcdnet-a whose every unit matches a float evaluation of the same weights.

The test writes its own reference state dict (random values, the authors' names and shapes,
built here from a_3.py's stage list, not from the importer's) and evaluates it with its own
float implementation of a_3.py's forward pass. Each unit (the stem, every conv half, every
MLP block, the classifier) is fed the bnnforge model's own input to that unit, so errors do
not compound: its output must lie within the fixed-point error of the float output, and
every sign bit must be the reference's wherever the value before the sign is farther from
the threshold than the threshold's rounding.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from bnnforge.quant import models
from bnnforge.quant.blocks import BinaryMLPBlock, ConvHalf, PointBlock
from bnnforge.quant.errors import BnnforgeError
from bnnforge.quant.reference_import import IMAGENET_MEAN, IMAGENET_STD, check_reference_state, convert_state
from tests.conftest import cli_in_process, run_cli

# a_3.py: stage_out_channel = [32] + [64] + [128] * 2 + [256] * 2 + [512] * 4 + [1024]
STAGES = [32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 1024]
SIZE = 160  # MLP stage at 5x5: the short (1) and long (3, the reference's) shifts differ
LSB = 2.0 ** -8  # the residual stream's grid


def _stride(i: int) -> int:  # a_3.py: stride 2 where the width changes, except 32 -> 64
    return 2 if STAGES[i - 1] != STAGES[i] and STAGES[i] != 64 else 1


def _reference_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """Random tensors with a_3.py's names and shapes; batch-norm statistics scaled to the
    binary dot products so that every unit's output is O(1), as in a trained network."""
    g = torch.Generator().manual_seed(seed)

    def randn(*shape: int, std: float = 1.0) -> torch.Tensor:
        return torch.randn(shape, generator=g) * std

    def unif(lo: float, hi: float, *shape: int) -> torch.Tensor:
        return torch.rand(shape, generator=g) * (hi - lo) + lo

    sd: dict[str, torch.Tensor] = {}

    def bn(p: str, c: int, dot_std: torch.Tensor) -> None:
        sign = torch.where(torch.rand(c, generator=g) < 0.2, -1.0, 1.0)
        sd[f"{p}.weight"] = unif(0.3, 1.0, c) * sign
        sd[f"{p}.bias"] = randn(c, std=0.3)
        sd[f"{p}.running_mean"] = randn(c, std=0.3) * dot_std
        sd[f"{p}.running_var"] = (unif(0.5, 2.0, c) * dot_std) ** 2
        sd[f"{p}.num_batches_tracked"] = torch.tensor(1000)

    def conv(p: str, cout: int, cin: int, k: int) -> torch.Tensor:
        w = randn(cout, cin, k, k, std=0.01)
        sd[f"{p}.weight"] = w
        return w.abs().mean(dim=(1, 2, 3)) * (cin * k * k) ** 0.5  # alpha * typical |dot|

    def move(p: str, c: int) -> None:
        sd[f"{p}.bias"] = randn(1, c, 1, 1, std=0.3)

    def prelu(p: str, c: int) -> None:
        sd[f"{p}.weight"] = unif(-0.5, 1.0, c)

    sd["feature.0.conv1.weight"] = randn(32, 3, 3, 3, std=0.2)
    bn("feature.0.bn1", 32, torch.full((32,), 0.2 * 27 ** 0.5))
    for i in range(1, len(STAGES)):
        cin, cout, p = STAGES[i - 1], STAGES[i], f"feature.{i}"
        move(f"{p}.move11", cin)
        bn(f"{p}.bn1", cin, conv(f"{p}.binary_3x3", cin, cin, 3))
        move(f"{p}.move12", cin), prelu(f"{p}.prelu1", cin), move(f"{p}.move13", cin)
        move(f"{p}.move21", cin)
        if cin == cout:
            bn(f"{p}.bn2", cout, conv(f"{p}.binary_pw", cout, cin, 1))
        else:
            bn(f"{p}.bn2_1", cin, conv(f"{p}.binary_pw_down1", cin, cin, 1))
            bn(f"{p}.bn2_2", cin, conv(f"{p}.binary_pw_down2", cin, cin, 1))
        move(f"{p}.move22", cout), prelu(f"{p}.prelu2", cout), move(f"{p}.move23", cout)
    for blk in range(3):
        for j in range(4):
            p = f"mlp_layer.{blk}.mlp_layer.{j}"
            move(f"{p}.move0", 1024)
            dots = [conv(f"{p}.{c}", 1024, 1024, 1) for c in (["binary_conv", "binary_conv1", "binary_conv2"]
                                                               if j < 3 else ["binary_conv"])]
            bn(f"{p}.bn1", 1024, sum(d ** 2 for d in dots) ** 0.5)
            move(f"{p}.move1", 1024), prelu(f"{p}.prelu", 1024), move(f"{p}.move2", 1024)
    for fc in ("fc", "fc_dist"):
        sd[f"{fc}.weight"] = randn(1000, 1024, std=0.05)
        sd[f"{fc}.bias"] = randn(1000, std=0.1)
    return sd


# ---- a float evaluation of a_3.py's units --------------------------------------------------


def _bn(x: torch.Tensor, sd: dict, p: str) -> torch.Tensor:
    return F.batch_norm(x, sd[f"{p}.running_mean"], sd[f"{p}.running_var"], sd[f"{p}.weight"],
                        sd[f"{p}.bias"], False, 0.0, 1e-5)


def _bconv(x: torch.Tensor, w: torch.Tensor, stride: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """HardBinaryConv in eval: conv with alpha * sign(W), alpha = mean|W| of the latent weights;
    returns (alpha [C], the integer dot)."""
    alpha = w.abs().mean(dim=(1, 2, 3))
    return alpha, F.conv2d(x, torch.sign(w), stride=stride, padding=w.shape[-1] // 2)


def _bn_branches(branches: list[tuple[torch.Tensor, torch.Tensor]], sd: dict, p: str) -> tuple[torch.Tensor, torch.Tensor]:
    """BN of the sum of alpha_i * dot_i, and the bound of bnnforge's fold: per channel the gains
    alpha_i * gamma / sqrt(var + eps) share one exponent with 12-bit mantissas, so each errs by at
    most 2**-11 of the largest; the folded bias and the output round to the 2**-8 grid."""
    y = _bn(sum(a.view(1, -1, 1, 1) * d for a, d in branches), sd, p)
    inv = (sd[f"{p}.weight"] / torch.sqrt(sd[f"{p}.running_var"] + 1e-5)).abs()
    gmax = torch.stack([a * inv for a, _ in branches]).amax(0).view(1, -1, 1, 1)
    return y, gmax * sum(d.abs() for _, d in branches) * 2.0 ** -11 + LSB


def _rprelu(x: torch.Tensor, e_in: torch.Tensor, sd: dict, a: str, pr: str, b: str) -> tuple[torch.Tensor, torch.Tensor]:
    """PReLU(x + b1) + b2 and the bound of bnnforge's RPReLU given an input error e_in: b1, b2 and
    the product on the 2**-8 grid (half an LSB each), the slope on the 2**-6 grid (2**-7 times
    the negative input); near 0, where the two may take different sides, (2 + |a|) * error."""
    t = x + sd[f"{a}.bias"]
    slope = sd[f"{pr}.weight"].view(1, -1, 1, 1)
    e_t = e_in + LSB / 2
    bound = e_t * (2 + slope.abs()) + 2.0 ** -7 * t.clamp(max=0).abs() + 3 * LSB / 2
    return F.prelu(t, sd[f"{pr}.weight"]) + sd[f"{b}.bias"], bound


def _shift(x: torch.Tensor, d: int) -> torch.Tensor:
    x1, x2, x3, x4 = x.chunk(4, dim=1)
    return torch.cat([x1.roll(d, 2), x2.roll(-d, 2), x3.roll(d, 3), x4.roll(-d, 3)], 1)


def _ref_stem(pixels: torch.Tensor, sd: dict, pad_value_pixels_zero: bool) -> torch.Tensor:
    mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float64).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=torch.float64).view(1, 3, 1, 1)
    x = (pixels / 255.0 - mean) / std
    if pad_value_pixels_zero:  # pad as bnnforge does: with the normalised value of pixel 0
        x = F.pad(x - (-mean / std), (1, 1, 1, 1)) + (-mean / std)
        y = F.conv2d(x, sd["feature.0.conv1.weight"], stride=2)
    else:  # the reference: zero padding of the normalised image
        y = F.conv2d(x, sd["feature.0.conv1.weight"], stride=2, padding=1)
    return _bn(y, sd, "feature.0.bn1")


Unit = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # output, values before the sign, error bound


def _ref_half(x: torch.Tensor, sd: dict, i: int, second: bool, sign=torch.sign) -> Unit:
    """One half of a_3.py's BasicBlock i."""
    p, cin, cout = f"feature.{i}", STAGES[i - 1], STAGES[i]
    if not second:
        v = x + sd[f"{p}.move11.bias"]
        y, e = _bn_branches([_bconv(sign(v), sd[f"{p}.binary_3x3.weight"], _stride(i))], sd, f"{p}.bn1")
        short = F.avg_pool2d(x, 2, 2) if _stride(i) == 2 else x
        short_err = LSB / 2 if _stride(i) == 2 else 0.0  # bnnforge rounds the average onto the grid
        out, bound = _rprelu(short + y, e + short_err, sd, f"{p}.move12", f"{p}.prelu1", f"{p}.move13")
        return out, v, bound
    v = x + sd[f"{p}.move21.bias"]
    b = sign(v)
    names = [("binary_pw", "bn2")] if cin == cout else [(f"binary_pw_down{k}", f"bn2_{k}") for k in (1, 2)]
    parts = [_bn_branches([_bconv(b, sd[f"{p}.{conv}.weight"])], sd, f"{p}.{bn}") for conv, bn in names]
    y, e = torch.cat([y + x for y, _ in parts], 1), torch.cat([e for _, e in parts], 1)
    out, bound = _rprelu(y, e, sd, f"{p}.move22", f"{p}.prelu2", f"{p}.move23")
    return out, v, bound


def _ref_mlp(x: torch.Tensor, sd: dict, n: int, sign=torch.sign) -> Unit:
    """MLP-stage block n (0..11): ShiftBlock (distances 1 and 3) or PointBlock."""
    p = f"mlp_layer.{n // 4}.mlp_layer.{n % 4}"
    v = x + sd[f"{p}.move0.bias"]
    b = sign(v)
    branches = [_bconv(b, sd[f"{p}.binary_conv.weight"])]
    if n % 4 < 3:
        branches += [_bconv(_shift(b, 1), sd[f"{p}.binary_conv1.weight"]),
                     _bconv(_shift(b, 3), sd[f"{p}.binary_conv2.weight"])]
    y, e = _bn_branches(branches, sd, f"{p}.bn1")
    out, bound = _rprelu(y + x, e, sd, f"{p}.move1", f"{p}.prelu", f"{p}.move2")
    return out, v, bound


# ---- fixture: the converted model and its per-unit inputs and outputs -----------------------


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict:
    torch.set_num_threads(1)
    sd = _reference_state()
    d = tmp_path_factory.mktemp("ref")
    src = d / "ckpt.pth.tar"
    # the authors' saver: {"model": DistModule state dict (module. prefix), "optimizer": ..., "last_iter": ...}
    torch.save({"model": {f"module.{k}": v for k, v in sd.items()}, "last_iter": 600000}, src)
    out = d / "bcdnet-a.pt"
    p = run_cli("import-reference", str(src), "--model", "bcdnet-a", "--out", str(out), "--calibrate-images", "4",
                "--set", f"input_size={SIZE}")
    assert p.returncode == 0, p.stderr
    model = models.load(out)
    units = [m for m in model.modules() if isinstance(m, (ConvHalf, BinaryMLPBlock, PointBlock))]
    record: dict = {"in": {}, "out": {}, "signs": {}}

    def keep(key: object, signs: bool = False):  # a forward hook that returns None: outputs unchanged
        def hook(_m: torch.nn.Module, inp: tuple, out: torch.Tensor) -> None:
            if signs:
                record["signs"][key] = out
            else:
                record["in"][key], record["out"][key] = inp[0], out
        return hook

    hooks = [model.stem.register_forward_hook(keep("stem")), model.classifier.register_forward_hook(keep("fc"))]
    for u in units:
        hooks.append(u.register_forward_hook(keep(id(u))))
        hooks.append(u.rsign.register_forward_hook(keep(id(u), signs=True)))
    x = torch.randint(0, 256, (2, 3, SIZE, SIZE), generator=torch.Generator().manual_seed(1)).float()
    with torch.no_grad():
        logits = model(x)
    for h in hooks:
        h.remove()
    sd = {k: v.double() for k, v in sd.items()}  # the float evaluation runs in float64
    return {"sd": sd, "model": model, "units": units, "record": record, "x": x, "logits": logits, "ckpt": out}


def _assert_close(ours: torch.Tensor, ref: torch.Tensor, tol: torch.Tensor | float, what: str) -> None:
    err = (ours.double() - ref.double()).abs()
    assert bool((err <= tol).all()), f"{what}: error {float(err.max()):.4g} beyond the fixed-point bound"


def test_stem_folds_the_input_normalisation(converted: dict) -> None:
    sd, model, x = converted["sd"], converted["model"], converted["x"].double()
    ours = converted["record"]["out"]["stem"]
    # bound: the 8-bit weights' rounding, times the pixels, through the BN gain; the gain's
    # 12-bit mantissa, the bias and the output rounding
    wq = model.stem.conv.quant_weight().value.double()
    w = model.stem.conv.weight.double()
    n = model.stem.bn.norm
    gain = (n.weight / torch.sqrt(n.running_var + n.eps)).double().view(1, -1, 1, 1)
    conv_err = F.conv2d(x, (wq - w).abs(), stride=2, padding=1)
    conv = F.conv2d(x, wq, stride=2, padding=1)
    tol = gain.abs() * conv_err + gain.abs() * conv.abs() * 2.0 ** -11 + 2 * LSB
    _assert_close(ours, _ref_stem(x, sd, pad_value_pixels_zero=True), tol, "stem")
    # the documented difference: the reference pads the normalised image, so only the
    # border ring of the stem output differs from bnnforge's pixel padding
    plain = _ref_stem(x, sd, pad_value_pixels_zero=False)
    _assert_close(ours[..., 1:, 1:], plain[..., 1:, 1:], tol[..., 1:, 1:], "stem interior")
    assert float((ours[..., 0, :] - plain[..., 0, :]).abs().max()) > 0.1


def test_every_unit_matches_the_float_reference(converted: dict) -> None:
    sd, rec = converted["sd"], converted["record"]
    halves = [u for u in converted["units"] if isinstance(u, ConvHalf)]
    mlps = [u for u in converted["units"] if not isinstance(u, ConvHalf)]
    assert len(halves) == 20 and len(mlps) == 12
    cases = [(u, lambda x, f, i=k // 2 + 1, s=k % 2 == 1: _ref_half(x, sd, i, s, f)) for k, u in enumerate(halves)]
    cases += [(u, lambda x, f, n=n: _ref_mlp(x, sd, n, f)) for n, u in enumerate(mlps)]
    ambiguous = total = 0
    for k, (unit, ref_fn) in enumerate(cases):
        x = rec["in"][id(unit)].double()
        ours_bits = rec["signs"][id(unit)].double()
        _, pre_sign, _ = ref_fn(x, torch.sign)
        # the threshold rounds to the 2**-8 grid: only values within half an LSB of it may differ
        clear = pre_sign.abs() > LSB / 2 + 1e-9
        assert torch.equal(ours_bits[clear], torch.where(pre_sign[clear] >= 0, 1.0, -1.0).double()), f"unit {k} bits"
        ambiguous, total = ambiguous + int((~clear).sum()), total + clear.numel()
        # the float evaluation with bnnforge's bit where the value sits on the rounded threshold:
        # then the output lies within the fixed-point error
        ref, _, bound = ref_fn(x, lambda v: torch.where(clear, torch.sign(v), ours_bits))
        _assert_close(rec["out"][id(unit)], ref, bound, f"unit {k}")
    assert ambiguous < 0.01 * total


def test_classifier_averages_both_heads(converted: dict) -> None:
    sd, rec, model = converted["sd"], converted["record"], converted["model"]
    pooled = rec["in"]["fc"].double()
    w = ((sd["fc.weight"] + sd["fc_dist.weight"]) / 2).double()
    ref = pooled @ w.T + ((sd["fc.bias"] + sd["fc_dist.bias"]) / 2).double()
    lin = model.classifier.linear
    in_scale = model.classifier.input_threshold() / 128
    w_err = (lin.quant_weight().value.double() - w).abs()
    tol = pooled.abs() @ w_err.T + (in_scale / 2) * w.abs().sum(1) + (in_scale / 2) * w_err.sum(1) + 2 * LSB
    assert float(pooled.abs().max()) < model.classifier.input_threshold()  # calibrated: no saturation
    _assert_close(rec["out"]["fc"], ref, tol, "classifier")


def test_mapping_errors_are_seen(converted: dict) -> None:
    """The unit comparison can fail: the short and long branch weights of one ShiftBlock
    swapped, or a bias before a sign taken with the reference's sign, is caught."""
    sd, model = converted["sd"], converted["model"]
    block = next(u for u in converted["units"] if isinstance(u, BinaryMLPBlock))
    x = converted["record"]["in"][id(block)]
    bits = converted["record"]["signs"][id(block)].double()
    ref, _, tol = _ref_mlp(x.double(), sd, 0, lambda v: torch.where(v.abs() > LSB / 2 + 1e-9, torch.sign(v), bits))
    saved = {k: v.clone() for k, v in block.state_dict().items()}
    try:
        with torch.no_grad():
            block.short_conv.weight.copy_(saved["long_conv.weight"])
            block.long_conv.weight.copy_(saved["short_conv.weight"])
            swapped = block(x)
            block.load_state_dict(saved)
            block.rsign.threshold.neg_()
            flipped = block(x)
    finally:
        block.load_state_dict(saved)
    assert bool(((block(x).double() - ref).abs() <= tol).all())  # as converted: within the bound
    for wrong in (swapped, flipped):
        assert bool(((wrong.double() - ref).abs() > tol).any())


def test_imported_checkpoint_records_its_source(converted: dict) -> None:
    ckpt = models.read_checkpoint(converted["ckpt"])
    assert ckpt["model"] == "bcdnet-a" and ckpt["config"]["long_range"] == 3 and ckpt["config"]["input_size"] == SIZE
    m = ckpt["metrics"]
    assert m["imported_from"]["file"] == "ckpt.pth.tar" and len(m["imported_from"]["sha256"]) == 64
    zeros = sum(int((v == 0).sum()) for k, v in converted["sd"].items() if v.dim() == 4 and not k.startswith("feature.0."))
    assert m["calibration"]["count"] == 4 and m["binary_weights_exactly_zero"] == zeros
    # the logits do not all agree by accident
    assert len(torch.unique(converted["logits"])) > 100


# ---- bad input ------------------------------------------------------------------------------


def _shapes_only() -> dict[str, torch.Tensor]:
    """The reference's names and shapes without values (the checks read shapes only)."""
    return {k: torch.empty(v.shape) for k, v in _reference_state_shapes().items()}


_SHAPES: dict[str, torch.Tensor] = {}


def _reference_state_shapes() -> dict[str, torch.Tensor]:
    if not _SHAPES:
        _SHAPES.update({k: torch.empty(0).new_empty(v.shape) for k, v in _reference_state(seed=5).items()})
    return _SHAPES


def test_a_complete_state_dict_passes_the_check() -> None:
    assert check_reference_state(_shapes_only()) == 1000


def test_bad_state_dicts_name_the_first_offending_keys() -> None:
    sd = _shapes_only()
    del sd["feature.3.bn1.running_var"], sd["mlp_layer.2.mlp_layer.3.prelu.weight"]
    with pytest.raises(BnnforgeError, match=r"2 missing: feature\.3\.bn1\.running_var, "
                                            r"mlp_layer\.2\.mlp_layer\.3\.prelu\.weight$"):
        check_reference_state(sd)
    sd = _shapes_only()
    sd["feature.4.extra.weight"] = torch.empty(3)
    with pytest.raises(BnnforgeError, match=r"1 unexpected: feature\.4\.extra\.weight"):
        check_reference_state(sd)
    sd = _shapes_only()
    sd["feature.2.binary_3x3.weight"] = torch.empty(128, 64, 1, 1)
    with pytest.raises(BnnforgeError, match=r"1 of another shape: feature\.2\.binary_3x3\.weight "
                                            r"\(128, 64, 1, 1\) \(expected \(64, 64, 3, 3\)\)"):
        check_reference_state(sd)


def test_another_models_layout() -> None:
    """ReActNet-A's layout (13 conv blocks: 512 x 6 and 1024 x 2, no MLP stage)."""
    sd = {k: v for k, v in _shapes_only().items() if not k.startswith("mlp_layer.")}
    for k in [k for k in sd if k.startswith("feature.10.")]:
        sd[k.replace("feature.10.", "feature.12.")] = sd.pop(k)
    for i in (10, 11):
        for k in [k for k in sd if k.startswith("feature.9.")]:
            sd[k.replace("feature.9.", f"feature.{i}.")] = sd[k]
    with pytest.raises(BnnforgeError) as e:
        check_reference_state(sd)
    msg = str(e.value)
    assert "not a bcdnet-a state dict in the authors' layout" in msg
    # its 512 -> 512 block where BCDNet-A downsamples, its later blocks, no MLP stage
    assert "missing: feature.10.binary_pw_down1.weight, feature.10.binary_pw_down2.weight" in msg
    assert "unexpected: feature.12.move11.bias, feature.12.binary_3x3.weight" in msg
    assert "of another shape: feature.10.move22.bias (1, 512, 1, 1) (expected (1, 1024, 1, 1))" in msg


def test_bad_files_through_the_cli(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.pt"
    torch.save({"model": {"module.fc.weight": torch.zeros(10, 1024)}}, bogus)
    p = cli_in_process("import-reference", str(bogus), "--out", str(tmp_path / "o.pt"))
    assert p.returncode == 2 and p.stderr.count("\n") == 1
    assert "missing: feature.0.conv1.weight, feature.0.bn1.weight, feature.0.bn1.bias and" in p.stderr
    ours = tmp_path / "ours.pt"
    models.save(models.create("bcdnet-a-tiny"), ours, {})
    p = cli_in_process("import-reference", str(ours), "--out", str(tmp_path / "o.pt"))
    assert p.returncode == 2 and "already a bnnforge checkpoint" in p.stderr
    p = cli_in_process("import-reference", str(bogus), "--model", "bcdnet-b", "--out", str(tmp_path / "o.pt"))
    assert p.returncode == 2 and "no reference layout for model 'bcdnet-b'" in p.stderr
    assert not (tmp_path / "o.pt").exists()


def test_convert_leaves_nothing_unset() -> None:
    m = models.create("bcdnet-a", input_size=32, long_range=0)
    state = convert_state({k: torch.zeros(v.shape) for k, v in _reference_state_shapes().items()}, m)
    assert set(state) == set(m.state_dict())
