"""FPGA parts bnnforge can target: their resources, for utilisation and fit checks.

Capacities are the vendor data sheet figures (7-series DS180, Zynq UltraScale+ DS891,
Alveo U250 DS962, Virtex UltraScale+ DS923): LUTs, flip-flops, BRAM18 halves (two per
36 Kb block), URAM288 blocks and DSP slices. A part may be named in full
(xczu7ev-ffvc1156-2-e) or by its device (xczu7ev), which takes the package in the table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bnnforge.generator.hwops.memory import BRAM18_BITS, LUTRAM_MAX_DEPTH, URAM_DEPTH, URAM_WIDTH
from bnnforge.quant.errors import BnnforgeError

CAPACITY_KEYS = ("lut", "ff", "bram18", "uram", "dsp")


@dataclass(frozen=True)
class Device:
    part: str  # the full part name FINN and Vivado take
    family: str
    lut: int
    ff: int
    bram18: int
    uram: int
    dsp: int

    @property
    def device(self) -> str:
        return device_of(self.part)

    def capacity(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in CAPACITY_KEYS}

    def utilisation(self, used: dict[str, float]) -> dict[str, float]:
        """Fraction of each resource `used` takes (0 where the part has none and none is used,
        inf where it has none and some is used)."""
        out = {}
        for k in CAPACITY_KEYS:
            have, need = getattr(self, k), float(used.get(k, 0))
            out[k] = need / have if have else (0.0 if need == 0 else float("inf"))
        return out

    def fits(self, used: dict[str, float]) -> bool:
        return all(u <= 1.0 for u in self.utilisation(used).values())

    def memory_bits(self) -> int:
        """More bits than the part can hold in any form: every block RAM and UltraRAM, every
        LUT as 64 bits of distributed RAM and every flip-flop."""
        return self.bram18 * BRAM18_BITS + self.uram * URAM_WIDTH * URAM_DEPTH + self.lut * LUTRAM_MAX_DEPTH + self.ff


DEVICES = (
    Device("xc7z020clg400-1", "zynq7", 53200, 106400, 280, 0, 220),
    Device("xc7z045ffg900-2", "zynq7", 218600, 437200, 1090, 0, 900),
    Device("xczu3eg-sbva484-1-e", "zynquplus", 70560, 141120, 432, 0, 360),
    Device("xczu7ev-ffvc1156-2-e", "zynquplus", 230400, 460800, 624, 96, 1728),
    Device("xczu9eg-ffvb1156-2-e", "zynquplus", 274080, 548160, 1824, 0, 2520),
    Device("xcvu9p-flga2104-2L-e", "virtexuplus", 1182240, 2364480, 4320, 960, 6840),
    Device("xcu250-figd2104-2L-e", "alveo", 1728000, 3456000, 5376, 1280, 12288),
)
DEFAULT_PART = DEVICES[0].part


def device_of(part: str) -> str:
    """The device of a part name: xczu7ev-ffvc1156-2-e -> xczu7ev, xc7z020clg400-1 -> xc7z020."""
    p = part.lower()
    if p.startswith("xc7"):
        return p[:7]
    return p.split("-")[0]


def find_device(part: str) -> Device:
    """The table entry for a full part name or a device name; a one-line error otherwise."""
    p = part.strip().lower()
    for d in DEVICES:
        if p in (d.part, d.device):
            return d
        if device_of(p) == d.device:  # another package or speed grade of a device we know
            return replace(d, part=p)
    raise BnnforgeError(f"unknown part {part!r}; known parts: {', '.join(d.part for d in DEVICES)}")
