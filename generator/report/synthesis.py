"""Yosys numbers of a build, module by module: every layer's RTL instance, every width
converter and FIFO of the stitched design (with the parameters and memory files the stitched
top gives it), and the stitched top itself.

Synthesis of a module is pure: the same sources, parameters and memory files give the same
numbers. So each result is kept under the hash of exactly those (plus the Yosys version and
script), in the compile cache (BNNFORGE_CACHE, else ~/.cache/bnnforge): a second report, or
a layer that repeats, costs nothing. Runs go in parallel, one Yosys per core, each with a time
limit; a module that fails or runs out of time is reported as such, the others still are.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bnnforge.generator.emit.rtl import INSTANCES_FILE, MEM_PARAM
from bnnforge.generator.emit.rtl_project import FILELIST
from bnnforge.generator.report.build_report import write_text
from bnnforge.generator.synth import SYNTH_SCRIPT_VERSION, synth_xilinx, yosys_version
from bnnforge.quant.errors import BnnforgeError
from bnnforge.sim.project_csim import cache_root


@dataclass(frozen=True)
class SynthJob:
    """One module to synthesize, named as its row of report.json (a layer, `FIFO_<tensor>`, or
    the top)."""

    name: str
    module: str
    sources: tuple[Path, ...]
    parameters: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def key(self) -> str:
        """Content hash: what Yosys reads, how, and which Yosys."""
        h = hashlib.sha256()
        for part in (SYNTH_SCRIPT_VERSION, yosys_version(), self.module, json.dumps(self.parameters, sort_keys=True)):
            h.update(part.encode() + b"\0")
        for src in sorted(self.sources, key=lambda p: p.name):
            h.update(src.name.encode() + b"\0" + src.read_bytes() + b"\0")
        for name in sorted(self.files):
            h.update(name.encode() + b"\0" + self.files[name].encode() + b"\0")
        return h.hexdigest()[:24]


def _read_instances(rtl_dir: Path) -> dict:
    path = rtl_dir / INSTANCES_FILE
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise BnnforgeError(f"{path} is missing: not a bnnforge RTL project (rebuild with this bnnforge)") from None
    except json.JSONDecodeError as e:
        raise BnnforgeError(f"{path} is corrupt: {e}") from None


def layer_jobs(rtl_dir: Path) -> list[SynthJob]:
    """A job per instance of the stitched top of DIR/rtl (layers, width converters, FIFOs),
    with the parameters and memory files the top gives it (emit/rtl.py's INSTANCES_FILE)."""
    rtl_dir = Path(rtl_dir)
    jobs = []
    for inst in _read_instances(rtl_dir)["instances"]:
        mems = {m: (rtl_dir / "mem" / m).read_text() for m in inst["memories"]}
        jobs.append(SynthJob(inst["name"], inst["module"], tuple(rtl_dir / s for s in inst["sources"]),
                             dict(inst["parameters"]), mems))
    return jobs


def top_job(rtl_dir: Path) -> SynthJob:
    """The stitched top of DIR/rtl, with its library files and memories."""
    rtl_dir = Path(rtl_dir)
    top = _read_instances(rtl_dir)["top"]
    sources = tuple(rtl_dir / line.strip() for line in (rtl_dir / FILELIST).read_text().splitlines() if line.strip())
    mems = {p.name: p.read_text() for p in sorted((rtl_dir / "mem").glob("*.mem"))}
    # Yosys runs where the sources and memories are copied side by side
    return SynthJob("top", top, sources, {MEM_PARAM: '"./"'} if mems else {}, mems)


def _cache_path(key: str) -> Path:
    return cache_root() / "synth" / f"{key}.json"


def cached(job: SynthJob, key: str | None = None) -> dict | None:
    """The cached numbers of a job (`key`: its key(), when the caller has it), or None."""
    path = _cache_path(key or job.key())
    return json.loads(path.read_text()) if path.is_file() else None


def synthesize(job: SynthJob, timeout: float, key: str | None = None) -> dict:
    """Yosys numbers of one job (LUT, FF, CARRY4, BRAM18, DSP, logic depth), from the cache
    when it has them. Failures are not cached (a longer time limit may succeed)."""
    key = key or job.key()  # hashing reads every source and memory file: once
    hit = cached(job, key)
    if hit is not None:
        return {**hit, "cached": True}
    result = synth_xilinx(job.module, list(job.sources), job.parameters, job.files, timeout=timeout, depth=True)
    path = _cache_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps(result, sort_keys=True))
    return {**result, "cached": False}


def run_jobs(jobs: list[SynthJob], timeout: float = 900, workers: int | None = None,
             progress: Callable[[int, int, str], None] | None = None) -> dict[str, dict]:
    """{job name: numbers or {"error": message}} for all jobs. Jobs with the same content run
    once; `workers` Yosys processes at a time (default: one per core); `progress(done, total,
    name)` after each distinct module."""
    workers = workers or max(1, len(os.sched_getaffinity(0)))
    by_key: dict[str, list[SynthJob]] = {}
    for job in jobs:
        by_key.setdefault(job.key(), []).append(job)
    results: dict[str, dict] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:  # each thread waits on a Yosys process
        futures = {pool.submit(synthesize, same[0], timeout, key): same for key, same in by_key.items()}
        for done, fut in enumerate(as_completed(futures), 1):
            same = futures[fut]
            try:
                result = fut.result()
            except BnnforgeError as e:
                result = {"error": str(e)}
            for job in same:
                results[job.name] = result
            if progress:
                progress(done, len(futures), same[0].name)
    return results
