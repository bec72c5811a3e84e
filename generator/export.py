"""`bnnforge export`: a checkpoint to a QONNX file that qonnx runs as it is.

The file is the cleaned export (`bnnforge.generator.frontend.export_model`): Brevitas'
Quant / BipolarQuant nodes around standard ONNX ops and one `bnnforge` node per
fixed-point layer, every tensor with its shape and QONNX datatype, constants folded,
weights as initializers only, batch size 1. After `import bnnforge.generator` (which
registers the `bnnforge` nodes), `qonnx.core.onnx_exec.execute_onnx(ModelWrapper(path),
{input: x})` runs it, bit-exact with the PyTorch model.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from bnnforge.quant.errors import BnnforgeError


def _cannot_write(out: Path, exc: OSError) -> BnnforgeError:
    return BnnforgeError(f"cannot write {out}: {exc.strerror or exc}")


@contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """A temporary path next to `out` that becomes `out` when the block succeeds. Checks up
    front that `out` can be written (before any slow work); on any failure removes the
    temporary file and the directories it created, and an OSError becomes a one-line
    BnnforgeError naming `out`."""
    out = Path(out)
    if out.is_dir():
        raise BnnforgeError(f"cannot write {out}: it is a directory")
    tmp = out.with_name(out.name + ".partial")
    missing = []
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    created: list[Path] = []
    try:
        try:
            for d in reversed(missing):
                d.mkdir()
                created.append(d)
            tmp.open("wb").close()
        except OSError as exc:
            raise _cannot_write(out, exc) from None
        yield tmp
        try:
            tmp.replace(out)
        except OSError as exc:
            raise _cannot_write(out, exc) from None
    except BaseException:
        for remove in (tmp.unlink, *(d.rmdir for d in reversed(created))):
            try:
                remove()
            except OSError:  # never made, or not ours to remove
                pass
        raise


def export_qonnx_file(ckpt: Path, out: Path) -> Path:
    """Export the checkpoint's model to a clean QONNX file at `out`; nothing is left behind
    on failure."""
    from bnnforge.generator.frontend import export_model
    from bnnforge.quant import models

    model = models.load(ckpt)
    out = Path(out)
    with atomic_output(out) as tmp:
        graph = export_model(model, batch=1)
        try:
            graph.save(str(tmp))
        except OSError as exc:
            raise _cannot_write(out, exc) from None
    return out
