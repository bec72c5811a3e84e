"""Shared by the RTL tests: run a hardware op's RTL under cocotb against its golden model."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from bnnforge.sim.ports import in_port, out_port
from bnnforge.sim.runner import rtl_sources, run_stream_test

BUILD_ROOT = Path(__file__).resolve().parent.parent / ".sim_build"


def run_op_rtl(op, simulator: str, inputs: list[np.ndarray], weights: np.ndarray | None, expected: np.ndarray,
               stall: float, seed: int = 0) -> dict:  # noqa: ANN001
    """Drive the op's RTL with `inputs` (golden-model tensors), compare with `expected`.

    `op.in_words` / `op.out_words` return one word list (ports in0_V / out0_V) or a dict
    {port: words} for ops with several streams."""
    params = dict(op.rtl_parameters())
    mems = op.rtl_memories(weights) if weights is not None else {}
    digest = hashlib.sha1("".join(sorted(mems.values())).encode()).hexdigest()[:12]
    mem_dir = BUILD_ROOT / "mem" / digest
    mem_dir.mkdir(parents=True, exist_ok=True)
    for name, text in mems.items():
        path = mem_dir / f"{name.lower()}.mem"
        if not path.exists():  # content-addressed; written atomically for parallel workers
            tmp = path.with_name(f"{path.name}.{os.getpid()}")
            tmp.write_text(text)
            tmp.replace(path)
        params[name] = f'"{path}"'  # a Verilog string literal for -P / -G
    in_words = op.in_words(*inputs)
    streams = in_words if isinstance(in_words, dict) else {in_port(0): in_words}
    out_words = op.out_words(expected)
    outs = out_words if isinstance(out_words, dict) else {out_port(0): out_words}
    vectors = {"inputs": streams, "outputs": outs, "stall": stall, "seed": seed,
               "timeout_cycles": 50 * (sum(map(len, streams.values())) + sum(map(len, outs.values()))) + 1000}
    return run_stream_test(simulator, op.rtl_top, rtl_sources(*op.rtl_files), params, vectors, BUILD_ROOT)
