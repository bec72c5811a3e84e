"""Benchmark: tiny BCDNet vs ReActNet vs FTBNN on digits at matched OPs (not pass/fail).

Trains each family's tiny model with the default two-step recipe (the same as
`bnnforge train MODEL --dataset digits`) and records test accuracy (fixed-point
semantics), wall time on this machine and the op counts, to bench/results/train_digits.json.

    .venv/bin/python bench/train_digits.py [--seeds 0 1] [--models bcdnet-tiny ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from bnnforge.quant.train import TrainConfig, train

RESULTS = Path(__file__).parent / "results" / "train_digits.json"
MODELS = ["bcdnet-tiny", "reactnet-tiny", "ftbnn-tiny"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=MODELS)
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    runs = []
    for name in args.models:
        for seed in args.seeds:
            t0 = time.time()
            model, m = train(TrainConfig(model=name, seed=seed, progress=False))
            runs.append({"model": name, "seed": seed, "test_accuracy": m["test_accuracy"],
                         "step1_accuracy": m["step1_accuracy"], "wall_seconds": round(time.time() - t0, 1),
                         "epochs": m["epochs"], "config": model.params, "ops": m["ops"],
                         "parameters": sum(p.numel() for p in model.parameters())})
            print(json.dumps(runs[-1]))
    result = {"benchmark": "train_digits", "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
              "target": "bcdnet-tiny >= 0.95 test accuracy in <= 300 s on 2 cores", "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
