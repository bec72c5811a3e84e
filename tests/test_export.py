"""`bnnforge export`: a QONNX file qonnx's execute_onnx runs as it is, bit-exact with PyTorch;
every bad checkpoint or output path is one line on stderr, exit status 2, and no file left."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from bnnforge.generator.demo import shipped_checkpoint
from bnnforge.quant import models
from bnnforge.quant.errors import BnnforgeError
from tests.conftest import cli_in_process, run_cli
from tests.randomize import randomize_


def _execute_file(path: Path, x: np.ndarray) -> np.ndarray:
    """What a user does with the file: load it with qonnx and run it (nothing of ours but the
    `bnnforge` node registration that `import bnnforge.generator` makes)."""
    import bnnforge.generator  # noqa: F401
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx

    model = ModelWrapper(str(path))
    return execute_onnx(model, {model.graph.input[0].name: x})[model.graph.output[0].name]


@pytest.mark.parametrize("source", ["shipped bcdnet-tiny", "random bcdnet-a-tiny"])
def test_exported_file_runs_in_qonnx_and_equals_torch(tmp_path: Path, source: str) -> None:
    import onnx

    if source.startswith("shipped"):
        ckpt = shipped_checkpoint()
    else:
        ckpt = tmp_path / "a.pt"
        models.save(randomize_(models.create("bcdnet-a-tiny"), seed=11), ckpt, {})
    out = tmp_path / "out" / "m.onnx"
    p = run_cli("export", str(ckpt), "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert sorted(q.name for q in out.parent.iterdir()) == ["m.onnx"]

    proto = onnx.load(str(out))
    inits = {t.name for t in proto.graph.initializer}
    assert [i.name for i in proto.graph.input] == ["global_in"] and not inits & {i.name for i in proto.graph.input}
    assert {"BipolarQuant", "Quant", "Conv"} <= {n.op_type for n in proto.graph.node}
    assert any(n.domain == "bnnforge" for n in proto.graph.node)

    net = models.load(ckpt)
    gen = torch.Generator().manual_seed(5)
    for _ in range(4):
        x = torch.randint(0, 256, (1, *net.input_shape), generator=gen).float()
        with torch.no_grad():
            want = net(x).numpy()
        got = _execute_file(out, x.numpy())
        assert got.shape == want.shape and np.array_equal(got, want)


def _bad_checkpoints(d: Path) -> dict[str, tuple[Path, str]]:
    """name -> (checkpoint path, what the one line must say)."""
    good = models.read_checkpoint(shipped_checkpoint())
    files = {
        "missing": (d / "nope.pt", "does not exist"),
        "directory": (d / "adir", "is not a file"),
        "random bytes": (d / "random.pt", "corrupt or not a torch checkpoint"),
        "text": (d / "notes.pt", "corrupt or not a torch checkpoint"),
        "empty": (d / "empty.pt", "corrupt or not a torch checkpoint"),
        "plain pickle": (d / "pickled.pt", "corrupt or not a torch checkpoint"),
        "not a dict": (d / "list.pt", "holds a list"),
        "missing keys": (d / "keys.pt", "lacks 'config', 'state_dict'"),
        "unknown model": (d / "unknown.pt", "names unknown model 'bcdnet-z'; known models: reactnet-a"),
        "unknown parameter": (d / "param.pt", "has no parameter 'colour'"),
        "other weights": (d / "mismatch.pt", "does not match model 'bcdnet-tiny'"),
        "python objects": (d / "objects.pt", "holds Python objects (torch.nn.modules.linear.Linear)"),
    }
    (d / "adir").mkdir()
    (d / "random.pt").write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    (d / "notes.pt").write_text("model: bcdnet-tiny\nweights: somewhere else\n")
    (d / "empty.pt").write_bytes(b"")
    (d / "pickled.pt").write_bytes(pickle.dumps(good["config"]))
    torch.save([1, 2, 3], d / "list.pt")
    torch.save({"model": "bcdnet-tiny"}, d / "keys.pt")
    torch.save({**good, "model": "bcdnet-z"}, d / "unknown.pt")
    torch.save({**good, "config": {**good["config"], "colour": "blue"}}, d / "param.pt")
    torch.save({**good, "config": {**good["config"], "width": good["config"]["width"] * 2}}, d / "mismatch.pt")
    torch.save({**good, "metrics": torch.nn.Linear(1, 1)}, d / "objects.pt")
    return files


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("bnnforge export: error: ") and "Traceback" not in stderr
    return lines[0]


def test_bad_checkpoints_fail_in_one_line_and_write_nothing(tmp_path: Path) -> None:
    src, out_dir = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    cases = _bad_checkpoints(src)
    for what, (ckpt, says) in cases.items():
        with pytest.raises(BnnforgeError) as info:  # the library says the same, in one line
            models.load(ckpt)
        assert says in str(info.value) and "\n" not in str(info.value), what
    # the command turns every one of these errors into its line the same way: a few kinds
    # through it show that (test_cli.py runs `bnnforge export` on bad checkpoints in a child)
    for what in ("empty", "missing keys", "python objects"):
        ckpt, says = cases[what]
        p = cli_in_process("export", str(ckpt), "--out", str(out_dir / "m.onnx"))
        assert p.returncode == 2, (what, p.stderr)
        assert says in _one_error_line(p.stderr), (what, p.stderr)
        assert not out_dir.exists(), what


def test_unknown_zoo_name_lists_the_names() -> None:
    with pytest.raises(BnnforgeError) as info:
        models.create("bcdnet-c")
    msg = str(info.value)
    assert "\n" not in msg and "unknown model 'bcdnet-c'" in msg
    assert all(name in msg for name in models.names())


@pytest.mark.parametrize("where", ["/proc/x.onnx", "a directory", "under a file"])
def test_unwritable_output_fails_in_one_line_and_leaves_nothing(tmp_path: Path, where: str) -> None:
    if where == "a directory":
        out = tmp_path / "taken.onnx"
        out.mkdir()
    elif where == "under a file":
        (tmp_path / "plain").write_text("x")
        out = tmp_path / "plain" / "m.onnx"
    else:
        out = Path(where)
    before = sorted(tmp_path.rglob("*"))
    p = cli_in_process("export", str(shipped_checkpoint()), "--out", str(out))
    assert p.returncode == 2, p.stderr
    assert f"cannot write {out}: " in _one_error_line(p.stderr)
    assert sorted(tmp_path.rglob("*")) == before
    assert not Path(f"{out}.partial").exists()
    if where.startswith("/proc"):
        assert not out.exists()


def test_failed_export_removes_what_it_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure after the output was opened (here: the export itself) removes the partial
    file and the directories made for it."""
    from bnnforge.generator import export, frontend

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise BnnforgeError("export failed")

    monkeypatch.setattr(frontend, "export_model", broken)
    with pytest.raises(BnnforgeError, match="export failed"):
        export.export_qonnx_file(shipped_checkpoint(), tmp_path / "new" / "dir" / "m.onnx")
    assert list(tmp_path.iterdir()) == []
