"""FINN's own flow on a graph of bnnforge HW layers, as far as it goes without Vivado.

- `finn_settings`: FINN reads its build directory and dependency paths from a settings
  object that its command-line launcher normally creates; here the documented stand-in
  (initialize_dummy_settings) with FINN_BUILD_DIR pointing where FINN may write.
- `specialize`, `estimates`: SpecializeLayers and FINN's analysis passes.
- `prepare_cppsim`: SetExecMode, PrepareCppSim, CompileCppSim (FINN's transformations; each
  node's program is compiled by its own compile_singlenode_code, hls_backend.py).
- `estimate_build`: FINN's build_dataflow with the estimate-only steps, writing report/.
"""

from __future__ import annotations

import contextlib
import os

import types
from collections.abc import Iterator
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from bnnforge.generator.finn_hw import register
from bnnforge.generator.passes.linear_qonnx import linear_qonnx

DEFAULT_PART = "xc7z020clg400-1"
# FINN's build_dataflow steps that need no Xilinx tool, in FINN's order; the graph is
# already folded and made of HW layers, so the flow starts at specialization
ESTIMATE_STEPS = ["step_specialize_layers", "step_apply_folding_config", "step_generate_estimate_reports"]


@contextlib.contextmanager
def finn_settings(build_dir: Path) -> Iterator[Path]:
    """FINN settings whose build directory is `build_dir` (created), for the duration."""
    import finn.util.settings as settings

    build_dir = Path(build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    old_env, old_settings = os.environ.get("FINN_BUILD_DIR"), settings._SETTINGS
    os.environ["FINN_BUILD_DIR"] = str(build_dir)
    try:
        settings.initialize_dummy_settings()
        yield build_dir
    finally:
        settings._SETTINGS = old_settings
        if old_env is None:
            os.environ.pop("FINN_BUILD_DIR", None)
        else:
            os.environ["FINN_BUILD_DIR"] = old_env


def specialize(model: ModelWrapper, part: str = DEFAULT_PART) -> ModelWrapper:
    """FINN's SpecializeLayers: every Bnf<Op> becomes Bnf<Op>_hls or _rtl."""
    from finn.transformation.fpgadataflow.specialize_layers import SpecializeLayers

    register()
    with linear_qonnx():
        return model.transform(SpecializeLayers(part))


def estimates(special: ModelWrapper, part: str = DEFAULT_PART) -> tuple[dict, dict]:
    """(FINN's exp_cycles_per_layer, FINN's res_estimation) of a specialized graph."""
    from finn.analysis.fpgadataflow.exp_cycles_per_layer import exp_cycles_per_layer
    from finn.analysis.fpgadataflow.res_estimation import res_estimation

    return special.analysis(exp_cycles_per_layer), res_estimation(special, part)


def prepare_cppsim(special: ModelWrapper, workers: int = 2) -> ModelWrapper:
    """FINN's cppsim preparation (call inside finn_settings): code generation and g++ per node."""
    from finn.transformation.fpgadataflow.compile_cppsim import CompileCppSim
    from finn.transformation.fpgadataflow.prepare_cppsim import PrepareCppSim
    from finn.transformation.fpgadataflow.set_exec_mode import SetExecMode

    model = special.transform(SetExecMode("cppsim"))
    model = model.transform(PrepareCppSim(num_workers=1))
    return model.transform(CompileCppSim(num_workers=workers))


def _importable_builder() -> None:
    """finn.builder imports `SimEngine` from finn.xsi for type annotations only, and that
    name's lazy import demands Vivado (XILINX_VIVADO). Without Vivado, bind a stand-in so the
    builder imports; any step that really simulates still fails in finn.xsi, with its error."""
    import finn.xsi

    if "SimEngine" not in vars(finn.xsi) and os.environ.get("XILINX_VIVADO") is None:
        finn.xsi.SimEngine = types.new_class("SimEngine")  # annotation stand-in, never instantiated


def estimate_build(model_file: Path, output_dir: Path, part: str = DEFAULT_PART, clock_mhz: float = 100.0) -> Path:
    """FINN's build_dataflow on `model_file` with ESTIMATE_STEPS; returns output_dir/report."""
    register()
    _importable_builder()
    from finn.builder.build_dataflow import build_dataflow_cfg
    from finn.builder.build_dataflow_config import DataflowBuildConfig, DataflowOutputType

    output_dir = Path(output_dir).resolve()
    cfg = DataflowBuildConfig(output_dir=str(output_dir), synth_clk_period_ns=1000.0 / clock_mhz, fpga_part=part,
                              steps=list(ESTIMATE_STEPS), generate_outputs=[DataflowOutputType.ESTIMATE_REPORTS],
                              verbose=False)
    with finn_settings(output_dir / "build"), linear_qonnx():
        status = build_dataflow_cfg(str(model_file), cfg)
    if status != 0:
        raise RuntimeError(f"FINN's estimate-only build of {model_file} failed (see {output_dir}/build_dataflow.log)")
    return output_dir / "report"


__all__ = ["DEFAULT_PART", "ESTIMATE_STEPS", "estimate_build", "estimates", "finn_settings", "prepare_cppsim",
           "specialize"]

