"""A benchmark run against a committed one (CI: bench/results/ci-10k.json): the ratios to the floor may not grow
by more than the tolerance (50%), and every figure of the committed run must still be measured."""

import json
from pathlib import Path

TOLERANCE = 0.5


def load(path: Path | str) -> dict:
    return json.loads(Path(path).read_text())


def regressions(baseline: dict, current: dict, *, tolerance: float = TOLERANCE) -> list[str]:
    """What got worse, one line each; empty when the current run holds the baseline's ratios."""
    now = {f["name"]: f for f in current.get("figures", [])}
    found = []
    for before in baseline.get("figures", []):
        if before.get("ratio") is None:
            continue
        after = now.get(before["name"])
        if after is None:
            found.append(f"{before['name']}: not measured any more (update the committed result if it was renamed)")
            continue
        if after.get("ratio") is None:
            found.append(f"{before['name']}: no ratio to its floor in this run")
            continue
        limit = before["ratio"] * (1 + tolerance)
        if after["ratio"] > limit:
            found.append(
                f"{before['name']}: {after['ratio']:.2f}× its floor, was {before['ratio']:.2f}× "
                f"(limit {limit:.2f}×, +{(after['ratio'] / before['ratio'] - 1):.0%})"
            )
    return found
