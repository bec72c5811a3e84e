"""DIR/tb_data: the test images of a build and the golden model's outputs, as the stream
words a C-simulation or an RTL simulation feeds and expects.

    tb_data.json                 what the files hold (images, words per image, widths, source)
    in0_V.hex, out0_V.hex        one TDATA word per line (hex), image after image
    tb_input_features.dat        one image per line: its pixels (NCHW order), as hls4ml writes them
    tb_output_predictions.dat    one image per line: the golden logits (real values)
    tb_labels.dat                one label per line (when the images have labels)

The .hex files are what `bnnforge csim` and `bnnforge sim` compare against; the rest is for
people and other tools.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from bnnforge.generator.passes.streams import edges
from bnnforge.quant.errors import BnnforgeError

META = "tb_data.json"
IN_FILE, OUT_FILE = "in0_V.hex", "out0_V.hex"


@dataclass
class TBData:
    images: int
    in_words: int  # words per image on in0_V
    out_words: int  # words per image on out0_V
    in_tdata_bits: int
    out_tdata_bits: int
    output_frac: int  # logit = code * 2**-output_frac
    source: str  # where the images come from
    # the build's estimate, for test benches that must tell a slow frame from a hang
    cycles_per_frame_estimate: int | None = None
    latency_estimate: int | None = None
    words_in: list[int] = field(default_factory=list, repr=False)
    words_out: list[int] = field(default_factory=list, repr=False)

    def meta(self) -> dict:
        return {"images": self.images, "in_port": "in0_V", "out_port": "out0_V", "in_words_per_image": self.in_words,
                "out_words_per_image": self.out_words, "in_tdata_bits": self.in_tdata_bits,
                "out_tdata_bits": self.out_tdata_bits, "output_frac": self.output_frac, "source": self.source,
                "cycles_per_frame_estimate": self.cycles_per_frame_estimate, "latency_estimate": self.latency_estimate}

    def image_words(self, which: str, image: int) -> list[int]:
        n = self.in_words if which == "in" else self.out_words
        words = self.words_in if which == "in" else self.words_out
        return words[image * n:(image + 1) * n]


def stream_vectors(model: ModelWrapper, x: np.ndarray, y: np.ndarray, output_frac: int, source: str) -> TBData:
    """Stream words of the graph input codes `x` [N, H, W, C] and output codes `y` [N, K],
    packed as the ports at the graph's two ends pack them. `model` is a folded graph with its
    interconnect (passes.prepare_interconnect)."""
    all_edges = edges(model)
    ins = [e for e in all_edges if e.src is None]
    outs = [e for e in all_edges if e.dst is None]
    if len(ins) != 1 or len(outs) != 1:
        raise BnnforgeError(f"a build needs one input and one output stream, the graph has {len(ins)} and {len(outs)}")
    pin, pout = ins[0].dst[1], outs[0].src[1]
    n = len(x)
    words_in, words_out = pin.pack(x), pout.pack(y)
    return TBData(images=n, in_words=len(words_in) // n, out_words=len(words_out) // n, in_tdata_bits=pin.tdata_bits,
                  out_tdata_bits=pout.tdata_bits, output_frac=output_frac, source=source, words_in=words_in,
                  words_out=words_out)


def _hex(words: list[int], bits: int) -> str:
    digits = (bits + 3) // 4
    return "".join(f"{w:0{digits}x}\n" for w in words)


def write_tb_data(tb: TBData, outdir: Path, images: np.ndarray, logits: np.ndarray,
                  labels: np.ndarray | None) -> None:
    """Write tb_data into `outdir`: the stream words and, for people, the images (NCHW
    integers), golden logits and labels."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / META).write_text(json.dumps({**tb.meta(), "labels": labels is not None}, indent=2) + "\n")
    (outdir / IN_FILE).write_text(_hex(tb.words_in, tb.in_tdata_bits))
    (outdir / OUT_FILE).write_text(_hex(tb.words_out, tb.out_tdata_bits))
    write_dat_files(outdir, images, logits)
    if labels is not None:
        (outdir / "tb_labels.dat").write_text("".join(f"{int(v)}\n" for v in labels))


def write_dat_files(outdir: Path, images: np.ndarray, outputs: np.ndarray | None) -> None:
    """hls4ml's test-bench files: tb_input_features.dat (one image per line, its integers in
    the caller's layout) and tb_output_predictions.dat (one line of real outputs per image)."""
    flat = np.asarray(images).reshape(len(images), -1).astype(np.int64)
    (outdir / "tb_input_features.dat").write_text("".join(" ".join(map(str, row)) + "\n" for row in flat))
    if outputs is not None:
        rows = np.asarray(outputs, np.float64).reshape(len(outputs), -1)
        (outdir / "tb_output_predictions.dat").write_text("".join(" ".join(repr(float(v)) for v in row) + "\n"
                                                                  for row in rows))


def _read_hex(path: Path, bits: int) -> list[int]:
    if not path.is_file():
        raise BnnforgeError(f"{path} is missing")
    words = []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        text = line.strip()
        try:
            w = int(text, 16)
        except ValueError:
            raise BnnforgeError(f"{path} line {i}: {text!r} is not a hexadecimal word") from None
        if w < 0 or w >> bits:
            raise BnnforgeError(f"{path} line {i}: {text!r} does not fit in {bits} bits")
        words.append(w)
    return words


def read_tb_data(tb_dir: Path) -> TBData:
    """Read and check tb_data; a one-line BnnforgeError names the first problem."""
    tb_dir = Path(tb_dir)
    try:
        meta = json.loads((tb_dir / META).read_text())
        tb = TBData(images=int(meta["images"]), in_words=int(meta["in_words_per_image"]),
                    out_words=int(meta["out_words_per_image"]), in_tdata_bits=int(meta["in_tdata_bits"]),
                    out_tdata_bits=int(meta["out_tdata_bits"]), output_frac=int(meta["output_frac"]),
                    source=str(meta["source"]), cycles_per_frame_estimate=meta.get("cycles_per_frame_estimate"),
                    latency_estimate=meta.get("latency_estimate"))
    except FileNotFoundError:
        raise BnnforgeError(f"{tb_dir / META} is missing: not a bnnforge build") from None
    except (ValueError, KeyError, TypeError) as e:
        raise BnnforgeError(f"{tb_dir / META} is corrupt: {type(e).__name__} {e}") from None
    tb.words_in = _read_hex(tb_dir / IN_FILE, tb.in_tdata_bits)
    tb.words_out = _read_hex(tb_dir / OUT_FILE, tb.out_tdata_bits)
    for name, words, per in ((IN_FILE, tb.words_in, tb.in_words), (OUT_FILE, tb.words_out, tb.out_words)):
        if len(words) != tb.images * per:
            raise BnnforgeError(f"{tb_dir / name} holds {len(words)} words, {META} says {tb.images} images of "
                                f"{per} words")
    return tb
