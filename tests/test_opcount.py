"""Op counts reproduce the BCDNet paper's Table 1: BOPs within 0.5%, OPs within 5% (our
FLOPs also count the per-element ops on the residual stream, see the README)."""

from __future__ import annotations

import json

import pytest

from bnnforge.quant import models
from bnnforge.quant.opcount import count_ops
from tests.conftest import run_cli

# Table 1 of the BCDNet paper: (BOPs, OPs)
PAPER = {"reactnet-a": (4.82e9, 1.06e8), "bcdnet-a": (4.82e9, 1.08e8)}


@pytest.mark.parametrize("name", sorted(PAPER))
def test_paper_rows(name: str) -> None:
    t = count_ops(models.create(name))["total"]
    bops, ops = PAPER[name]
    assert abs(t["bops"] / bops - 1) < 0.005, t
    assert abs(t["ops"] / ops - 1) < 0.05, t
    assert t["ops"] == pytest.approx(t["bops"] / 64 + t["flops"])


def test_layer_rows_add_up_and_binary_convs_are_bops() -> None:
    r = count_ops(models.create("bcdnet-tiny"))
    assert sum(l["bops"] for l in r["layers"]) == r["total"]["bops"]
    convs = [l for l in r["layers"] if l["op"] == "BinaryConv2d"]
    # the MLP stage: 2 ShiftBlocks of 3 branches and a PointBlock, each a 32x32 1x1 conv on 4x4
    mlp = [l for l in convs if "_conv" in l["name"]]
    assert len(mlp) == 7 and {l["bops"] for l in mlp} == {32 * 32 * 16.0}
    assert all(l["flops"] == 0 for l in convs)


def test_ops_cli_json() -> None:
    p = run_cli("ops", "bcdnet-tiny", "--json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["model"] == "bcdnet-tiny"
    assert set(data["total"]) == {"bops", "flops", "ops"}
    assert data["layers"] and all({"name", "bops", "flops", "ops"} <= set(l) for l in data["layers"])
