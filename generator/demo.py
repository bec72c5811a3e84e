"""`bnnforge demo`: the embedded default, end to end, on the shipped bcdnet-tiny checkpoint.

Builds the network for the default part (HLS project, RTL project, FINN graph, test
vectors from the digits test split), C-simulates the HLS project on every test image,
simulates the RTL in cocotb on Verilator, and prints one table: accuracy in PyTorch and in
hardware, mismatching images per verification rung, cycles per frame estimated, counted in
the HLS loops and simulated, and the resources against the part.
"""

from __future__ import annotations

import json
import time
from importlib import resources
from pathlib import Path

from bnnforge.generator.console import say
from bnnforge.quant.errors import BnnforgeError

DEMO_MODEL = "bcdnet-tiny"
DEFAULT_OUT = Path("bnnforge-demo")
# frames of 1024 cycles: 97,656 frames/s at 100 MHz, and the network fits the xc7z020
DEMO_TARGET_CYCLES = 1024
DEMO_SIM_IMAGES = 32


def shipped_checkpoint() -> Path:
    """The bcdnet-tiny checkpoint that ships inside the package."""
    return Path(str(resources.files("bnnforge.quant.checkpoints") / f"{DEMO_MODEL}.pt"))


def run_demo(out: Path | None = None, retrain: bool = False, simulator: str = "verilator") -> int:
    from bnnforge.generator.build import BuildOptions, build
    from bnnforge.quant import models
    from bnnforge.sim.network import sim_command
    from bnnforge.sim.project_csim import csim_command

    t_start = time.perf_counter()
    out = Path(out or DEFAULT_OUT)
    ckpt_path = shipped_checkpoint()
    if retrain or not ckpt_path.is_file():
        from bnnforge.quant.train import TrainConfig, train_and_save

        ckpt_path = out.with_name(out.name + f"-{DEMO_MODEL}.pt")
        say(f"training {DEMO_MODEL} on digits (two-step binary QAT, distilled) -> {ckpt_path}")
        # the recipe of the shipped checkpoint (`bnnforge train bcdnet-tiny --distill`, seed 0)
        train_and_save(TrainConfig(model=DEMO_MODEL, distill=True), ckpt_path)
    recorded = models.read_checkpoint(ckpt_path)["metrics"]["test_accuracy"]

    say(f"== build: {DEMO_MODEL} ({ckpt_path.name}) -> {out}/")
    report = build(BuildOptions(source=str(ckpt_path), out=out, target_cycles=DEMO_TARGET_CYCLES, force=True))
    if report["accuracy"]["torch"] != recorded:
        raise BnnforgeError(f"PyTorch accuracy {report['accuracy']['torch']} differs from the checkpoint's "
                            f"{recorded}: the model is not reproducible")
    say("== HLS C-simulation")
    csim_rc = csim_command(out)
    say(f"== RTL simulation (cocotb, {simulator})")
    sim_rc = sim_command(out, simulator, images=DEMO_SIM_IMAGES)
    report = json.loads((out / "report.json").read_text())
    say("")
    say(summary(report, out))
    say(f"demo finished in {time.perf_counter() - t_start:.0f} s")
    v = report["verification"]
    return 1 if (csim_rc or sim_rc or v["golden_mismatches"]) else 0


def summary(report: dict, out: Path) -> str:
    """The demo's table."""
    v, t, lat = report["verification"], report["throughput"], report["latency"]
    acc = report.get("accuracy")
    dev = report["device"]
    clock = report["clock_mhz"]
    lines = [f"{report['model']} on {report['part']} at {clock:g} MHz"]
    if acc:
        lines.append(f"accuracy on {acc['images']} digits test images: PyTorch {acc['torch']:.2%}, "
                     f"hardware {acc['hardware']:.2%}")
    lines += ["", "verification (bit-exact)         images  mismatching",
              f"  golden model vs PyTorch          {v['images']:>6}  {v['golden_mismatches']:>11}",
              f"  HLS C-simulation (g++)           {v.get('csim_images') or '-':>6}  "
              f"{_n(v['csim_mismatches']):>11}",
              f"  RTL simulation ({v.get('rtl_simulator') or '-':<9})        {v.get('rtl_images') or '-':>6}  "
              f"{_n(v['rtl_mismatches']):>11}",
              "", "cycles per frame:  estimate {}  HLS loop trips {}  RTL simulated {}".format(
                  t["cycles_per_frame_estimate"], _n(t.get("cycles_per_frame_hls")), _n(t["cycles_per_frame_sim"])),
              f"throughput at {clock:g} MHz: {t['fps_at_clock']:,.0f} frames/s (estimate; bottleneck {t['bottleneck']})"
              + (f", {clock * 1e6 / t['cycles_per_frame_sim']:,.0f} frames/s simulated" if t["cycles_per_frame_sim"]
                 else ""),
              f"latency (first pixel in to last logit out): estimate {lat['cycles_estimate']} cycles"
              + (f", simulated {lat['cycles_sim']} cycles = {lat['cycles_sim'] / clock:.1f} us" if lat["cycles_sim"]
                 else ""),
              "", "resources (estimate)   used  available  utilisation"]
    used = report["totals"]["estimate"]
    for k, name in (("lut", "LUT"), ("ff", "FF"), ("bram18", "BRAM18"), ("dsp", "DSP")):
        lines.append(f"  {name:<18} {used[k]:>6}  {dev['capacity'][k]:>9}  {dev['utilisation'][k]:>10.1%}")
    lines.append(f"  fits {report['part']}: {'yes' if dev['fits'] else 'NO'}")
    lines += ["", f"wrote {out}/: hls/ (Vivado/Vitis HLS project), rtl/ (Verilog, cocotb tb), finn/ (FINN graph), "
                  "tb_data/, report.json, build.json"]
    return "\n".join(lines)


def _n(value: object) -> str:
    return "-" if value is None else str(value)
