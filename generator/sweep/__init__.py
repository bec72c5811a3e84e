"""`bnnforge sweep`: design-space sweeps over folding targets, parts and models on Dask.

    spec.py     what a sweep point is (model, part, target) and its content-hash key
    points.py   the task run on a Dask worker: one point -> a dict (fold, estimate, Yosys)
    pareto.py   which points no other point beats (fps up, resources down)
    write.py    DIR/points/<key>.json as each finishes; sweep.json, sweep.csv, sweep.html
    run.py      the Dask cluster or client, submission, progress, resuming, Ctrl-C
"""
