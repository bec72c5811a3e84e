"""The `bnnforge` command line.

Each subcommand imports its heavy dependencies (torch, brevitas, qonnx) lazily so that
`bnnforge doctor` and `bnnforge --help` answer even on a broken install.
Every user-facing failure is raised as `BnnforgeError` and printed as one line on stderr
with exit status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable, Sequence

from bnnforge.generator.console import say
from bnnforge.generator.errors import BnnforgeError


def _cmd_doctor(args: argparse.Namespace) -> int:
    from bnnforge.generator.doctor import run_doctor

    return run_doctor(as_json=args.json)


def _cmd_models(args: argparse.Namespace) -> int:
    from bnnforge.quant import models

    rows = models.describe_all()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        c, h, w = r["input_shape"]
        print(f"{r['name']:<{width}}  {c}x{h}x{w:<4} {r['classes']:>5} classes  {r['description']}")
        for note in r["notes"]:
            print(f"{'':<{width}}  note: {note}")
    return 0


def _cmd_ops(args: argparse.Namespace) -> int:
    from bnnforge.quant import models
    from bnnforge.quant.opcount import count_ops, format_table

    model = models.create(args.model, **_parse_overrides(args.set))
    report = count_ops(model, name=args.model)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_table(report))
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from bnnforge.quant.train import TrainConfig, train_and_save

    cfg = TrainConfig(
        model=args.model,
        dataset=args.dataset,
        image_size=args.image_size,
        epochs_step1=args.epochs_step1,
        epochs_step2=args.epochs_step2,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        distill=args.distill,
        teacher_epochs=args.teacher_epochs,
        overrides=_parse_overrides(args.set),
        progress=not args.quiet,
    )
    ckpt = train_and_save(cfg, Path(args.out))
    m = ckpt["metrics"]
    print(
        f"saved {args.out}: {args.model} test accuracy {m['test_accuracy']:.4f} "
        f"({m['test_images']} images, {m['train_seconds']:.0f} s)"
    )
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from bnnforge.generator.export import export_qonnx_file

    out = export_qonnx_file(Path(args.ckpt), Path(args.out))
    say(f"wrote {out}")
    return 0


def _cmd_graph(args: argparse.Namespace) -> int:
    from bnnforge.generator.estimate import format_estimate
    from bnnforge.generator.graph import companion_paths, cycles_for_fps, write_graph

    from bnnforge.generator.finn_export import DEFAULT_PART

    target = args.target_cycles if args.target_fps is None else cycles_for_fps(args.target_fps, args.clock_mhz)
    report = write_graph(Path(args.ckpt), Path(args.out), args.fold, target, args.part or DEFAULT_PART, args.clock_mhz)
    if args.json:
        say(json.dumps(report, indent=2))
        return 0
    say(format_estimate(report, args.clock_mhz))
    for w in report["warnings"]:
        say(f"warning: {w}", err=True)
    say("wrote " + ", ".join(str(p) for p in companion_paths(Path(args.out)).values()))
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from bnnforge.generator.build import BuildOptions, build

    build(BuildOptions(source=args.model, out=Path(args.out), fold=args.fold, target_cycles=args.target_cycles,
                       target_fps=args.target_fps, part=args.part, clock_mhz=args.clock_mhz, images=args.images,
                       overrides=_parse_overrides(args.set), force=args.force))
    return 0


def _cmd_csim(args: argparse.Namespace) -> int:
    from bnnforge.sim.project_csim import csim_command

    return csim_command(Path(args.dir))


def _cmd_sim(args: argparse.Namespace) -> int:
    from bnnforge.sim.network import sim_command

    return sim_command(Path(args.dir), args.simulator, args.images, args.stall, args.seed,
                       Path(args.rtl) if args.rtl else None, args.top, progress=not args.quiet)


def _cmd_report(args: argparse.Namespace) -> int:
    from bnnforge.generator.report.write import write_report

    r = write_report(Path(args.dir), synth=args.synth, hls_report=Path(args.hls_report) if args.hls_report else None,
                     part=args.part, timeout=args.timeout, workers=args.jobs, quiet=args.quiet)
    t, d = r["throughput"], r["device"]
    worst = max(d["utilisation"], key=d["utilisation"].get)
    say(f"{r['model']} on {d['part']}: {t['cycles_per_frame_estimate']:,} cycles/frame estimated"
        + (f", {t['cycles_per_frame_sim']:,} simulated" if t.get("cycles_per_frame_sim") else "")
        + f", {t['fps_at_clock']:,.0f} frames/s at {r['clock_mhz']:g} MHz, bottleneck {t['bottleneck']}")
    say(f"estimate {r['totals']['estimate']['lut']:,} LUT, highest use {100 * d['utilisation'][worst]:.1f}% "
        f"{worst.upper()}: {'fits' if d['fits'] else 'does NOT fit'}"
        + (f"; Yosys {r['totals']['synth']['lut']:,} LUT ({r['totals']['synth']['source']})"
           if (r["totals"].get("synth") or {}).get("lut") is not None else ""))
    for name, depth in (r.get("timing") or {}).get("deep", [])[:5]:
        say(f"timing risk: {name} has {depth} logic levels (limit {r['timing']['max_logic_depth']})")
    say(f"wrote {Path(args.dir) / 'report.json'}, report.md, report.html")
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from bnnforge.generator.sweep.run import SweepIncomplete, SweepInterrupted, SweepOptions, run_sweep

    opts = SweepOptions(sources=args.models, out=Path(args.out), targets_cycles=args.targets_cycles,
                        targets_fps=args.targets_fps, parts=[p for p in (args.parts or "").split(",") if p.strip()],
                        synth=args.synth, scheduler=args.scheduler, clock_mhz=args.clock_mhz,
                        overrides=_parse_overrides(args.set), timeout=args.timeout, workers=args.jobs,
                        quiet=args.quiet)
    try:
        run_sweep(opts)
    except SweepIncomplete as e:
        say(f"bnnforge sweep: {e}", err=True)
        return 1
    except SweepInterrupted as e:
        say(f"bnnforge sweep: {e}", err=True)
        return 130
    return 0


def _cmd_import_reference(args: argparse.Namespace) -> int:
    from bnnforge.quant.reference_import import import_reference

    m = import_reference(Path(args.path), Path(args.out), args.model, args.calibrate_images,
                         _parse_overrides(args.set))
    say(f"wrote {args.out}: {args.model} from {args.path}; classifier input range calibrated on "
        f"{m['calibration']['images']}")
    if m["binary_weights_exactly_zero"]:
        say(f"warning: {m['binary_weights_exactly_zero']} binary weights are exactly 0 (sign 0 in the reference, "
            f"+1 here)", err=True)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from bnnforge.generator.demo import run_demo

    return run_demo(out=Path(args.out) if args.out else None, retrain=args.retrain)


def _parse_overrides(items: Sequence[str] | None) -> dict:
    """`--set width=32 --set mlp_blocks=2` -> {"width": 32, "mlp_blocks": 2}."""
    out: dict = {}
    for item in items or []:
        if "=" not in item:
            raise BnnforgeError(f"--set expects KEY=VALUE, got {item!r}")
        key, raw = item.split("=", 1)
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out[key.strip()] = value
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bnnforge",
        description="Hardware generator for binary neural networks (BCDNet, FTBNN, ReActNet).",
    )
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show the warnings and logs of torch, qonnx, FINN and the simulators")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def add(name: str, fn: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.set_defaults(func=fn)
        return sp

    sp = add("doctor", _cmd_doctor, "tools found or missing, with versions and how to install")
    sp.add_argument("--json", action="store_true", help="machine-readable output")

    sp = add("models", _cmd_models, "list the model zoo")
    sp.add_argument("--json", action="store_true", help="machine-readable output")

    sp = add("ops", _cmd_ops, "BOPs, FLOPs (full-precision MACs) and OPs = BOPs/64 + FLOPs")
    sp.add_argument("model", help="model zoo name (see `bnnforge models`)")
    sp.add_argument("--json", action="store_true", help="machine-readable output")
    sp.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a model config value")

    sp = add("train", _cmd_train, "two-step binary QAT on an embedded data set")
    sp.add_argument("model", help="model zoo name (see `bnnforge models`)")
    sp.add_argument("--dataset", default="digits", choices=["digits"], help="embedded data set")
    sp.add_argument("--out", required=True, help="checkpoint file to write (.pt)")
    sp.add_argument("--image-size", type=int, default=None, choices=[8, 16, 32],
                    help="upscale digits to this size (default: the model's input size)")
    sp.add_argument("--epochs-step1", type=int, default=None, help="step 1 epochs (binary activations, real weights)")
    sp.add_argument("--epochs-step2", type=int, default=None, help="step 2 epochs (binary weights and activations)")
    sp.add_argument("--batch-size", type=int, default=64)
    sp.add_argument("--lr", type=float, default=2e-3)
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--distill", action="store_true", help="train a real-valued teacher and distill from it")
    sp.add_argument("--teacher-epochs", type=int, default=30)
    sp.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a model config value")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")

    sp = add("export", _cmd_export, "export a checkpoint to a cleaned QONNX file (Brevitas export_qonnx + qonnx cleanup)")
    sp.add_argument("ckpt", help="checkpoint written by `bnnforge train`")
    sp.add_argument("--out", required=True, help="QONNX file to write (.onnx)")

    sp = add("graph", _cmd_graph, "the streamlined, folded dataflow graph (QONNX/FINN format) and its estimate")
    sp.add_argument("ckpt", help="checkpoint written by `bnnforge train`")
    sp.add_argument("--out", required=True, help="graph file to write (.onnx); .folding.json and "
                    ".estimate.json are written next to it")
    sp.add_argument("--fold", default="auto", help="'auto' or a folding file (JSON/YAML, FINN folding-config shape)")
    target = sp.add_mutually_exclusive_group()
    target.add_argument("--target-cycles", type=int, default=None,
                        help="auto folding: cycles per frame to meet (default: one input pixel per cycle)")
    target.add_argument("--target-fps", type=float, default=None, help="auto folding: frames per second at the clock")
    sp.add_argument("--clock-mhz", type=float, default=100.0, help="clock for the frames/s figure")
    sp.add_argument("--part", default=None, help="FPGA part the auto folding fits and FINN estimates for "
                    "(default: xc7z020clg400-1)")
    sp.add_argument("--json", action="store_true", help="print the estimate as JSON")

    from bnnforge.generator.report.devices import DEFAULT_PART as BUILD_PART

    sp = add("build", _cmd_build, "the network as a Vivado/Vitis HLS project, an RTL project, a FINN graph, "
             "test vectors and a report")
    sp.add_argument("model", help="a checkpoint (.pt) or a zoo model name (builds the untrained model)")
    sp.add_argument("--out", required=True, help="directory to write (must not exist unless --force)")
    sp.add_argument("--fold", default="auto", help="'auto' or a folding file (JSON/YAML, FINN folding-config shape)")
    target = sp.add_mutually_exclusive_group()
    target.add_argument("--target-cycles", type=int, default=None,
                        help="auto folding: cycles per frame to meet (default: one input pixel per cycle)")
    target.add_argument("--target-fps", type=float, default=None, help="auto folding: frames per second at the clock")
    sp.add_argument("--part", default=BUILD_PART, help=f"FPGA part the auto folding fits (default {BUILD_PART})")
    sp.add_argument("--clock-mhz", type=float, default=100.0, help="clock (default 100 MHz)")
    sp.add_argument("--images", type=int, default=None,
                    help="test images in tb_data (default: the digits test split for a digits checkpoint, "
                         "else 8 random, 1 above 64x64)")
    sp.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a zoo model's config value")
    sp.add_argument("--force", action="store_true", help="replace an existing output directory")

    sp = add("csim", _cmd_csim, "HLS C-simulation (g++) of a build against its golden vectors")
    sp.add_argument("dir", help="a directory written by `bnnforge build`")

    sp = add("sim", _cmd_sim, "cocotb RTL simulation of a build against its golden vectors")
    sp.add_argument("dir", help="a directory written by `bnnforge build`")
    sp.add_argument("--simulator", default="verilator", choices=["verilator", "icarus"])
    sp.add_argument("--images", type=int, default=None, help="simulate the first N test images (default: up to 32)")
    sp.add_argument("--stall", type=float, default=0.0,
                    help="probability of a TVALID gap / TREADY backpressure cycle (default 0: measures cycles)")
    sp.add_argument("--seed", type=int, default=0, help="random seed of the stalls")
    sp.add_argument("--rtl", default=None, help="simulate this RTL instead (a file list, paths relative to it)")
    sp.add_argument("--top", default=None, help="top module of --rtl")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")

    sp = add("report", _cmd_report, "estimated, synthesized, simulated and FINN's numbers side by side: "
             "report.json, report.md, report.html")
    sp.add_argument("dir", help="a directory written by `bnnforge build`")
    sp.add_argument("--synth", action="store_true", help="Yosys synth_xilinx of every module and the top (cached)")
    sp.add_argument("--hls-report", default=None, metavar="PATH",
                    help="a Vivado/Vitis HLS csynth report: the XML, its solution or project directory, or DIR/hls")
    sp.add_argument("--part", default=None, help="FPGA part for utilisation and fit (default: the build's)")
    sp.add_argument("--timeout", type=float, default=900, help="Yosys time limit per module, seconds (default 900)")
    sp.add_argument("--jobs", type=int, default=None, help="Yosys processes at a time (default: one per core)")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")

    sp = add("sweep", _cmd_sweep, "design-space sweep on Dask: fold, estimate (and synthesize) every model x part x "
             "target; sweep.json, sweep.csv, sweep.html with the Pareto fronts")
    sp.add_argument("models", nargs="+", metavar="MODEL_OR_CKPT", help="zoo model names or checkpoints (.pt)")
    targets = sp.add_mutually_exclusive_group(required=True)
    targets.add_argument("--targets-cycles", default=None, metavar="N1,N2,...", help="auto folding targets, cycles per frame")
    targets.add_argument("--targets-fps", default=None, metavar="F1,F2,...", help="auto folding targets, frames/s at the clock")
    sp.add_argument("--parts", default=None, metavar="P1,P2,...", help=f"FPGA parts (default {BUILD_PART})")
    sp.add_argument("--synth", action="store_true", help="Yosys synth_xilinx of each point's stitched network (cached)")
    sp.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                    help="an existing Dask cluster's scheduler (default: a local cluster, one worker per core)")
    sp.add_argument("--out", required=True, help="directory of the results; a rerun skips the points already there")
    sp.add_argument("--clock-mhz", type=float, default=100.0, help="clock (default 100 MHz)")
    sp.add_argument("--set", action="append", metavar="KEY=VALUE", help="override the zoo models' config value")
    sp.add_argument("--timeout", type=float, default=900, help="Yosys time limit per point, seconds (default 900)")
    sp.add_argument("--jobs", type=int, default=None, help="local cluster workers (default: one per core)")
    sp.add_argument("--quiet", action="store_true", help="no line per point")

    sp = add("import-reference", _cmd_import_reference,
             "convert a checkpoint in the BCDNet authors' layout (Sense-GVT/BCDNet a_3.py, a_3f.py) to a bnnforge one")
    sp.add_argument("path", help="the authors' checkpoint (their saver's dict, or a state dict)")
    sp.add_argument("--model", default="bcdnet-a", help="bnnforge model of that layout (default bcdnet-a)")
    sp.add_argument("--out", required=True, help="bnnforge checkpoint to write (.pt)")
    sp.add_argument("--calibrate-images", default=None, metavar="DIR|N",
                    help="images that set the 8-bit classifier's input range: a directory of .jpg/.png, or a "
                         "number of crops of the embedded sample photos (default 8)")
    sp.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a model config value")

    sp = add("demo", _cmd_demo, "the embedded default, end to end")
    sp.add_argument("--out", default=None, help="output directory (default: ./bnnforge-demo)")
    sp.add_argument("--retrain", action="store_true", help="train the demo model instead of loading the shipped checkpoint")
    return p


# commands whose third-party output (torch's exporter, qonnx, FINN, simulators) stays off
# the terminal unless -v
QUIET_COMMANDS = {"export", "graph", "build", "csim", "demo", "sweep"}


def main(argv: Sequence[str] | None = None) -> int:
    from bnnforge.generator.console import quiet

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with quiet(enabled=args.command in QUIET_COMMANDS and not args.verbose):
            return int(args.func(args) or 0)
    except BnnforgeError as exc:
        print(f"bnnforge {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"bnnforge {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
