"""`bnnforge sweep` on Dask: a 3-point sweep of bcdnet-tiny on a LocalCluster, the same sweep on
a scheduler and two worker processes started here on 127.0.0.1 (identical sweep.json), a worker
killed mid-sweep, resuming and Ctrl-C, --synth through the synthesis cache (a stand-in Yosys, so
no tool is needed; the real Yosys run is opt-in, marker full), and bad input."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import run_cli

MODEL, TARGETS = "bcdnet-tiny", "256,1024,4096"
# what the stand-in Yosys reports for any module (generator/synth.py parses these files)
FAKE_STAT = {"lut": 1234, "ff": 567, "carry4": 12, "bram18": 3, "dsp": 4, "logic_depth": 7}
FAKE_YOSYS = """#!/bin/sh
# stand-in for Yosys in tests: a version, and fixed numbers for any synthesis script
if [ "$1" = "-V" ]; then echo "Yosys 0.0 (bnnforge test stand-in)"; exit 0; fi
grep -q "synth_xilinx" synth.ys || exit 1
echo run >> "{log}"
printf '   1234 LUT6\\n    567 FDRE\\n     12 CARRY4\\n      3 RAMB18E1\\n      4 DSP48E1\\n' > stat.txt
echo 'Longest topological path in top (length=7)' > ltp.txt
"""


def sweep_cli(out: Path, *args: str, model: str = MODEL, targets: str = TARGETS) -> list[str]:
    """The command line of a sweep (a later --targets-cycles in `args` wins)."""
    return [sys.executable, "-m", "bnnforge.generator.cli", "sweep", model, "--targets-cycles", targets,
            "--out", str(out), *args]


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    out = tmp_path_factory.mktemp("local") / "sweep"
    t0 = time.perf_counter()
    r = run_cli("sweep", MODEL, "--targets-cycles", TARGETS, "--out", str(out))
    assert r.returncode == 0, r.stderr
    return SimpleNamespace(out=out, stdout=r.stdout, seconds=time.perf_counter() - t0,
                           json=(out / "sweep.json").read_bytes())


@pytest.fixture(scope="module")
def graph_of():  # noqa: ANN201
    """A zoo model's (untrained, seeded) dataflow graph, built here as `build` builds it."""
    from bnnforge.generator.build import resolve_source
    from bnnforge.generator.dataflow import build_dataflow

    graphs: dict = {}

    def get(name: str):  # noqa: ANN202
        if name not in graphs:
            graphs[name] = build_dataflow(resolve_source(name, {}).model, batch=1)[1]
        return graphs[name]

    return get


def check_points(sweep: dict, out: Path, graph_of) -> None:  # noqa: ANN001
    """Each point: the folding auto folding gives at its target, its estimate as estimate_graph
    computes it for that folding (from the folding file the sweep wrote), the target met, the fit
    as the part's table says."""
    from bnnforge.generator.estimate import estimate_graph
    from bnnforge.generator.graph import fold
    from bnnforge.generator.passes.folding import ApplyFolding, folding_of
    from bnnforge.generator.report.devices import find_device

    assert sweep["complete"] and not sweep["missing"]
    for r in sweep["points"]:
        graph = graph_of(r["model"])
        folding = json.loads((out / r["folding_file"]).read_text())
        assert folding == folding_of(fold(graph, "auto", r["target_cycles"])[0])
        est = estimate_graph(graph.transform(ApplyFolding(folding), cleanup=False), memory=False)
        assert r["estimate"] == est["totals"]["estimate"]
        assert r["cycles_per_frame"] == est["throughput"]["cycles_per_frame_estimate"] <= r["target_cycles"]
        assert r["meets_target"] and r["fits"] == find_device(r["part"]).fits(r["estimate"])


def test_local_sweep(local: SimpleNamespace, graph_of) -> None:  # noqa: ANN001
    sweep = json.loads(local.json)
    assert [r["target_cycles"] for r in sweep["points"]] == [256, 1024, 4096]
    assert {r["part"] for r in sweep["points"]} == {"xc7z020clg400-1"}
    check_points(sweep, local.out, graph_of)
    # slower targets take fewer LUTs here, so every point is on the LUT front
    luts = [r["estimate"]["lut"] for r in sweep["points"]]
    assert luts == sorted(luts, reverse=True) and all(r["pareto"]["lut"] for r in sweep["points"])
    assert all(r["fits"] for r in sweep["points"])  # the tiny model fits the xc7z020 at every target
    rows = (local.out / "sweep.csv").read_text().splitlines()
    assert len(rows) == 4 and rows[0].startswith("model,part,target")
    page = (local.out / "sweep.html").read_text()
    assert page.count("<svg") == 2 and "Pareto" in page
    assert len(list((local.out / "points").glob("*.folding.json"))) == 3
    assert local.stdout.count("] bcdnet-tiny on xc7z020clg400-1 at") == 3  # a line per point
    assert "seconds" not in local.json.decode() and str(local.out) not in local.json.decode()


def test_resume_runs_nothing_and_rewrites_the_same_bytes(local: SimpleNamespace, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from bnnforge.generator.sweep import run

    out = tmp_path / "again"
    shutil.copytree(local.out, out)
    (out / "sweep.json").unlink()

    def no_cluster(*_args: object) -> None:
        raise AssertionError("every point is in DIR: no cluster is needed")

    monkeypatch.setattr(run, "local_cluster", no_cluster)
    run.run_sweep(run.SweepOptions(sources=[MODEL], out=out, targets_cycles=TARGETS))
    assert (out / "sweep.json").read_bytes() == local.json


# ---- an existing cluster: a scheduler and two single-threaded worker processes on 127.0.0.1 -------

@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    from distributed import Client

    d = tmp_path_factory.mktemp("cluster")
    yosys = d / "yosys"
    yosys.write_text(FAKE_YOSYS.format(log=d / "yosys.log"))
    yosys.chmod(0o755)
    env = {**os.environ, "DASK_LOGGING__DISTRIBUTED": "error", "BNNFORGE_YOSYS": str(yosys),
           "BNNFORGE_CACHE": str(d / "cache")}
    log = open(d / "dask.log", "w")  # noqa: SIM115 - open for the cluster's lifetime
    start = {"stdout": subprocess.DEVNULL, "stderr": log, "env": env}
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", "0", "--no-dashboard", "--scheduler-file", str(d / "scheduler.json")],
                              **start)]
    try:
        deadline = time.monotonic() + 60
        while not (d / "scheduler.json").is_file():
            assert time.monotonic() < deadline and procs[0].poll() is None, (d / "dask.log").read_text()
            time.sleep(0.1)
        address = json.loads((d / "scheduler.json").read_text())["address"]
        for i in range(2):
            procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads",
                                           "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1", "--name",
                                           f"w{i}"], **start))
        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield SimpleNamespace(address=address, dir=d, procs=procs)
    finally:
        for p in procs:  # test processes holding nothing worth a graceful shutdown
            p.kill()
            p.wait()
        log.close()


def test_cluster_sweep_is_identical(cluster: SimpleNamespace, local: SimpleNamespace, tmp_path: Path) -> None:
    t0 = time.perf_counter()
    r = subprocess.run(sweep_cli(tmp_path / "s", "--scheduler", cluster.address), capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"to run on {cluster.address}" in r.stdout
    assert (tmp_path / "s" / "sweep.json").read_bytes() == local.json
    print(f"3-point sweep on the cluster: {time.perf_counter() - t0:.1f} s (local: {local.seconds:.1f} s)")


def test_synth_through_the_cache(cluster: SimpleNamespace, tmp_path: Path) -> None:
    """--synth: each point's stitched top goes to Yosys (here the stand-in the workers run) once
    per content hash; the same design on two parts is one synthesis, the numbers are the point's."""
    from bnnforge.generator.report.devices import find_device
    from bnnforge.generator.sweep import run

    def sweep(out: Path, parts: list[str]) -> dict:
        return run.run_sweep(run.SweepOptions(sources=[MODEL], out=out, targets_cycles="1024", parts=parts,
                                              synth=True, scheduler=cluster.address))

    result = sweep(tmp_path / "s", ["xc7z020", "xczu3eg"])
    assert result["synth"] and len(result["points"]) == 2
    for p in result["points"]:
        assert p["yosys"] == FAKE_STAT
        assert p["fits_yosys"] == find_device(p["part"]).fits(FAKE_STAT)
    assert len(list((cluster.dir / "cache" / "synth").glob("*.json"))) == 1
    runs = (cluster.dir / "yosys.log").read_text().count("run")
    assert runs in (1, 2)  # two workers may both start before either has filled the cache
    assert sweep(tmp_path / "again", ["xczu3eg"])["points"][0]["yosys"] == FAKE_STAT
    assert (cluster.dir / "yosys.log").read_text().count("run") == runs  # from the cache


def test_ctrl_c_keeps_finished_points(cluster: SimpleNamespace, local: SimpleNamespace, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C after the first point: it is kept, the summaries list the rest as missing, and the
    same command finishes the sweep with the bytes of an uninterrupted one."""
    import distributed

    from bnnforge.generator.sweep import run

    real = distributed.as_completed

    def first_then_ctrl_c(futures):  # noqa: ANN001, ANN202
        for future in real(futures):
            yield future
            raise KeyboardInterrupt

    monkeypatch.setattr(distributed, "as_completed", first_then_ctrl_c)
    opts = run.SweepOptions(sources=[MODEL], out=tmp_path / "s", targets_cycles=TARGETS, scheduler=cluster.address)
    with pytest.raises(run.SweepInterrupted, match="1 of 3 points finished"):
        run.run_sweep(opts)
    sweep = json.loads((tmp_path / "s" / "sweep.json").read_text())
    assert not sweep["complete"] and len(sweep["points"]) == 1 and len(sweep["missing"]) == 2
    assert len(list((tmp_path / "s" / "points").glob("*.folding.json"))) == 1
    assert not list((tmp_path / "s").rglob(".*.tmp"))  # no half-written file
    monkeypatch.setattr(distributed, "as_completed", real)
    run.run_sweep(opts)
    assert (tmp_path / "s" / "sweep.json").read_bytes() == local.json


def test_worker_killed_mid_sweep(cluster: SimpleNamespace, local: SimpleNamespace, tmp_path: Path) -> None:
    """A worker process killed while it runs a point: the scheduler reruns the point on the other
    worker and the sweep completes with the numbers of the local sweep. `--set depth=2` (the
    default) makes the points new to the workers, so that a point takes seconds."""
    from distributed import Client

    out = tmp_path / "s"
    proc = subprocess.Popen(sweep_cli(out, "--scheduler", cluster.address, "--set", "depth=2"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with Client(cluster.address, timeout=30) as client:
            deadline = time.monotonic() + 120
            while not (busy := [w for w, keys in client.processing().items() if keys]):
                assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
                time.sleep(0.02)
            pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(pid, signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert pid in [p.pid for p in cluster.procs] and sum(p.poll() is None for p in cluster.procs[1:]) == 1
    sweep, want = json.loads((out / "sweep.json").read_text()), json.loads(local.json)
    assert sweep["complete"]
    for rows in (sweep["points"], want["points"]):
        for r in rows:  # the key (and so the folding file's name) holds the --set
            del r["key"], r["folding_file"]
    assert sweep["points"] == want["points"]


# ---- bad input: one line, exit 2, nothing written, in seconds ----------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--parts", "xc7z020,xc9nope"], "unknown part 'xc9nope'"),
    (["--targets-cycles", "256,fast"], "'fast' is not a number"),
    (["--scheduler", "tcp://127.0.0.1:{port}"], "cannot reach the Dask scheduler tcp://127.0.0.1:"),
])
def test_bad_input(args: list[str], message: str, tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = sweep_cli(tmp_path / "out", *(a.format(port=port) for a in args))
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and message in r.stderr, r.stderr
    assert time.perf_counter() - t0 < 20
    assert not (tmp_path / "out").exists()


def test_bad_model(tmp_path: Path) -> None:
    """An unknown model or a file that is no checkpoint (in this process: the model check loads
    torch, which a command line pays for again)."""
    from bnnforge.generator.sweep import run
    from bnnforge.quant.errors import BnnforgeError

    (tmp_path / "junk.pt").write_text("not a checkpoint")
    for source, message in (("nosuch", "'nosuch' is neither a checkpoint file nor a zoo model"),
                            (str(tmp_path / "junk.pt"), "is corrupt or not a torch checkpoint")):
        with pytest.raises(BnnforgeError, match=message):
            run.run_sweep(run.SweepOptions(sources=[MODEL, source], out=tmp_path / "out", targets_cycles="256"))
    assert not (tmp_path / "out").exists()


def test_checkpoint_point() -> None:
    """A checkpoint travels to the worker as bytes (it may be on another machine) and is
    loaded there as `build` loads it."""
    from bnnforge.generator.demo import shipped_checkpoint
    from bnnforge.generator.sweep.points import run_point
    from bnnforge.generator.sweep.spec import Point, Target, resolve_model

    spec = resolve_model(str(shipped_checkpoint()), {})
    assert (spec.label, spec.kind, spec.model) == ("bcdnet-tiny.pt", "checkpoint", "bcdnet-tiny")
    assert spec.data == shipped_checkpoint().read_bytes()
    result = run_point(Point(spec, "xc7z020clg400-1", Target("cycles", 1024, 1024), 100.0, False))
    assert "error" not in result, result
    assert result["cycles_per_frame"] == 1024 and result["fits"] and result["estimate"]["lut"] > 0


def test_pareto_front() -> None:
    from bnnforge.generator.sweep.pareto import front

    # (fps, LUT): the second is beaten by the first (slower and dearer); equal points both stay
    assert front([(100, 10), (50, 20), (200, 30), (200, 30), (10, 5)]) == [True, False, True, True, True]


def test_targets_and_keys() -> None:
    from bnnforge.generator.sweep.spec import ModelSpec, Point, parse_targets

    fps = parse_targets(None, "1e5, 25000,1e5", 100.0)
    assert [(t.kind, t.value, t.cycles) for t in fps] == [("fps", 1e5, 1000), ("fps", 25000.0, 4000)]
    with pytest.raises(Exception, match="positive whole number"):
        parse_targets("0", None, 100.0)
    m = ModelSpec("bcdnet-tiny", "zoo", "bcdnet-tiny")
    a, b = (Point(m, part, fps[0], 100.0, False) for part in ("xc7z020clg400-1", "xczu3eg-sbva484-1-e"))
    assert a.key("s") == Point(m, "xc7z020clg400-1", fps[0], 100.0, False).key("s")
    assert len({a.key("s"), b.key("s"), a.key("t"), Point(m, a.part, fps[0], 100.0, True).key("s")}) == 4


@pytest.mark.full
@pytest.mark.yosys
def test_sweep_synth_with_yosys(tmp_path: Path) -> None:
    """The real Yosys on one small point (reactnet-tiny at width 4, depth 1: about 40 s cold on
    this 2-core machine, so opt-in); its LUTs near the estimate."""
    r = subprocess.run(sweep_cli(tmp_path / "s", "--synth", "--set", "width=4", "--set", "depth=1",
                                 model="reactnet-tiny", targets="4096"), capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    (p,) = json.loads((tmp_path / "s" / "sweep.json").read_text())["points"]
    assert p["yosys"]["lut"] > 0 and 0.5 < p["yosys"]["lut"] / p["estimate"]["lut"] < 2
    assert p["fits_yosys"] is True
