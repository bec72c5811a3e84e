"""The command line: bad input gives one clear line on stderr, exit status 2, no output file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import torch

from bnnforge.generator.demo import shipped_checkpoint
from bnnforge.quant import models
from tests.conftest import run_cli


def test_models_lists_the_zoo() -> None:
    p = run_cli("models", "--json")
    assert p.returncode == 0, p.stderr
    assert [r["name"] for r in json.loads(p.stdout)] == models.names()
    text = run_cli("models").stdout
    assert "bcdnet-tiny" in text and "224" in text


def test_unknown_model_names_the_known_ones() -> None:
    p = run_cli("ops", "bcdnet-q")
    assert p.returncode == 2
    assert "unknown model 'bcdnet-q'" in p.stderr and "reactnet-a" in p.stderr and "ftbnn-tiny" in p.stderr
    assert "Traceback" not in p.stderr


def test_input_size_the_model_cannot_take() -> None:
    p = run_cli("ops", "bcdnet-tiny", "--set", "input_size=7")
    assert p.returncode == 2
    assert "cannot take input 1x7x7" in p.stderr and "Traceback" not in p.stderr


def test_train_unknown_model_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "x.pt"
    p = run_cli("train", "no-such-net", "--out", str(out), "--quiet")
    assert p.returncode == 2 and "unknown model" in p.stderr
    assert not out.exists()


def test_export_corrupt_checkpoint(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00garbage")
    out = tmp_path / "m.onnx"
    p = run_cli("export", str(bad), "--out", str(out))
    assert p.returncode == 2 and "corrupt" in p.stderr and "Traceback" not in p.stderr
    assert list(tmp_path.iterdir()) == [bad]


def test_export_mismatched_checkpoint(tmp_path: Path) -> None:
    ckpt = models.read_checkpoint(shipped_checkpoint())
    ckpt["config"] = {**ckpt["config"], "depth": ckpt["config"]["depth"] + 1}
    p_ckpt = tmp_path / "mismatch.pt"
    torch.save(ckpt, p_ckpt)
    p = run_cli("export", str(p_ckpt), "--out", str(tmp_path / "m.onnx"))
    assert p.returncode == 2 and "does not match model" in p.stderr
    assert not (tmp_path / "m.onnx").exists()


def test_export_missing_checkpoint(tmp_path: Path) -> None:
    p = run_cli("export", str(tmp_path / "nope.pt"), "--out", str(tmp_path / "m.onnx"))
    assert p.returncode == 2 and "does not exist" in p.stderr


def test_export_writes_qonnx(tmp_path: Path) -> None:
    import onnx

    out = tmp_path / "m.onnx"
    p = run_cli("export", str(shipped_checkpoint()), "--out", str(out))
    assert p.returncode == 0, p.stderr
    ops = {n.op_type for n in onnx.load(str(out)).graph.node}
    assert {"BipolarQuant", "Quant", "Conv"} <= ops
    assert not (tmp_path / "m.onnx.partial").exists()


def test_bad_set_syntax() -> None:
    p = run_cli("ops", "bcdnet-tiny", "--set", "width")
    assert p.returncode == 2 and "KEY=VALUE" in p.stderr


@pytest.mark.verilator
def test_demo_end_to_end(tmp_path: Path) -> None:
    """The demo builds, C-simulates and RTL-simulates the shipped model with 0 mismatches, and
    keeps third-party warnings off the terminal."""
    out = tmp_path / "demo"
    p = run_cli("demo", "--out", str(out), timeout=1200)
    assert p.returncode == 0, p.stdout + p.stderr
    r = json.loads((out / "report.json").read_text())
    v = r["verification"]
    assert r["model"] == "bcdnet-tiny" and r["accuracy"]["torch"] >= 0.95 and r["accuracy"]["images"] == 360
    assert r["accuracy"]["hardware"] == r["accuracy"]["torch"]
    assert (v["golden_mismatches"], v["csim_mismatches"], v["rtl_mismatches"]) == (0, 0, 0)
    assert v["rtl_images"] >= 32 and v["rtl_simulator"] == "verilator" and r["device"]["fits"]
    assert r["throughput"]["cycles_per_frame_sim"] and r["latency"]["cycles_sim"]
    for f in ("hls/build_prj.tcl", "rtl/filelist.f", "finn/model.onnx", "build.json"):
        assert (out / f).is_file()
    text = p.stdout + p.stderr
    assert "Warning" not in text and "warn" not in text.lower(), text
    assert "RTL simulation" in p.stdout and "fits xc7z020clg400-1: yes" in p.stdout
    assert len(p.stdout.splitlines()) < 60


def test_graph_writes_an_executable_folded_graph(tmp_path: Path) -> None:
    import numpy as np
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx

    import bnnforge.generator  # noqa: F401  (resolves the hardware-op domain)
    from bnnforge.quant.data import load_digits_split

    out = tmp_path / "g.onnx"
    p = run_cli("graph", str(shipped_checkpoint()), "--out", str(out), "--target-cycles", "256")
    assert p.returncode == 0, p.stderr
    assert "frames/s" in p.stdout
    folding = json.loads((tmp_path / "g.folding.json").read_text())
    estimate = json.loads((tmp_path / "g.estimate.json").read_text())
    assert estimate["throughput"]["cycles_per_frame_estimate"] <= 256
    assert {row["name"] for row in estimate["layers"]} >= set(folding)
    graph = ModelWrapper(str(out))
    assert all(n.domain == "bnnforge.generator.hwops" for n in graph.graph.node)
    model = models.load(shipped_checkpoint())
    _, _, x, _ = load_digits_split(8)
    for img in x[:5]:
        codes = execute_onnx(graph, {"global_in": img.permute(1, 2, 0)[None].numpy()})
        with torch.no_grad():
            want = model(img[None]).numpy()
        assert np.array_equal(codes[graph.graph.output[0].name] / 256.0, want)


def test_graph_bad_folding_writes_nothing(tmp_path: Path) -> None:
    fold = tmp_path / "fold.json"
    fold.write_text(json.dumps({"BinaryMVAU_0": {"PE": 7}}))
    p = run_cli("graph", str(shipped_checkpoint()), "--out", str(tmp_path / "g.onnx"), "--fold", str(fold))
    assert p.returncode == 2
    assert "BinaryMVAU_0" in p.stderr and "PE=7 is not legal" in p.stderr and "Traceback" not in p.stderr
    assert sorted(f.name for f in tmp_path.iterdir()) == ["fold.json"]
