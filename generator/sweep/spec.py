"""What a sweep point is: a model (zoo name or checkpoint), a part and a folding target, and
the content hash that names its result in DIR/points/.

The key covers everything the result depends on: the model (a zoo name with its --set
values, or the checkpoint's bytes), the part, the target, the clock, whether Yosys runs, and
the bnnforge sources that fold, estimate and emit (so a changed cost model recomputes; the
same sources give the same key on any machine). This module imports no torch, so workers
and the command line answer fast.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from bnnforge.quant.errors import BnnforgeError


@dataclass(frozen=True)
class ModelSpec:
    """A model as the sweep names it; `data` carries a checkpoint's bytes to the workers, which
    need not share a file system with the command line."""

    label: str  # a zoo name, or the checkpoint's file name
    kind: str  # "zoo" or "checkpoint"
    model: str  # the zoo model (a checkpoint's own)
    overrides: str = "{}"  # a zoo model's --set values, canonical JSON
    sha256: str | None = None  # a checkpoint's content
    data: bytes = field(default=b"", repr=False, compare=False)

    def identity(self) -> dict:
        return {"label": self.label, "kind": self.kind, "model": self.model, "overrides": json.loads(self.overrides),
                "sha256": self.sha256}

    def key(self, sources: str) -> str:
        """Content hash of the model as the sources lower it (names its dataflow task)."""
        ident = {"model": self.identity(), "sources": sources}
        return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Target:
    """A folding target as given (`kind` "cycles" or "fps") and the cycles per frame it means."""

    kind: str
    value: float
    cycles: int

    def identity(self) -> dict:
        return {self.kind: self.value}

    def describe(self, clock_mhz: float) -> str:
        if self.kind == "fps":
            return f"{self.value:,.6g} frames/s ({self.cycles:,} cycles/frame at {clock_mhz:g} MHz)"
        return f"{self.cycles:,} cycles/frame"


@dataclass(frozen=True)
class Point:
    model: ModelSpec
    part: str  # the full part name (report.devices)
    target: Target
    clock_mhz: float
    synth: bool

    def key(self, sources: str) -> str:
        """Content hash naming the point's result file."""
        ident = {"model": self.model.identity(), "part": self.part, "target": self.target.identity(),
                 "target_cycles": self.target.cycles, "clock_mhz": self.clock_mhz, "synth": self.synth,
                 "sources": sources}
        return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:24]

    def sort_key(self) -> tuple:
        return self.model.label, self.part, self.target.cycles, self.target.kind, self.target.value

    def describe(self) -> str:
        return f"{self.model.label} on {self.part} at {self.target.describe(self.clock_mhz)}"


def resolve_model(source: str, overrides: dict) -> ModelSpec:
    """A zoo name or checkpoint file as a ModelSpec; one-line errors for anything else
    (build.resolve_source decides, so sweep and build accept the same models)."""
    from bnnforge.generator.build import resolve_source

    src = resolve_source(source, overrides)  # loads it: a bad checkpoint fails here, before any work
    if src.record["kind"] == "checkpoint":
        data = Path(source).read_bytes()
        return ModelSpec(Path(source).name, "checkpoint", src.name, "{}", src.record["sha256"], data)
    return ModelSpec(source, "zoo", src.name, json.dumps(overrides, sort_keys=True))


def parse_targets(cycles: str | None, fps: str | None, clock_mhz: float) -> list[Target]:
    """`--targets-cycles 256,1024` or `--targets-fps 1e5,4e5` as Targets (sorted, no repeats)."""
    from bnnforge.generator.graph import cycles_for_fps

    if (cycles is None) == (fps is None):
        raise BnnforgeError("give --targets-cycles or --targets-fps (comma-separated), one of them")
    raw, kind = (cycles, "cycles") if cycles is not None else (fps, "fps")
    targets = set()
    for item in filter(None, (s.strip() for s in raw.split(","))):
        try:
            value = float(item)
        except ValueError:
            raise BnnforgeError(f"--targets-{kind}: {item!r} is not a number") from None
        if kind == "cycles":
            if value != int(value) or value < 1:
                raise BnnforgeError(f"--targets-cycles: {item!r} is not a positive whole number")
            targets.add(Target("cycles", int(value), int(value)))
        else:
            targets.add(Target("fps", value, cycles_for_fps(value, clock_mhz)))
    if not targets:
        raise BnnforgeError(f"--targets-{kind} names no target")
    return sorted(targets, key=lambda t: (t.cycles, t.value))


# what a point's result depends on besides its inputs: the Python that exports, lowers, folds
# and estimates; with Yosys also the RTL library it synthesizes
_PACKAGES = ("bnnforge.generator", "bnnforge.quant")


@cache
def sources_hash(synth: bool) -> str:
    import importlib

    h = hashlib.sha256()
    roots = [(p, "*.py") for p in _PACKAGES]
    if synth:
        roots.append(("bnnforge.hw", "rtl/**/*"))
    for package, pattern in roots:
        root = Path(importlib.import_module(package).__file__).parent
        for path in sorted(root.rglob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(f"{package}/{path.relative_to(root).as_posix()}".encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]
