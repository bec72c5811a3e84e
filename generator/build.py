"""`bnnforge build`: a checkpoint or a zoo model -> DIR with the HLS project, the RTL project,
the FINN graph, the test vectors and the report (the layout is in ../shared/DESIGN.md,
"What `bnnforge build` writes").

DIR is written into a hidden sibling directory and renamed into place at the end, so it
appears complete or not at all; it holds relative paths only and no time stamps, so the
same inputs give the same bytes wherever it is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bnnforge.generator.report.devices import DEFAULT_PART, find_device
from bnnforge.quant.errors import BnnforgeError

BUILD_FILE, REPORT_FILE, TB_DIR = "build.json", "report.json", "tb_data"
# test images of a build that is not from a digits checkpoint: random pixels; one above 64x64,
# where the golden model takes seconds per image and RTL simulation minutes
RANDOM_IMAGES, LARGE_INPUT_PIXELS, RANDOM_SEED = 8, 64 * 64, 0


def version() -> str:
    from importlib.metadata import PackageNotFoundError, version as dist_version

    try:
        return dist_version("bnnforge")
    except PackageNotFoundError:
        return "unknown"


ZOO_INIT_SEED = 0  # torch seed of an untrained zoo model's initial weights


@dataclass
class BuildOptions:
    source: str  # a checkpoint file or a zoo model name
    out: Path
    fold: str = "auto"  # "auto" or a folding file
    target_cycles: int | None = None
    target_fps: float | None = None
    part: str = DEFAULT_PART
    clock_mhz: float = 100.0
    images: int | None = None  # test images in tb_data (default: the digits test split, or 8 random)
    overrides: dict = field(default_factory=dict)  # zoo model config (--set)
    force: bool = False
    log: object = None  # progress lines (default: console.say)


@dataclass
class Source:
    model: object  # bnnforge.quant.models.BNN, in eval mode
    name: str  # zoo name
    trained: bool
    describe: str  # for file headers: what the build was made from
    record: dict  # for build.json
    dataset: str | None  # the data set the checkpoint was trained on
    image_size: int | None


def top_name(model_name: str) -> str:
    """A C/Verilog identifier for the top function/module."""
    name = re.sub(r"\W", "_", model_name)
    return name if name[:1].isalpha() else f"net_{name}"


def resolve_source(source: str, overrides: dict) -> Source:
    """A checkpoint path or a zoo name; one-line errors for anything else."""
    from bnnforge.quant import models

    path = Path(source)
    if path.suffix == ".pt" or path.is_file():
        if overrides:
            raise BnnforgeError("--set changes a zoo model's configuration; a checkpoint fixes its own")
        ckpt = models.read_checkpoint(path)
        model = models.load(path)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        metrics = ckpt.get("metrics") or {}
        return Source(model, ckpt["model"], True, f"checkpoint {path.name} (sha256 {sha[:16]})",
                      {"kind": "checkpoint", "file": path.name, "sha256": sha, "model": ckpt["model"],
                       "config": ckpt["config"]},
                      metrics.get("dataset"), metrics.get("image_size"))
    if source not in models.names():
        raise BnnforgeError(f"{source!r} is neither a checkpoint file nor a zoo model; zoo models: "
                            f"{', '.join(models.names())}")
    import torch

    # an untrained model's weights are torch's initialisation: seeded, so that the same name
    # and --set give the same build, byte for byte
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(ZOO_INIT_SEED)
        model = models.create(source, **overrides).eval()
    return Source(model, source, False, f"zoo model {source} (untrained, initialised with seed {ZOO_INIT_SEED})",
                  {"kind": "zoo", "model": source, "config": model.params, "init_seed": ZOO_INIT_SEED}, None, None)


def test_images(src: Source, n: int | None) -> tuple[np.ndarray, np.ndarray | None, str]:
    """(NCHW uint8-valued images, labels or None, where they come from)."""
    shape = tuple(src.model.input_shape)
    if src.dataset == "digits" and shape[1] == shape[2] and shape[0] == 1:
        from bnnforge.quant.data import load_digits_split

        _, _, x, y = load_digits_split(shape[1])
        if n is not None and n > len(x):
            raise BnnforgeError(f"--images {n}: the digits test split has {len(x)} images")
        n = len(x) if n is None else n
        return x[:n].numpy().astype(np.int64), y[:n].numpy(), f"digits test split, first {n} images"
    if n is None:
        n = RANDOM_IMAGES if shape[1] * shape[2] <= LARGE_INPUT_PIXELS else 1
    rng = np.random.default_rng(RANDOM_SEED)
    return rng.integers(0, 256, (n, *shape)), None, f"{n} random images (seed {RANDOM_SEED})"


def target_cycles(opts: BuildOptions) -> int | None:
    if opts.target_fps is not None:
        from bnnforge.generator.graph import cycles_for_fps

        if opts.target_cycles is not None:
            raise BnnforgeError("give --target-cycles or --target-fps, not both")
        return cycles_for_fps(opts.target_fps, opts.clock_mhz)
    return opts.target_cycles


def _check_options(opts: BuildOptions) -> None:
    if opts.clock_mhz <= 0:
        raise BnnforgeError(f"--clock-mhz must be positive, got {opts.clock_mhz:g}")
    if opts.images is not None and opts.images < 1:
        raise BnnforgeError(f"--images must be at least 1, got {opts.images}")
    if opts.fold != "auto":
        from bnnforge.generator.passes.folding import read_folding

        read_folding(Path(opts.fold))
    out = Path(opts.out)
    if out.exists() and not opts.force:
        raise BnnforgeError(f"{out} exists; --force replaces it")
    parent = out.resolve().parent
    if not parent.is_dir():
        raise BnnforgeError(f"cannot write {out}: {parent} is not a directory")
    if not os.access(parent, os.W_OK):
        raise BnnforgeError(f"cannot write {out}: {parent} is not writable")


def build(opts: BuildOptions) -> dict:
    """Build DIR; returns the report."""
    device = find_device(opts.part)
    cycles_target = target_cycles(opts)
    _check_options(opts)
    t0 = time.perf_counter()
    from bnnforge.generator.console import say

    log = _timed(opts.log or say)
    out = Path(opts.out)
    tmp = out.resolve().parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        report = _build_into(opts, device, cycles_target, tmp, log)
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"wrote {out}/ in {time.perf_counter() - t0:.0f} s")
    return report


def _timed(log):  # noqa: ANN001, ANN202
    """Stage lines with the seconds since the build started (BNNFORGE_TIMING=1)."""
    if not os.environ.get("BNNFORGE_TIMING"):
        return log
    t0 = time.perf_counter()
    return lambda line: log(f"{time.perf_counter() - t0:6.1f}s {line}")


def _replace_dir(new: Path, out: Path) -> None:
    old = None
    if out.exists() or out.is_symlink():
        old = out.resolve().parent / f".{out.name}.old-{os.getpid()}"
        out.rename(old)
    new.rename(out)
    if old is not None:
        shutil.rmtree(old) if old.is_dir() and not old.is_symlink() else old.unlink()


def _build_into(opts: BuildOptions, device, cycles_target: int | None, tmp: Path, log) -> dict:  # noqa: ANN001
    import torch

    from bnnforge.generator.background import Stage
    from bnnforge.generator.dataflow import build_dataflow, run_dataflow
    from bnnforge.generator.emit.finn_project import write_finn_project
    from bnnforge.generator.emit.hls_project import write_hls_project
    from bnnforge.generator.emit.rtl_project import write_rtl_project
    from bnnforge.generator.estimate import estimate_graph
    from bnnforge.generator.graph import fold
    from bnnforge.generator.lower import OUTPUT_FRAC_KEY, lower
    from bnnforge.generator.passes.folding import folding_of
    from bnnforge.generator.passes.width_converters import prepare_interconnect
    from bnnforge.generator.report.build_report import initial_report, write_json
    from bnnforge.generator.tb_data import stream_vectors, write_tb_data

    src = resolve_source(opts.source, opts.overrides)
    top = top_name(src.name)
    x, labels, image_source = test_images(src, opts.images)
    log(f"[1/5] {src.describe}: export, FINN streamlining, lowering to hardware ops")
    streamlined, graph = build_dataflow(src.model, batch=1)
    unfolded = graph  # folding works on a copy: this is the golden model at batch 1
    folded, warnings = fold(graph, opts.fold, cycles_target, device, opts.clock_mhz)
    for w in warnings:
        log(f"      warning: {w}")
    graph = prepare_interconnect(folded)
    estimate = estimate_graph(graph)
    log(f"      {len(folded.graph.node)} hardware ops, {estimate['throughput']['cycles_per_frame_estimate']} "
        f"cycles/frame, {estimate['totals']['estimate']['lut']} LUT estimated")
    tmp.mkdir(parents=True)
    # FINN's flow needs only the folded graph: it runs beside the stages below
    finn_stage = Stage("FINN", write_finn_project, folded, tmp / "finn", device.part, opts.clock_mhz)
    hls4ml_stage = None
    try:
        log(f"[2/5] golden model on {len(x)} test images ({image_source})")
        logits = run_dataflow(unfolded if len(x) == 1 else lower(streamlined, batch=len(x)), x)
        with torch.no_grad():
            want = src.model(torch.from_numpy(x).float()).double().numpy()
        frac = int(graph.get_metadata_prop(OUTPUT_FRAC_KEY))
        codes = np.rint(logits * 2.0 ** frac).astype(np.int64)
        golden_mismatches = int((logits != want).any(axis=1).sum())
        tb = stream_vectors(graph, np.transpose(x, (0, 2, 3, 1)), codes, frac, image_source)
        tb.cycles_per_frame_estimate = estimate["throughput"]["cycles_per_frame_estimate"]
        tb.latency_estimate = estimate["latency"]["cycles_estimate"]
        accuracy = None
        if labels is not None:
            accuracy = {"torch": float((want.argmax(1) == labels).mean()),
                        "hardware": float((logits.argmax(1) == labels).mean()), "images": len(x)}
        write_tb_data(tb, tmp / TB_DIR, x, logits, labels)

        log(f"[3/5] HLS project (hls/), RTL project (rtl/), hls4ml project (hls4ml/)")
        # hls4ml's converter needs the golden outputs and nothing of the emitters: beside them
        hls4ml_stage = Stage("hls4ml", _write_hls4ml, graph, tmp / "hls4ml", top, device.part, opts.clock_mhz, x,
                             logits)
        write_hls_project(graph, tmp / "hls", top, tb, device.part, opts.clock_mhz, src.describe, version())
        shutil.copytree(tmp / TB_DIR, tmp / "hls" / TB_DIR)
        write_rtl_project(graph, tmp / "rtl", top, tb, src.describe, version())
        hls4ml_stage.result()

        log(f"[4/5] FINN graph and FINN's estimates (finn/)")
        finn = finn_stage.result()

        log("[5/5] report")
        report = initial_report(src, top, device, opts.clock_mhz, estimate, finn, accuracy,
                                {"images": len(x), "golden_mismatches": golden_mismatches})
        write_json(tmp / REPORT_FILE, report)
        fold_record = "auto" if opts.fold == "auto" else {
            "file": Path(opts.fold).name, "sha256": hashlib.sha256(Path(opts.fold).read_bytes()).hexdigest()}
        write_json(tmp / BUILD_FILE, {
            "bnnforge_version": version(), "top": top, "source": src.record, "fold": fold_record,
            "target_cycles": cycles_target, "folding": folding_of(folded), "part": device.part,
            "clock_mhz": opts.clock_mhz, "images": len(x), "image_source": image_source})
        if golden_mismatches:
            log(f"      warning: the golden model differs from PyTorch on {golden_mismatches} of {len(x)} images")
        return report
    finally:
        for stage in (finn_stage, hls4ml_stage):  # a failed build leaves no child behind
            if stage is not None:
                stage.cancel()


def _write_hls4ml(graph, out: Path, top: str, part: str, clock_mhz: float, x: np.ndarray,  # noqa: ANN001
                  logits: np.ndarray) -> None:
    """DIR/hls4ml: the same folded graph as an hls4ml project (generator/hls4ml_export)."""
    from bnnforge.generator.hls4ml_export import convert
    from bnnforge.generator.hls4ml_export.project import write_project

    hls_model = convert(graph, out, part=part, fold=None, clock_mhz=clock_mhz, project_name=top)
    write_project(hls_model, np.transpose(x, (0, 2, 3, 1)), logits)


def read_build(path: Path) -> tuple[dict, dict]:
    """(build.json, report.json) of a build directory; a one-line error if it is not one."""
    path = Path(path)
    if not path.is_dir():
        raise BnnforgeError(f"{path} is not a directory")
    try:
        build_info = json.loads((path / BUILD_FILE).read_text())
        report = json.loads((path / REPORT_FILE).read_text())
    except FileNotFoundError as e:
        raise BnnforgeError(f"{path} is not a bnnforge build: {Path(e.filename).name} is missing") from None
    except json.JSONDecodeError as e:
        raise BnnforgeError(f"{path} is not a bnnforge build: corrupt JSON ({e})") from None
    return build_info, report
