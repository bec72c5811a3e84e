"""`bnnforge export`: a checkpoint to a QONNX file with Brevitas' own exporter.

The file holds Brevitas' Quant / BipolarQuant nodes around standard ONNX ops; the
generator's front end streamlines it into the integer dataflow graph.
"""

from __future__ import annotations

from pathlib import Path

import torch


def export_qonnx_file(ckpt: Path, out: Path) -> Path:
    """Export the checkpoint's model (eval mode) to QONNX at `out`; nothing is left on failure."""
    from brevitas.export import export_qonnx

    from bnnforge.quant import models

    model = models.load(ckpt)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    example = torch.zeros((1, *model.input_shape))
    try:
        # dynamo=False: the TorchScript exporter is the one Brevitas' QONNX handlers support
        export_qonnx(model, example, export_path=str(tmp), dynamo=False)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
