"""A benchmark run against a committed one (CI: bench/results/ci-10k.json): the ratios to the floor may not grow
by more than the tolerance (50%), and every figure of the committed run must still be measured.

A shared machine's speed changes within a run, so a figure over its limit is measured again (`CONFIRM_ROUNDS`
more times, on the same server, beside its floor) before it counts: a regression is one that holds every time."""

import json
from pathlib import Path

TOLERANCE = 0.5
CONFIRM_ROUNDS = 2


def load(path: Path | str) -> dict:
    return json.loads(Path(path).read_text())


def findings(baseline: dict, current: dict, *, tolerance: float = TOLERANCE) -> list[tuple[str, str]]:
    """(figure name, what got worse) for each figure that regressed; empty when the run holds the baseline."""
    now = {f["name"]: f for f in current.get("figures", [])}
    found = []
    for before in baseline.get("figures", []):
        if before.get("ratio") is None:
            continue
        name = before["name"]
        after = now.get(name)
        if after is None:
            found.append((name, f"{name}: not measured any more (update the committed result if it was renamed)"))
            continue
        if after.get("ratio") is None:
            found.append((name, f"{name}: no ratio to its floor in this run"))
            continue
        limit = before["ratio"] * (1 + tolerance)
        if after["ratio"] > limit:
            found.append(
                (
                    name,
                    f"{name}: {after['ratio']:.2f}× its floor, was {before['ratio']:.2f}× "
                    f"(limit {limit:.2f}×, +{(after['ratio'] / before['ratio'] - 1):.0%})",
                )
            )
    return found


def regressions(baseline: dict, current: dict, *, tolerance: float = TOLERANCE) -> list[str]:
    """What got worse, one line each; empty when the current run holds the baseline's ratios."""
    return [message for _, message in findings(baseline, current, tolerance=tolerance)]
