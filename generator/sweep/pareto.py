"""Pareto fronts of a sweep: the points that no other point beats on both frames per second
(more is better) and a resource (less is better)."""

from __future__ import annotations


def front(points: list[tuple[float, float]]) -> list[bool]:
    """For (fps, resource) pairs: True where no other pair has at least the fps and at most the
    resource, and is strictly better in one of them. Equal pairs are all on the front."""
    out = []
    for i, (fps, used) in enumerate(points):
        beaten = any(f >= fps and u <= used and (f > fps or u < used) for j, (f, u) in enumerate(points) if j != i)
        out.append(not beaten)
    return out


def mark_fronts(rows: list[dict], resources: tuple[str, ...] = ("lut", "bram18")) -> None:
    """Set row["pareto"][resource] for each (model, part) group of finished points, on the
    estimate (sweep.json's rows: model, part, fps, estimate)."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["model"], row["part"]), []).append(row)
    for group in groups.values():
        for row in group:
            row["pareto"] = {}
        for k in resources:
            for row, on in zip(group, front([(r["fps"], r["estimate"][k]) for r in group])):
                row["pareto"][k] = on
