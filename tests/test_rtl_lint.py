"""Every RTL module is accepted by Verilator --lint-only -Wall (clean), Icarus and Yosys,
for the parameter sets the simulation tests use."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bnnforge.sim.runner import rtl_sources

VENV_BIN = str(Path(sys.executable).parent)
INT_MVAU = ("bnf_round_shift.v", "bnf_int_mvau.v")
AFFINE = ("bnf_round_shift.v", "bnf_fixed_affine.v")
RESADD = ("bnf_fifo.v", "bnf_round_shift.v", "bnf_residual_add.v")
EMBADD = ("bnf_round_shift.v", "bnf_embedding_add.v")
REQUANT = ("bnf_round_shift.v", "bnf_requantize.v")
POOL = ("bnf_round_shift.v", "bnf_avg_pool.v")
PRELU = ("bnf_round_shift.v", "bnf_prelu.v")
CONFIGS = [
    ("bnf_popcount", ("bnf_count6.v", "bnf_popcount.v"), {"N": 1}),
    ("bnf_popcount", ("bnf_count6.v", "bnf_popcount.v"), {"N": 7}),
    ("bnf_popcount", ("bnf_count6.v", "bnf_popcount.v"), {"N": 1024}),
    ("bnf_binary_mvau", ("bnf_count6.v", "bnf_popcount.v", "bnf_binary_mvau.v"),
     {"MW": 36, "MH": 6, "PE": 3, "SIMD": 12, "OUT_W": 7, "OH": 5, "OW": 5, "NROWCLS": 3, "NCOLCLS": 3}),
    ("bnf_binary_mvau", ("bnf_count6.v", "bnf_popcount.v", "bnf_binary_mvau.v"),
     {"MW": 16, "MH": 8, "PE": 8, "SIMD": 16, "OUT_W": 6, "OH": 4, "OW": 4}),
    ("bnf_binary_mvau", ("bnf_count6.v", "bnf_popcount.v", "bnf_binary_mvau.v"),
     {"MW": 36, "MH": 8, "PE": 4, "SIMD": 2, "OUT_W": 7, "OH": 5, "OW": 5, "NROWCLS": 3, "NCOLCLS": 3, "G": 2, "KK": 9}),
    ("bnf_binary_mvau", ("bnf_count6.v", "bnf_popcount.v", "bnf_binary_mvau.v"),
     {"MW": 27, "MH": 8, "PE": 1, "SIMD": 3, "OUT_W": 6, "OH": 4, "OW": 3, "NROWCLS": 3, "NCOLCLS": 3, "G": 4, "KK": 9}),
    ("bnf_binary_mvau", ("bnf_count6.v", "bnf_popcount.v", "bnf_binary_mvau.v"),
     {"MW": 36, "MH": 6, "PE": 2, "SIMD": 6, "OUT_W": 7, "OH": 6, "OW": 6, "NROWCLS": 3, "NCOLCLS": 3, "THRESH": 1}),
    ("bnf_binary_mvau_const", ("bnf_count6.v", "bnf_popcount.v", "bnf_binary_mvau_const.v"),
     {"MW": 16, "MH": 8, "OUT_W": 6, "OH": 4, "OW": 4}),
    ("bnf_binary_mvau_const", ("bnf_count6.v", "bnf_popcount.v", "bnf_binary_mvau_const.v"),
     {"MW": 18, "MH": 5, "OUT_W": 6, "OH": 5, "OW": 4, "NROWCLS": 3, "NCOLCLS": 3, "THRESH": 1}),
    ("bnf_long_short_shift", ("bnf_long_short_shift.v",), {"H": 7, "W": 4, "C": 4, "PE": 1, "DH": 3, "DW": 2}),
    ("bnf_long_short_shift", ("bnf_long_short_shift.v",), {"H": 8, "W": 8, "C": 16, "PE": 4, "DH": 4, "DW": 4}),
    ("bnf_thresholding", ("bnf_thresholding.v",), {"C": 16, "PE": 4, "IN_W": 16}),
    ("bnf_thresholding", ("bnf_thresholding.v",), {"C": 5, "PE": 1, "IN_W": 9}),
    ("bnf_sliding_window", ("bnf_sliding_window.v",), {"H": 5, "W": 7, "C": 8, "K": 3, "STRIDE": 1, "PAD": 1,
                                                       "PAD_VALUE": 0, "EB": 1, "SIMD": 2, "G": 2, "BUF": 4}),
    ("bnf_sliding_window", ("bnf_sliding_window.v",), {"H": 7, "W": 6, "C": 2, "K": 3, "STRIDE": 2, "PAD": 1,
                                                       "PAD_VALUE": 0, "EB": 1, "SIMD": 6, "G": 2, "BUF": 5}),
    ("bnf_sliding_window", ("bnf_sliding_window.v",), {"H": 6, "W": 5, "C": 3, "K": 3, "STRIDE": 1, "PAD": 1,
                                                       "PAD_VALUE": 0, "EB": 8, "SIMD": 27, "G": 3, "BUF": 4}),
    ("bnf_sliding_window", ("bnf_sliding_window.v",), {"H": 6, "W": 8, "C": 4, "K": 3, "STRIDE": 2, "PAD": 0,
                                                       "PAD_VALUE": 0, "EB": 1, "SIMD": 6, "G": 2, "BUF": 7}),
    ("bnf_int_mvau", INT_MVAU, {"MW": 27, "MH": 6, "PE": 3, "SIMD": 9, "IN_W": 8, "IN_SIGNED": 0, "W_W": 8,
                                "ACC_W": 21, "OUT_W": 24}),
    ("bnf_int_mvau", INT_MVAU, {"MW": 20, "MH": 10, "PE": 5, "SIMD": 4, "IN_W": 8, "W_W": 8, "ACC_W": 20,
                                "OUT_W": 12, "REQUANT": 1, "RSHIFT": 6, "SAT_W": 12, "BIAS_W": 16}),
    ("bnf_int_mvau", INT_MVAU, {"MW": 7, "MH": 3, "PE": 1, "SIMD": 7, "IN_W": 8, "W_W": 4, "ACC_W": 14, "OUT_W": 16,
                                "REQUANT": 1, "LSHIFT": 2, "SAT_W": 14, "BIAS_W": 18}),
    ("bnf_int_mvau", INT_MVAU, {"MW": 128, "MH": 10, "PE": 2, "SIMD": 8, "IN_W": 8, "WEIGHT_BRAM": 1, "W_W": 8,
                                "ACC_W": 23, "OUT_W": 16, "REQUANT": 1, "RSHIFT": 6, "SAT_W": 16, "BIAS_W": 19}),
    ("bnf_duplicate", ("bnf_duplicate.v",), {"N": 2, "W": 16}),
    ("bnf_duplicate", ("bnf_duplicate.v",), {"N": 3, "W": 48}),
    ("bnf_duplicate", ("bnf_duplicate.v",), {"N": 4, "W": 9}),
    ("bnf_concat", ("bnf_concat.v",), {"NI": 2, "C0": 8, "C1": 8, "PE": 4, "EB": 16}),
    ("bnf_concat", ("bnf_concat.v",), {"NI": 3, "C0": 2, "C1": 4, "C2": 6, "PE": 2, "EB": 1}),
    ("bnf_concat", ("bnf_concat.v",), {"NI": 2, "C0": 5, "C1": 5, "PE": 5, "EB": 8}),
    ("bnf_concat_par", ("bnf_concat_par.v",), {"NI": 2, "C0": 16, "C1": 16, "EB": 16}),
    ("bnf_concat_par", ("bnf_concat_par.v",), {"NI": 3, "C0": 2, "C1": 4, "C2": 6, "EB": 1}),
    ("bnf_concat_par", ("bnf_concat_par.v",), {"NI": 4, "C0": 2, "C1": 4, "C2": 6, "C3": 3, "EB": 1}),
    ("bnf_channel_slice", ("bnf_channel_slice.v",), {"CIN": 16, "START": 4, "END": 12, "PE": 4, "EB": 16}),
    ("bnf_channel_slice", ("bnf_channel_slice.v",), {"CIN": 6, "START": 0, "END": 3, "PE": 3, "EB": 9}),
    ("bnf_channel_slice", ("bnf_channel_slice.v",), {"CIN": 10, "START": 5, "END": 10, "PE": 5, "EB": 16}),
    ("bnf_dynamic_sign", ("bnf_dynamic_sign.v",), {"C": 8, "PE": 4, "P": 16, "X_W": 16, "V_W": 16, "SX": 0, "SV": 0}),
    ("bnf_dynamic_sign", ("bnf_dynamic_sign.v",), {"C": 6, "PE": 2, "P": 15, "X_W": 16, "V_W": 16, "SX": 2, "SV": 0}),
    ("bnf_dynamic_sign", ("bnf_dynamic_sign.v",), {"C": 5, "PE": 1, "P": 15, "X_W": 9, "V_W": 12, "SX": 0, "SV": 4}),
    ("bnf_fixed_affine3", AFFINE, {"C": 16, "PE": 4, "IN_W": 10, "G_W": 12, "ACC_W": 25, "LSH_W": 1, "RSH_W": 5,
                                   "OUT_W": 16}),
    ("bnf_fixed_affine", AFFINE, {"C": 6, "PE": 6, "IN_W": 16, "G_W": 12, "ACC_W": 29, "LSH_W": 1, "RSH_W": 5,
                                  "OUT_W": 16}),
    ("bnf_fixed_affine", AFFINE, {"C": 5, "PE": 1, "IN_W": 12, "G_W": 12, "ACC_W": 30, "LSH_W": 3, "RSH_W": 5,
                                  "OUT_W": 16}),
    ("bnf_prelu", PRELU, {"C": 16, "PE": 4, "RP": 1, "IN_W": 16, "B_W": 16, "A_W": 8, "SF": 6, "OUT_W": 16}),
    ("bnf_prelu", PRELU, {"C": 5, "PE": 1, "RP": 1, "IN_W": 18, "B_W": 18, "A_W": 8, "SF": 6, "OUT_W": 16}),
    ("bnf_prelu", PRELU, {"C": 6, "PE": 2, "RP": 0, "IN_W": 16, "B_W": 16, "A_W": 8, "SF": 6, "OUT_W": 16}),
    ("bnf_residual_add", RESADD, {"PE": 4, "IN_W": 16, "OUT_W": 16, "A_FRAC": 8, "B_FRAC": 8, "OUT_FRAC": 8,
                                  "SKIP_DEPTH": 2}),
    ("bnf_residual_add", RESADD, {"PE": 3, "IN_W": 9, "OUT_W": 8, "A_FRAC": 6, "B_FRAC": 8, "OUT_FRAC": 7,
                                  "SKIP_DEPTH": 2}),
    ("bnf_residual_add", RESADD, {"PE": 1, "IN_W": 12, "OUT_W": 10, "A_FRAC": 10, "B_FRAC": 4, "OUT_FRAC": 5,
                                  "SKIP_DEPTH": 37}),
    ("bnf_embedding_add", EMBADD, {"C": 8, "PIXELS": 16, "PE": 4, "IN_W": 16, "OUT_W": 16, "A_FRAC": 8, "B_FRAC": 8,
                                   "OUT_FRAC": 8}),
    ("bnf_embedding_add", EMBADD, {"C": 6, "PIXELS": 15, "PE": 6, "IN_W": 10, "OUT_W": 9, "A_FRAC": 4, "B_FRAC": 9,
                                   "OUT_FRAC": 6}),
    ("bnf_embedding_add", EMBADD, {"C": 3, "PIXELS": 5, "PE": 1, "IN_W": 8, "OUT_W": 6, "A_FRAC": 7, "B_FRAC": 5,
                                   "OUT_FRAC": 3}),
    ("bnf_requantize", REQUANT, {"PE": 7, "IN_W": 16, "OUT_W": 8, "IN_FRAC": 8, "OUT_FRAC": 4}),
    ("bnf_requantize", REQUANT, {"PE": 1, "IN_W": 10, "OUT_W": 11, "IN_FRAC": 4, "OUT_FRAC": 6}),
    ("bnf_requantize", REQUANT, {"PE": 3, "IN_W": 12, "OUT_W": 8, "IN_FRAC": 6, "OUT_FRAC": 6}),
    ("bnf_avg_pool", POOL, {"H": 6, "W": 6, "C": 8, "PE": 4, "IN_W": 16, "OUT_W": 16, "KH": 2, "KW": 2}),
    ("bnf_avg_pool", POOL, {"H": 7, "W": 5, "C": 6, "PE": 2, "IN_W": 10, "OUT_W": 8, "KH": 2, "KW": 2}),
    ("bnf_avg_pool", POOL, {"H": 7, "W": 7, "C": 16, "PE": 4, "IN_W": 16, "OUT_W": 12, "KH": 7, "KW": 7}),
    ("bnf_avg_pool", POOL, {"H": 3, "W": 5, "C": 5, "PE": 5, "IN_W": 8, "OUT_W": 8, "KH": 3, "KW": 5}),
    ("bnf_avg_pool", POOL, {"H": 3, "W": 4, "C": 6, "PE": 3, "IN_W": 6, "OUT_W": 6, "KH": 3, "KW": 4}),
    ("bnf_round_shift", ("bnf_round_shift.v",), {"IN_W": 20, "OUT_W": 8, "SW": 4}),
    ("bnf_round_shift", ("bnf_round_shift.v",), {"IN_W": 8, "OUT_W": 12, "SW": 3}),
    ("bnf_round_shift", ("bnf_round_shift.v",), {"IN_W": 8, "OUT_W": 9, "SW": 3}),
    ("bnf_fifo", ("bnf_fifo.v",), {"W": 17, "DEPTH": 5}),
    ("bnf_fifo", ("bnf_fifo.v",), {"W": 8, "DEPTH": 1}),
    ("bnf_fifo", ("bnf_fifo.v",), {"W": 64, "DEPTH": 1024}),
    ("bnf_dwc", ("bnf_dwc.v",), {"EB": 1, "IN_E": 16, "OUT_E": 4}),
    ("bnf_dwc", ("bnf_dwc.v",), {"EB": 16, "IN_E": 2, "OUT_E": 6}),
    ("bnf_dwc", ("bnf_dwc.v",), {"EB": 9, "IN_E": 3, "OUT_E": 5}),
]


def tool(name: str) -> str:
    exe = shutil.which(name) or shutil.which(name, path=VENV_BIN)
    assert exe, f"{name} not installed (make setup)"
    return exe


@pytest.mark.parametrize("top,files,params", CONFIGS, ids=[f"{c[0]}-{i}" for i, c in enumerate(CONFIGS)])
def test_verilator_lint_wall_clean(top: str, files: tuple, params: dict) -> None:
    cmd = [tool("verilator"), "--lint-only", "-Wall", "--top-module", top,
           *[f"-G{k}={v}" for k, v in params.items()], *map(str, rtl_sources(*files))]
    run = subprocess.run(cmd, capture_output=True, text=True)
    assert run.returncode == 0 and "%Warning" not in run.stderr, run.stderr


@pytest.mark.parametrize("top,files,params", CONFIGS, ids=[f"{c[0]}-{i}" for i, c in enumerate(CONFIGS)])
def test_icarus_elaborates(top: str, files: tuple, params: dict, tmp_path: Path) -> None:
    cmd = [tool("iverilog"), "-g2012", "-o", str(tmp_path / "a.vvp"), "-s", top,
           *[f"-P{top}.{k}={v}" for k, v in params.items()], *map(str, rtl_sources(*files))]
    run = subprocess.run(cmd, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_yosys_constant_weight_popcount_meets_1_2_lut_per_bit_at_1024() -> None:
    from bnnforge.generator.synth import synth_xilinx

    res = synth_xilinx("bnf_xnor_popcount", rtl_sources("bnf_count6.v", "bnf_popcount.v", "bnf_xnor_popcount.v"),
                       {"N": 1024, "WEIGHTS": "1024'h" + "3c96a5f0" * 32}, timeout=900)
    assert 0 < res["lut"] <= 1.2 * 1024, res
