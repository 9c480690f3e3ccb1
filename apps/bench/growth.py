"""Growth between benchmark runs at different sizes (issue 18, DESIGN.md §7): each figure's milliseconds and ratio to
its floor at every size, and how much its ratio grew from the second-largest run to the largest.

Ratios, not milliseconds, are compared: each run divides its figures by floors measured on the same server in the
same run, so runs made on different days (a shared machine's speed changes) still compare. The exports have no
floor; their rows per second and the worker's peak memory are shown instead."""

from collections.abc import Sequence

LIMIT = 1.25  # a figure may read at most 1.25× its ratio of the run ten times smaller


def _size(run: dict) -> str:
    n = run["deployments"]
    for unit, scale in (("M", 1_000_000), ("k", 1_000)):
        if n >= scale:
            value = n / scale
            whole = value >= 10 or abs(value - round(value)) < 0.05  # 1,000,960 deployments read as 1M
            return f"{value:,.0f}{unit}" if whole else f"{value:,.1f}{unit}"
    return f"{n:,}"


def rows(runs: Sequence[dict]) -> list[dict]:
    """One row per figure (in the largest run's order, then any figure only the smaller runs have): its name, per
    run the figure or None, and the growth of its ratio (None where either run has no ratio)."""
    runs = sorted(runs, key=lambda r: r["deployments"])
    names: list[str] = []
    for run in reversed(runs):
        names += [f["name"] for f in run["figures"] if f["name"] not in names]
    by_run = [{f["name"]: f for f in run["figures"]} for run in runs]
    out = []
    for name in names:
        cells = [figures.get(name) for figures in by_run]
        growth = None
        if len(cells) >= 2 and cells[-1] and cells[-2] and cells[-1].get("ratio") and cells[-2].get("ratio"):
            growth = cells[-1]["ratio"] / cells[-2]["ratio"]
        out.append({"name": name, "cells": cells, "growth": growth})
    return out


def _cell(figure: dict | None) -> tuple[str, str]:
    if figure is None:
        return "", ""
    if figure.get("rows_per_s") and not figure.get("ratio"):  # an export: no floor
        peak = f" ({figure['peak_mb']:.0f} MB)" if figure.get("peak_mb") else ""
        return f"{figure['rows_per_s']:,.0f} rows/s{peak}", ""
    ratio = f"{figure['ratio']:.2f}×" if figure.get("ratio") else ""
    return f"{figure['median_ms']:,.1f}", ratio


def markdown(runs: Sequence[dict], *, limit: float = LIMIT) -> str:
    """The growth table as Markdown, for the README; a growth over `limit` is in bold."""
    runs = sorted(runs, key=lambda r: r["deployments"])
    head = ["figure"]
    for run in runs:
        head += [f"{_size(run)}: ms", "ratio"]
    if len(runs) >= 2:
        head.append(f"growth {_size(runs[-2])} → {_size(runs[-1])} (≤ {limit:g})")
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    for row in rows(runs):
        cells = [row["name"]]
        for figure in row["cells"]:
            cells += _cell(figure)
        if len(runs) >= 2:
            g = row["growth"]
            cells.append("" if g is None else (f"**{g:.2f}**" if g > limit else f"{g:.2f}"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def over(runs: Sequence[dict], *, limit: float = LIMIT) -> list[str]:
    """The figures whose ratio grew by more than `limit` from the second-largest run to the largest."""
    return [r["name"] for r in rows(runs) if r["growth"] is not None and r["growth"] > limit]
