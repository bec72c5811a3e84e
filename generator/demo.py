"""`bnnforge demo`: the embedded default, end to end, on the shipped bcdnet-tiny checkpoint.

Today the demo covers the model side: it loads (or retrains) the tiny BCDNet, checks that
its accuracy on the digits test split, evaluated with the hardware's fixed-point semantics,
is the accuracy recorded in the checkpoint, counts its operations and writes a summary.
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
        print(f"[1/3] training {DEMO_MODEL} on digits (two-step binary QAT) -> {ckpt_path}")
        train_and_save(TrainConfig(model=DEMO_MODEL), ckpt_path)
    else:
        print(f"[1/3] loading the shipped checkpoint {ckpt_path.name}")
    ckpt = models.read_checkpoint(ckpt_path)
    model = models.load(ckpt_path)

    print("[2/3] evaluating with fixed-point (hardware) semantics on the digits test split")
    t0 = time.time()
    _, _, x_te, y_te = load_digits_split(model.input_shape[1])
    acc = evaluate(model, x_te, y_te)
    recorded = ckpt["metrics"]["test_accuracy"]
    print(f"      accuracy {acc:.4f} on {len(y_te)} images ({time.time() - t0:.1f} s); "
          f"recorded at training time {recorded:.4f}")
    if acc != recorded:
        raise BnnforgeError(f"re-evaluated accuracy {acc} differs from the checkpoint's {recorded}: "
                            "the model is not reproducible")

    print("[3/3] counting operations")
    ops = count_ops(model, name=DEMO_MODEL)
    t = ops["total"]
    print(f"      BOPs {t['bops']:.4g}  FLOPs {t['flops']:.4g}  OPs {t['ops']:.4g}")

    summary = {"model": DEMO_MODEL, "config": ckpt["config"], "checkpoint": str(ckpt_path),
               "accuracy": {"torch": acc, "images": len(y_te)}, "ops": t, "layers": ops["layers"]}
    tmp = out / "summary.json.partial"
    tmp.write_text(json.dumps(summary, indent=2))
    tmp.replace(out / "summary.json")
    print(f"wrote {out / 'summary.json'}")
    return 0
