"""`bnnforge demo`: the embedded default, end to end, on the shipped bcdnet-tiny checkpoint.

It loads (or retrains) the tiny BCDNet, checks that its accuracy on the digits test split,
evaluated with the hardware's fixed-point semantics, is the accuracy recorded in the
checkpoint, counts its operations, builds the folded dataflow graph (FINN streamlining,
bnnforge hardware ops, auto folding) and runs the test images through the ops' golden
models, which must match PyTorch bit for bit, and writes the graph, its estimates next to
FINN's and a summary. HLS/RTL generation of the whole network joins when `build` exists.
"""

from __future__ import annotations

import json
import time
from importlib import resources
from pathlib import Path

from bnnforge.quant.errors import BnnforgeError

DEMO_MODEL = "bcdnet-tiny"
DEFAULT_OUT = Path("bnnforge-demo")


def shipped_checkpoint() -> Path:
    """The bcdnet-tiny checkpoint that ships inside the package."""
    return Path(str(resources.files("bnnforge.quant.checkpoints") / f"{DEMO_MODEL}.pt"))


def run_demo(out: Path | None = None, retrain: bool = False) -> int:
    from bnnforge.quant import models
    from bnnforge.quant.data import load_digits_split
    from bnnforge.quant.opcount import count_ops
    from bnnforge.quant.train import TrainConfig, evaluate, train_and_save

    out = Path(out or DEFAULT_OUT)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = shipped_checkpoint()
    if retrain or not ckpt_path.is_file():
        ckpt_path = out / f"{DEMO_MODEL}.pt"
        print(f"[1/4] training {DEMO_MODEL} on digits (two-step binary QAT) -> {ckpt_path}")
        train_and_save(TrainConfig(model=DEMO_MODEL), ckpt_path)
    else:
        print(f"[1/4] loading the shipped checkpoint {ckpt_path.name}")
    ckpt = models.read_checkpoint(ckpt_path)
    model = models.load(ckpt_path)

    print("[2/4] evaluating with fixed-point (hardware) semantics on the digits test split")
    t0 = time.time()
    _, _, x_te, y_te = load_digits_split(model.input_shape[1])
    acc = evaluate(model, x_te, y_te)
    recorded = ckpt["metrics"]["test_accuracy"]
    print(f"      accuracy {acc:.4f} on {len(y_te)} images ({time.time() - t0:.1f} s); "
          f"recorded at training time {recorded:.4f}")
    if acc != recorded:
        raise BnnforgeError(f"re-evaluated accuracy {acc} differs from the checkpoint's {recorded}: "
                            "the model is not reproducible")

    print("[3/4] counting operations")
    ops = count_ops(model, name=DEMO_MODEL)
    t = ops["total"]
    print(f"      BOPs {t['bops']:.4g}  FLOPs {t['flops']:.4g}  OPs {t['ops']:.4g}")

    print("[4/4] dataflow graph: FINN streamlining, hardware ops, auto folding, golden model")
    t0 = time.time()
    hw = _dataflow(model, x_te, y_te, out)
    print(f"      {hw['hw_ops']} hardware ops; golden model: accuracy {hw['accuracy']:.4f}, "
          f"{hw['golden_mismatches']} of {len(y_te)} images differ from PyTorch ({time.time() - t0:.1f} s)")
    print(f"      estimate {hw['totals']['lut']} LUT, {hw['totals']['bram18']} BRAM18, {hw['totals']['dsp']} DSP; "
          f"{hw['cycles_per_frame']} cycles/frame")
    if hw["golden_mismatches"]:
        raise BnnforgeError("the dataflow graph's golden model differs from PyTorch: a bug")

    summary = {"model": DEMO_MODEL, "config": ckpt["config"], "checkpoint": str(ckpt_path),
               "accuracy": {"torch": acc, "hardware": hw["accuracy"], "images": len(y_te)},
               "verification": {"images": len(y_te), "golden_mismatches": hw["golden_mismatches"]},
               "estimate": {"totals": hw["totals"], "cycles_per_frame": hw["cycles_per_frame"]},
               "ops": t, "layers": ops["layers"]}
    tmp = out / "summary.json.partial"
    tmp.write_text(json.dumps(summary, indent=2))
    tmp.replace(out / "summary.json")
    print(f"wrote {out / 'summary.json'}")
    return 0


def _dataflow(model, x, y, out: Path) -> dict:  # noqa: ANN001
    """Write the folded graph next to the summary and check its golden model on the images."""
    import numpy as np
    import torch

    from bnnforge.generator.dataflow import build_dataflow, run_dataflow
    from bnnforge.generator.graph import save_graph
    from bnnforge.generator.lower import lower

    streamlined, graph = build_dataflow(model, batch=1)
    report = save_graph(model.name, graph, out / "graph.onnx")
    logits = run_dataflow(lower(streamlined, batch=len(x)), x.numpy())
    with torch.no_grad():
        want = model(x).double().numpy()
    mismatches = int((logits != want).any(axis=1).sum())
    accuracy = float((np.argmax(logits, axis=1) == y.numpy()).mean())
    return {"hw_ops": len(report["layers"]), "golden_mismatches": mismatches, "accuracy": accuracy,
            "totals": report["totals"]["estimate"], "cycles_per_frame": report["throughput"]["cycles_per_frame_estimate"]}
