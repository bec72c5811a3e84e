"""`bnnforge export`: a checkpoint to a QONNX file with Brevitas' own exporter.

The file holds Brevitas' Quant / BipolarQuant nodes around standard ONNX ops and one
`bnnforge` node per fixed-point layer; `bnnforge.generator.frontend` cleans and runs it.
"""

from __future__ import annotations

from pathlib import Path


def export_qonnx_file(ckpt: Path, out: Path) -> Path:
    """Export the checkpoint's model to QONNX at `out`; nothing is left behind on failure."""
    from bnnforge.generator.frontend import write_qonnx
    from bnnforge.quant import models

    model = models.load(ckpt)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    try:
        write_qonnx(model, tmp)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
