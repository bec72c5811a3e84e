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
import io
import os
import sys
import types
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.finn_export import DEFAULT_PART
from bnnforge.generator.finn_hw import cppsim, register
from bnnforge.generator.passes.linear_qonnx import linear_qonnx
from bnnforge.quant.errors import BnnforgeError

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
    from finn.util.fpgadataflow import is_hls_node

    model = special.transform(SetExecMode("cppsim"))
    model = model.transform(PrepareCppSim(num_workers=1))
    # g++ runs on `workers` threads here and fills cppsim's program cache; FINN's CompileCppSim
    # then calls every node's compile_singlenode_code, which finds its program compiled.
    # (CompileCppSim's own process pool pickles the whole model for every node: 27 s of
    # overhead for a 77-node graph whose programs were all cached.)
    sources = []
    for node in model.graph.node:
        if is_hls_node(node):
            d = Path(getCustomOp(node).get_nodeattr("code_gen_dir_cppsim"))
            sources.append((d / f"execute_{node.op_type}.cpp", d / "node_model"))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(lambda job: cppsim.compile_program(*job), sources))
    return model.transform(CompileCppSim(num_workers=1))


def _importable_builder() -> None:
    """finn.builder imports `SimEngine` from finn.xsi for type annotations only, and that
    name's lazy import demands Vivado (XILINX_VIVADO). Without Vivado, bind a stand-in so the
    builder imports; any step that really simulates still fails in finn.xsi, with its error."""
    import finn.xsi

    if "SimEngine" not in vars(finn.xsi) and os.environ.get("XILINX_VIVADO") is None:
        finn.xsi.SimEngine = types.new_class("SimEngine")  # annotation stand-in, never instantiated


@contextlib.contextmanager
def _process_logging_kept(captured: io.StringIO) -> Iterator[None]:
    """build_dataflow_cfg configures the process for a FINN run: it replaces the root
    logger's handlers (logging.basicConfig(force=True), a log file in the build directory),
    captures warnings and replaces sys.stdout/sys.stderr with loggers. Restore all of it, so
    the caller (the CLI, pytest) keeps its output."""
    import logging

    import finn.util.logging as finn_logging

    root = logging.getLogger()
    saved = (sys.stdout, sys.stderr, list(root.handlers), root.level, finn_logging.get_console())
    sys.stdout = sys.stderr = captured  # FINN's step banners and errors: into the error message, if any
    try:
        yield
    finally:
        for h in root.handlers:
            if h not in saved[2]:
                h.close()
        sys.stdout, sys.stderr = saved[0], saved[1]
        root.handlers[:] = saved[2]
        root.setLevel(saved[3])
        logging.captureWarnings(False)
        finn_logging.set_console(saved[4])


def estimate_build(model_file: Path, output_dir: Path, part: str = DEFAULT_PART, clock_mhz: float = 100.0) -> Path:
    """FINN's build_dataflow on `model_file` with ESTIMATE_STEPS; returns output_dir/report."""
    register()
    _importable_builder()
    from finn.builder.build_dataflow import build_dataflow_cfg
    from finn.builder.build_dataflow_config import DataflowBuildConfig, DataflowOutputType, LogLevel

    output_dir = Path(output_dir).resolve()
    cfg = DataflowBuildConfig(output_dir=str(output_dir), synth_clk_period_ns=1000.0 / clock_mhz, fpga_part=part,
                              steps=list(ESTIMATE_STEPS), generate_outputs=[DataflowOutputType.ESTIMATE_REPORTS],
                              verbose=False, console_log_level=LogLevel.NONE,
                              # no copy of the model after every step: for a full-size network
                              # each is a whole weight-laden graph serialized (6 s of 18)
                              save_intermediate_models=False)
    # build_dataflow_cfg's last act records Path($XILINX_VIVADO).name as the tool version in
    # report/metadata_builder.json and raises when the variable is unset; empty, it records
    # "" (no Vivado) and the estimate steps never read it
    no_vivado, captured = "XILINX_VIVADO" not in os.environ, io.StringIO()
    if no_vivado:
        os.environ["XILINX_VIVADO"] = ""
    try:
        with finn_settings(output_dir / "build"), linear_qonnx(), _process_logging_kept(captured):
            status = build_dataflow_cfg(str(model_file), cfg)
    finally:
        if no_vivado:
            os.environ.pop("XILINX_VIVADO", None)
    if status != 0:
        raise BnnforgeError(f"FINN's estimate-only build of {model_file} failed:\n{captured.getvalue()[-3000:]}")
    return output_dir / "report"


__all__ = ["DEFAULT_PART", "ESTIMATE_STEPS", "estimate_build", "estimates", "finn_settings", "prepare_cppsim",
           "specialize"]

