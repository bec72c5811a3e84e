"""BOPs, FLOPs and OPs as the BCDNet paper counts them: OPs = BOPs / 64 + FLOPs.

BOPs are binary multiply-accumulates (XNOR + popcount lanes). FLOPs are full-precision
multiply-accumulates: the 8-bit first layer and classifier, the context maps of BCDNet-B,
and one MAC per element for each real-valued op on the residual stream (batch norm per
branch, RSign threshold, residual add, RPReLU/FPReLU, average pools).

Counting runs one forward pass with hooks on every layer that has `op_count`, so it sees
the real shapes of the model as built (input size, strides, channel doubling).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn


def count_ops(model: nn.Module, name: str | None = None) -> dict:
    """Per-layer and total {"bops", "flops", "ops"} for one input image."""
    rows: "OrderedDict[str, dict]" = OrderedDict()
    hooks = []

    def hook(mod_name: str):
        def fn(module: nn.Module, inp: tuple, out: torch.Tensor) -> None:
            first = inp[0] if inp else out
            if isinstance(first, (list, tuple)):  # branch lists of ScaledBatchNorm
                first = first[0]
            bops, flops = module.op_count(first, out)
            row = rows.setdefault(mod_name, {"name": mod_name, "op": type(module).__name__,
                                             "bops": 0.0, "flops": 0.0})
            row["bops"] += bops
            row["flops"] += flops
        return fn

    for mod_name, module in model.named_modules():
        if hasattr(module, "op_count"):
            hooks.append(module.register_forward_hook(hook(mod_name)))
    was_training = model.training
    try:
        model.eval()
        shape = getattr(model, "input_shape")
        with torch.no_grad():
            model(torch.zeros((1, *shape)))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    layers = []
    for row in rows.values():
        row["ops"] = row["bops"] / 64.0 + row["flops"]
        layers.append(row)
    total = {k: float(sum(r[k] for r in layers)) for k in ("bops", "flops")}
    total["ops"] = total["bops"] / 64.0 + total["flops"]
    return {"model": name or getattr(model, "name", type(model).__name__), "layers": layers, "total": total}


def format_table(report: dict) -> str:
    lines = [f"{'layer':<44} {'op':<18} {'BOPs':>11} {'FLOPs':>11} {'OPs':>11}"]
    for r in report["layers"]:
        lines.append(f"{r['name']:<44} {r['op']:<18} {r['bops']:>11.4g} {r['flops']:>11.4g} {r['ops']:>11.4g}")
    t = report["total"]
    lines.append(f"{'total (' + report['model'] + ')':<63} {t['bops']:>11.4g} {t['flops']:>11.4g} {t['ops']:>11.4g}")
    return "\n".join(lines)
