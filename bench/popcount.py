"""Benchmark: the constant-weight XNOR-popcount (bnf_xnor_popcount -> bnf_popcount, carry-chain
counting) against a plain behavioural loop `c = c + (x[i] ~^ w[i])`, both synthesized in one
Yosys run (synth_xilinx -family xc7 -flatten, the same random weights). A record, not
pass/fail. Results: bench/results/popcount.json.

    .venv/bin/python bench/popcount.py [--n 64 256 1024]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bnnforge.generator.hwops.mvau import popcount_luts
from bnnforge.generator.synth import COMBINATIONAL_CELLS, parse_stat, yosys_exe, yosys_version
from bnnforge.sim.runner import rtl_sources

RESULTS = Path(__file__).parent / "results" / "popcount.json"
SOURCES = ("bnf_count6.v", "bnf_popcount.v", "bnf_xnor_popcount.v")

BEHAVIOURAL = """
module popcount_loop #(parameter integer N = 64, parameter [N-1:0] WEIGHTS = {N{1'b1}}) (
    input  wire [N-1:0] x,
    output reg  [$clog2(N+1)-1:0] count
);
    integer i;
    always @* begin
        count = 0;
        for (i = 0; i < N; i = i + 1) count = count + {1'b0, x[i] ~^ WEIGHTS[i]};
    end
endmodule
"""


def run(n: int) -> dict:
    weights = random.Random(n).getrandbits(n)
    with tempfile.TemporaryDirectory() as tmp:
        for src in rtl_sources(*SOURCES):
            shutil.copy(src, tmp)
        (Path(tmp) / "popcount_loop.v").write_text(BEHAVIOURAL)
        params = f"-set N {n} -set WEIGHTS {n}'h{weights:x}"
        script = [f"read_verilog -defer {' '.join(SOURCES)} popcount_loop.v", "design -save read"]
        for i, top in enumerate(("bnf_xnor_popcount", "popcount_loop")):
            script += ["design -load read", f"chparam {params} {top}", f"hierarchy -top {top}",
                       f"synth_xilinx -family xc7 -flatten -top {top}", f"tee -q -o stat{i}.txt stat",
                       f"tee -q -o ltp{i}.txt ltp -noff {COMBINATIONAL_CELLS} w:*"]
        (Path(tmp) / "run.ys").write_text("\n".join(script) + "\n")
        start = time.monotonic()
        subprocess.run([yosys_exe(), "-q", "-s", "run.ys"], cwd=tmp, check=True, capture_output=True, timeout=3600)
        seconds = round(time.monotonic() - start, 1)
        ours, loop = (parse_stat((Path(tmp) / f"stat{i}.txt").read_text()) for i in range(2))
    return {"N": n, "weights": f"{n}'h{weights:x}", "ours": ours, "behavioural": loop,
            "lut_per_bit": round(ours["lut"] / n, 3), "carry4_per_bit": round(ours["carry4"] / n, 3),
            "ratio_to_behavioural": round(ours["lut"] / loop["lut"], 3), "estimate": popcount_luts(n),
            "estimate_error": round(popcount_luts(n) / ours["lut"] - 1, 3), "seconds_both": seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="*", default=[64, 256, 1024])
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    rows = []
    for n in args.n:
        row = run(n)
        rows.append(row)
        print(json.dumps({k: row[k] for k in ("N", "lut_per_bit", "carry4_per_bit", "ratio_to_behavioural",
                                              "estimate_error")}), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"tool": f"{yosys_version()}: synth_xilinx -family xc7 -flatten, both in one run",
                                    "results": rows}, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
