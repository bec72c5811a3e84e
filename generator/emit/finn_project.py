"""DIR/finn: the network as a graph of FINN HW layers and FINN's own estimates of it.

    model.onnx                              every layer a FINN HW layer: bnnforge's op as
                                            Bnf<Op> (generator/finn_hw), with its HLS and
                                            RTL backends, at bnnforge's folding and FIFO depths
    estimate_layer_cycles.json              FINN's build_dataflow, estimate-only steps
    estimate_layer_resources.json           (step_specialize_layers, step_apply_folding_config,
    estimate_layer_config_alternatives.json  step_generate_estimate_reports): FINN's report/
    estimate_network_performance.json       files, under the names FINN gives them
    op_and_param_counts.json
    README.md                               how to run FINN's normal flow on model.onnx

Separately, and only for report.json's per-layer `finn_estimate`, the graph is rebuilt with
FINN's *own* layers where FINN has one (finn_export.to_finn): FINN's independent cost model
of those layers, to compare with ours. DIR/finn's graph does not use FINN's layers; the
README says why.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from bnnforge.generator.finn_export import finn_reports, per_layer, to_finn

# FINN's report/ files of an estimate-only build that are a function of the graph alone
# (time_per_step.json and the build log are not, and DIR must be byte-identical per input)
REPORT_FILES = ("estimate_layer_cycles.json", "estimate_layer_resources.json",
                "estimate_layer_config_alternatives.json", "estimate_network_performance.json",
                "op_and_param_counts.json")
IMPL_STYLE = "hls"  # preferred_impl_style of every node in model.onnx (README: why)

_README = """\
# FINN graph

`model.onnx` is the network as a graph of FINN HW layers, folded as bnnforge folded it
({nodes} nodes, part {part}, {clock_mhz:g} MHz). Every layer is bnnforge's own op, registered with FINN
as an HW custom op `Bnf<Op>` (with `Bnf<Op>_hls` and `Bnf<Op>_rtl` backends) when
`bnnforge.generator` is imported: {ops}. FINN's transformations and analyses treat them like
its own layers; their numbers come from bnnforge's op contract (shapes and stream widths from
the ops' ports, cycles and LUT/BRAM/URAM/DSP from the ops' cost model), their HLS code is the
bnf_*.h template with its config struct (the same text as `../hls`), their RTL is the
hw/rtl module (the same as `../rtl`). Each node records the FIFO depth bnnforge sized for
each stream input (`inFIFODepths`), which FINN's InsertFIFO uses; FINN's InsertDWC adds the
width converters. Nodes prefer the HLS backend (`preferred_impl_style = "{impl}"`): FINN's
per-node C++ simulation (cppsim) needs it. Set it to `"rtl"` on the nodes (or on all of them
before `step_specialize_layers`) to build the hand-written RTL instead, which is what bnnforge
verifies in cocotb and synthesizes with Yosys.

The JSON files here are FINN's own report files, written by FINN's `build_dataflow` with its
estimate-only steps (`step_specialize_layers`, `step_apply_folding_config`,
`step_generate_estimate_reports`) on `model.onnx`; they cover every layer. Totals (FINN's
`res_estimation` of the layers, without the FIFOs and width converters FINN would insert):
{total}; slowest layer {max_cycles} cycles/frame.

## FINN's own layers vs bnnforge's

FINN has layers for some of these ops: `Thresholding` (one threshold per channel, x >= t:
bit-exact with bnnforge's Thresholding), the MVAU (integer weights and activations: bit-exact
with bnnforge's IntMVAU where it only accumulates, as in the 8-bit stem convolution; an IntMVAU
that requantizes its output, as BCDNet-B's context maps do, is more than FINN's MVAU), the
XNOR-popcount MVAU, ConvolutionInputGenerator with FMPadding, ElementwiseAdd,
DuplicateStreams, StreamingConcat, GlobalAccPool (tests/test_finn_hw.py runs FINN's
Thresholding and MVAU on the golden model's data). `model.onnx` uses none of them, bnnforge's
op everywhere:

- FINN's binary MVAU outputs the popcount and pads binary feature maps with a value, where
  the network needs the signed dot with bnnforge's padding correction, so it is not
  bit-exact here;
- where FINN's layer is bit-exact (Thresholding, the accumulating MVAU), swapping it in would
  give a graph whose FINN layers need finn-hlslib (C++ simulation, HLS) or Vivado's xsim
  (their RTL), so FINN could not simulate it where neither is installed, and hardware that is
  no longer the `../hls` and `../rtl` projects bnnforge verifies bit-exactly (C simulation,
  cocotb with Icarus and Verilator);
- one cost model: FINN's totals and bnnforge's report.json describe the same blocks.

FINN's own cost model of its layers is still reported, per layer, as `finn_estimate` in
`../report.json` (from a copy of the graph with FINN's layers where FINN has one).

## Running FINN's normal flow (needs Vivado / Vitis HLS)

In FINN's environment (`XILINX_VIVADO` and `FINN_BUILD_DIR` set, FINN's dependencies
installed by `finn deps update`), with bnnforge installed in the same Python:

```python
import bnnforge.generator  # registers bnnforge's ops as FINN HW layers
from finn.builder.build_dataflow import build_dataflow_cfg
from finn.builder.build_dataflow_config import DataflowBuildConfig, DataflowOutputType

cfg = DataflowBuildConfig(
    output_dir="finn_build", fpga_part="{part}", synth_clk_period_ns={period:g},
    # model.onnx is already made of folded HW layers: start at specialization
    steps=["step_specialize_layers", "step_apply_folding_config", "step_generate_estimate_reports",
           "step_hw_codegen", "step_hw_ipgen", "step_set_fifo_depths", "step_create_stitched_ip",
           "step_measure_rtlsim_performance", "step_out_of_context_synthesis",
           "step_synthesize_bitfile", "step_make_driver", "step_deployment_package"],
    generate_outputs=[DataflowOutputType.ESTIMATE_REPORTS, DataflowOutputType.STITCHED_IP,
                      DataflowOutputType.RTLSIM_PERFORMANCE, DataflowOutputType.OOC_SYNTH,
                      DataflowOutputType.BITFILE],
    # a bitfile and driver also need board=... and shell_flow_type=... (FINN's documentation)
)
build_dataflow_cfg("model.onnx", cfg)
```

`step_hw_codegen` (FINN's PrepareIP) writes each node's HLS top (`top_<node>.cpp`, which
includes only ap_types and the node's copies of the bnf_*.h templates) and FINN's Vitis HLS
script, or the RTL wrapper `<node>.v` with its hw/rtl sources and `$readmemh` files;
`step_hw_ipgen` runs Vitis HLS on the HLS nodes (`FINN_CUSTOM_HLS` must be set, as in FINN's
environment). Without Vivado, everything up to and including `step_hw_codegen` runs, and so
does FINN's per-node C++ simulation (`SetExecMode("cppsim")`, `PrepareCppSim`,
`CompileCppSim`, then `execute_onnx`): bnnforge compiles each node's program with g++ against
the ap_types headers hls4ml ships, no finn-hlslib or Vitis header needed. rtlsim needs
Vivado's xsim.
"""


def _total_text(resources: dict) -> str:
    total = resources.get("total", {})
    return ", ".join(f"{k} {v:g}" for k, v in total.items() if isinstance(v, (int, float))) or "none"


def write_finn_project(folded: ModelWrapper, outdir: Path, part: str, clock_mhz: float) -> dict[str, dict | None]:
    """Write DIR/finn (see the module docstring) from the folded graph (before bnnforge's
    width converters and FIFOs: FINN inserts its own). Returns FINN's own-layer numbers per
    bnnforge layer ({layer: {"cycles", "lut", "bram18", "dsp", "finn_ops"}}, None where FINN
    has no layer) for report.json."""
    import json

    from bnnforge.generator.finn_hw.flow import estimate_build
    from bnnforge.generator.finn_hw.graph import to_finn_hw

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    special, cycles, resources = finn_reports(to_finn(folded), part)
    layers = per_layer(special, {k: int(v) for k, v in cycles.items()}, resources, [n.name for n in folded.graph.node])

    hw = to_finn_hw(folded, IMPL_STYLE)
    hw.save(str(outdir / "model.onnx"))
    with tempfile.TemporaryDirectory(prefix="bnnforge_finn_") as tmp:
        report = estimate_build(outdir / "model.onnx", Path(tmp) / "build", part, clock_mhz)
        for name in REPORT_FILES:
            shutil.copyfile(report / name, outdir / name)
    perf = json.loads((outdir / "estimate_network_performance.json").read_text())
    res = json.loads((outdir / "estimate_layer_resources.json").read_text())
    ops = sorted({n.op_type for n in hw.graph.node})
    (outdir / "README.md").write_text(_README.format(
        nodes=len(hw.graph.node), part=part, clock_mhz=clock_mhz, period=1000.0 / clock_mhz, impl=IMPL_STYLE,
        ops=", ".join(ops), total=_total_text(res), max_cycles=perf.get("max_cycles")))
    return layers
