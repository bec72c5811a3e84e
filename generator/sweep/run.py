"""`bnnforge sweep`: every (model, part, target) point as a Dask task.

Without --scheduler a LocalCluster of one single-threaded worker process per core runs them
(Yosys and the folding search are single-threaded; processes, not threads, because torch and
qonnx hold the GIL); with --scheduler the same tasks go to an existing cluster, whose workers
must run the same bnnforge sources (checked first, so both give the same sweep.json).

Everything the command line can check is checked before any work and before DIR is touched:
the parts, the targets, DIR, the scheduler (reached first: a wrong address fails in seconds),
the models (loaded). Each point's result is written to DIR/points/ as soon
as it arrives, so a rerun of the same command skips it; a worker that dies is the scheduler's
to handle (it reschedules the task elsewhere, distributed.scheduler.allowed-failures times);
Ctrl-C cancels what is left, and the summaries are written from the points that finished.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path

from bnnforge.generator.console import say
from bnnforge.generator.sweep.spec import Point, Target, parse_targets, resolve_model, sources_hash
from bnnforge.generator.sweep.write import (check_out_dir, finished, read_point, summary, write_point,
                                            write_summary)
from bnnforge.quant.errors import BnnforgeError

# seconds to reach a --scheduler before giving up with a one-line error
CONNECT_TIMEOUT = 5
# a task that raised an unexpected exception is tried once more (a point's own errors, such as
# a Yosys failure, come back as results and are not retried; worker deaths are rescheduled by the
# scheduler, not counted here)
RETRIES = 1


class SweepInterrupted(Exception):
    """Ctrl-C: the finished points are in DIR; the message says how many."""


class SweepIncomplete(Exception):
    """Some points failed; the others are in DIR and the summaries list the failed ones."""


@dataclass
class SweepOptions:
    sources: list[str]  # zoo names or checkpoint files
    out: Path
    targets_cycles: str | None = None  # "256,1024"
    targets_fps: str | None = None  # "1e5,4e5"
    parts: list[str] = field(default_factory=list)
    synth: bool = False
    scheduler: str | None = None  # tcp://HOST:PORT of an existing cluster
    clock_mhz: float = 100.0
    overrides: dict = field(default_factory=dict)  # zoo models' --set
    timeout: float = 900  # Yosys time limit per point
    workers: int | None = None  # LocalCluster size (default: one per core, at most one per point)
    quiet: bool = False


@dataclass(frozen=True)
class Grid:
    """The parts and targets of a sweep, checked (no model loaded yet)."""

    parts: list[str]
    targets: list[Target]


def check_options(opts: SweepOptions) -> Grid:
    """One-line errors for bad parts, targets, clock or DIR: the checks that cost nothing."""
    from bnnforge.generator.report.devices import DEFAULT_PART, find_device

    if opts.clock_mhz <= 0:
        raise BnnforgeError(f"--clock-mhz must be positive, got {opts.clock_mhz:g}")
    if not opts.sources:
        raise BnnforgeError("name at least one model or checkpoint")
    parts = list(dict.fromkeys(find_device(p).part for p in (opts.parts or [DEFAULT_PART])))
    targets = parse_targets(opts.targets_cycles, opts.targets_fps, opts.clock_mhz)
    check_out_dir(opts.out)
    return Grid(parts, targets)


def plan(opts: SweepOptions, grid: Grid) -> dict[str, Point]:
    """Every point of the sweep by key, sorted; the models are loaded here (a bad one is a
    one-line error)."""
    models = [resolve_model(s, opts.overrides) for s in dict.fromkeys(opts.sources)]
    labels = [m.label for m in models]
    if len(set(labels)) != len(labels):
        raise BnnforgeError(f"two models share the name {next(x for x in labels if labels.count(x) > 1)!r} "
                            f"(checkpoints are named by their file name)")
    sources = sources_hash(opts.synth)
    points = [Point(m, part, t, opts.clock_mhz, opts.synth) for m, part, t in product(models, grid.parts, grid.targets)]
    return {p.key(sources): p for p in sorted(points, key=Point.sort_key)}


def _quiet_dask() -> None:
    """distributed logs every worker start and stop at INFO: keep it to errors, here and in the
    worker processes a LocalCluster spawns (they read the environment when they import it)."""
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")
    logging.getLogger("distributed").setLevel(logging.ERROR)


def local_cluster(opts: SweepOptions, tasks: int):  # noqa: ANN201 - (Client, LocalCluster)
    """One single-threaded worker process per core (at most one per task), no dashboard (no
    bokeh, no port taken)."""
    _quiet_dask()
    from distributed import Client, LocalCluster

    n = max(1, min(opts.workers or len(os.sched_getaffinity(0)), tasks))
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    return Client(cluster), cluster


def connect(address: str, synth: bool):  # noqa: ANN201 - Client
    """A client of an existing cluster whose workers run these sources; a one-line error within
    CONNECT_TIMEOUT seconds when the scheduler does not answer."""
    _quiet_dask()
    from distributed import Client

    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError, TypeError) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        within = f" within {CONNECT_TIMEOUT} s" if isinstance(e, (OSError, TimeoutError)) else ""
        raise BnnforgeError(f"cannot reach the Dask scheduler {address}{within}: {first}") from None
    try:
        _check_workers(client, address, synth)
    except BaseException:
        client.close()
        raise
    return client


def _check_workers(client, address: str, synth: bool) -> None:  # noqa: ANN001
    """The cluster's workers must run these bnnforge sources, or their numbers would differ."""
    mine = sources_hash(synth)
    try:
        theirs = client.run(sources_hash, synth)
    except Exception as e:  # noqa: BLE001 - e.g. bnnforge not importable on a worker
        raise BnnforgeError(f"the workers of {address} cannot run bnnforge: {type(e).__name__}: "
                            f"{(str(e).splitlines() or [''])[0]}") from None
    other = {w: h for w, h in theirs.items() if h != mine}
    if other:
        w, h = next(iter(other.items()))
        raise BnnforgeError(f"worker {w} of {address} runs other bnnforge sources (hash {h}, here {mine}); "
                            f"start the workers from this bnnforge")
    if not theirs:
        say(f"no worker on {address} yet: the points wait for one", err=True)


def _line(done: int, total: int, point: Point, result: dict) -> str:
    head = f"[{done}/{total}] {point.describe()}"
    if not finished(result):
        return f"{head}: FAILED: {result.get('error') or result['yosys']['error']}"
    e = result["estimate"]
    y = f", Yosys {result['yosys']['lut']:,} LUT" if result.get("yosys") else ""
    meets = "" if result["meets_target"] else " (misses the target)"
    return (f"{head}: {result['cycles_per_frame']:,} cycles/frame{meets}, {e['lut']:,} LUT, {e['bram18']:,} BRAM18"
            f"{y}, {'fits' if result['fits'] else 'does NOT fit'} ({result['seconds']:.1f} s)")


def run_sweep(opts: SweepOptions) -> dict:
    """Run the points not yet in DIR and write the summaries; returns sweep.json's dict.
    Raises SweepInterrupted on Ctrl-C and SweepIncomplete when a point failed (both after
    writing the summaries of what finished)."""
    from bnnforge.generator.build import version

    grid = check_options(opts)
    # an existing cluster is reached before the models load: a wrong address fails in seconds
    client = connect(opts.scheduler, opts.synth) if opts.scheduler else None
    cluster = None
    out = Path(opts.out)
    errors: dict[str, str] = {}
    interrupted = False
    t0 = time.perf_counter()
    try:
        points = plan(opts, grid)
        results = {k: r for k in points if (r := read_point(out, k)) is not None}
        todo = [k for k in points if k not in results]
        where = opts.scheduler or "a local Dask cluster"
        say(f"sweep: {len(points)} points, {len(results)} already in {out}, {len(todo)} to run on {where}")
        if todo:
            if client is None:
                client, cluster = local_cluster(opts, len(todo))
            interrupted = _collect(client, points, todo, results, errors, opts)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    sweep = summary(points, results, errors, opts.clock_mhz, opts.synth, sources_hash(opts.synth), version())
    write_summary(out, sweep)
    done = len(sweep["points"])
    if interrupted:
        raise SweepInterrupted(f"interrupted: {done} of {len(points)} points finished and kept in {out}; "
                               f"the same command runs the rest")
    if errors:
        key, first = next(iter(errors.items()))
        raise SweepIncomplete(f"{len(errors)} of {len(points)} points failed (first: {points[key].describe()}: "
                              f"{first}); {out}/{'sweep.json'} lists them, the same command retries them")
    say(f"wrote {out}/sweep.json, sweep.csv, sweep.html: {done} points in {time.perf_counter() - t0:.0f} s")
    return sweep


def _collect(client, points: dict[str, Point], todo: list[str], results: dict, errors: dict,  # noqa: ANN001
             opts: SweepOptions) -> bool:
    """Submit the points, keep each as it finishes; True if interrupted by Ctrl-C."""
    from distributed import as_completed

    from bnnforge.generator.sweep.points import dataflow, run_point

    out = Path(opts.out)
    # task keys are content hashes: the same point (or model) submitted twice is computed once
    models = {}
    for k in todo:
        spec = points[k].model
        if spec not in models:
            graph_key = f"bnnforge-sweep-graph-{spec.key(sources_hash(opts.synth))}"
            models[spec] = client.submit(dataflow, spec, key=graph_key, retries=RETRIES)
    futures = {client.submit(run_point, points[k], models[points[k].model], opts.timeout,
                             key=f"bnnforge-sweep-{k}", retries=RETRIES): k for k in todo}
    done = len(points) - len(todo)
    try:
        for future in as_completed(futures):
            key = futures[future]
            try:
                result = future.result()
            except Exception as e:  # noqa: BLE001 - e.g. KilledWorker after too many worker deaths
                result = {"error": f"{type(e).__name__}: {(str(e).splitlines() or [''])[0]}", "seconds": 0.0}
            if finished(result):
                write_point(out, key, points[key], result)
                results[key] = result
            else:
                errors[key] = result.get("error") or result["yosys"]["error"]
            done += 1
            if not opts.quiet:
                say(_line(done, len(points), points[key], result))
    except KeyboardInterrupt:
        client.cancel([*futures, *models.values()], force=True)
        return True
    return False
