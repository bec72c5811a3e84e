"""bnf_popcount (carry-chain counting) is bit-exact: every input vector for small N, random
vectors (plus all-zero, all-one and the weight pattern itself) for large N, with and without
INVERT (constant-weight XNOR), through bnf_popcount and bnf_xnor_popcount, in Icarus and in
Verilator; and the output width parameter W (wider and narrower than the count's own)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from bnnforge.sim.runner import rtl_sources

SOURCES = ("bnf_count6.v", "bnf_popcount.v", "bnf_xnor_popcount.v")

# a testbench that applies every vector of vec.mem and prints one count per line
TB = """
module tb;
    reg [{n}-1:0] mem [0:{m}-1];
    reg [{n}-1:0] x;
    wire [{w}-1:0] a;
    wire [{w}-1:0] b;
    bnf_popcount #(.N({n}), .W({w}), .INVERT({inv})) u_pc (.bits(x), .count(a));
    bnf_xnor_popcount #(.N({n}), .W({w}), .WEIGHTS(~{inv})) u_xpc (.x(x), .count(b));
    integer i;
    initial begin
        $readmemh("vec.mem", mem);
        for (i = 0; i < {m}; i = i + 1) begin
            x = mem[i];
            #1 $display("%0d %0d", a, b);
        end
        $finish;
    end
endmodule
"""


def _vectors(n: int, rng: np.random.Generator, count: int) -> np.ndarray:
    if n <= 12:  # every vector
        return np.array([[(v >> i) & 1 for i in range(n)] for v in range(1 << n)], np.int64)
    vecs = rng.integers(0, 2, (count, n))
    return np.concatenate([np.zeros((1, n), np.int64), np.ones((1, n), np.int64), vecs])


def _hex(bits: np.ndarray) -> str:
    return format(int("".join(str(int(b)) for b in bits[::-1]), 2), "x")


def run_popcount(n: int, invert: np.ndarray, vecs: np.ndarray, w: int, tmp: Path, simulator: str) -> np.ndarray:
    """The counts bnf_popcount and bnf_xnor_popcount give for each vector: [M, 2]."""
    (tmp / "vec.mem").write_text("\n".join(_hex(v) for v in vecs) + "\n")
    inv = f"{n}'h{_hex(invert)}"
    (tmp / "tb.v").write_text(TB.format(n=n, m=len(vecs), w=w, inv=inv))
    srcs = [str(tmp / "tb.v"), *map(str, rtl_sources(*SOURCES))]
    if simulator == "icarus":
        subprocess.run(["iverilog", "-g2012", "-o", str(tmp / "a.vvp"), "-s", "tb", *srcs], check=True, cwd=tmp)
        out = subprocess.run(["vvp", "-n", str(tmp / "a.vvp")], check=True, capture_output=True, text=True, cwd=tmp)
    else:
        subprocess.run(["verilator", "--binary", "-Wno-fatal", "-Wno-lint", "--top-module", "tb", "-Mdir",
                        str(tmp / "obj"), *srcs], check=True, capture_output=True, cwd=tmp,
                       env={**os.environ, "MAKEFLAGS": "-j1"})
        out = subprocess.run([str(tmp / "obj" / "Vtb")], check=True, capture_output=True, text=True, cwd=tmp)
    rows = [list(map(int, line.split())) for line in out.stdout.splitlines() if line.strip() and line[0].isdigit()]
    return np.array(rows, np.int64)


CASES = [  # N, which INVERT, output width (None: the count's own)
    (1, "none", None), (1, "all", None), (2, "random", None), (5, "random", None), (6, "none", None),
    (7, "random", None), (8, "all", None), (11, "random", None), (12, "none", None),
    (13, "random", None), (37, "random", None), (38, "none", None), (43, "all", None), (64, "random", None),
    (100, "random", 9), (75, "random", 5), (256, "random", None), (1024, "random", None), (1024, "none", None),
]


def _invert(n: int, which: str, rng: np.random.Generator) -> np.ndarray:
    if which == "none":
        return np.zeros(n, np.int64)
    if which == "all":
        return np.ones(n, np.int64)
    return rng.integers(0, 2, n)


@pytest.mark.iverilog
@pytest.mark.parametrize("n,which,w", CASES, ids=[f"N{c[0]}-{c[1]}-W{c[2]}" for c in CASES])
def test_popcount_bit_exact_icarus(n: int, which: str, w: int | None, tmp_path: Path) -> None:
    rng = np.random.default_rng(n)
    invert = _invert(n, which, rng)
    vecs = _vectors(n, rng, 300)
    width = w or int(n).bit_length()
    got = run_popcount(n, invert, vecs, width, tmp_path, "icarus")
    want = (vecs ^ invert[None, :]).sum(axis=1) % (1 << width)
    assert got.shape == (len(vecs), 2)
    bad = np.flatnonzero((got[:, 0] != want) | (got[:, 1] != want))
    assert bad.size == 0, f"{bad.size} mismatches, first: vector {bad[0]} gives {got[bad[0]]}, want {want[bad[0]]}"


@pytest.mark.verilator
@pytest.mark.parametrize("n", [7, 64, 1024])
def test_popcount_bit_exact_verilator(n: int, tmp_path: Path) -> None:
    rng = np.random.default_rng(n + 1)
    invert = rng.integers(0, 2, n)
    vecs = _vectors(n, rng, 200)
    got = run_popcount(n, invert, vecs, int(n).bit_length(), tmp_path, "verilator")
    want = (vecs ^ invert[None, :]).sum(axis=1)
    assert (got[:, 0] == want).all() and (got[:, 1] == want).all()
