"""A log-bucket sketch of durations (after DDSketch) for the KPIs' medians and percentiles.

A duration, rounded to whole seconds s, falls into bucket ceil(log_γ s) with γ = 1 + α (α = 0.5 %): bucket i
holds the durations in (γ^(i-1), γ^i]; zero seconds go to bucket "0". Each bucket keeps how many durations fell
into it and their sum. A percentile is read at its rank (interpolated between the two neighbouring ranks like
percentile_cont) as the mean of the bucket the rank falls into: that mean and the exact value at the rank lie in
the same bucket, so the result is within a relative error α (0.5 %) — plus the rounding to whole seconds — of the
exact percentile, and exact whenever the bucket holds equal durations. Sketches merge by adding counts and sums,
so the days' sketches add up to a period's. A sketch is a dict {bucket: [count, sum]} (stored as JSON)."""

import math

ALPHA = 0.005
GAMMA = 1 + ALPHA
_LOG_GAMMA = math.log(GAMMA)


def whole_seconds(seconds: float) -> int:
    return max(round(seconds), 0)


def bucket_of(seconds: int) -> str:
    if seconds < 1:
        return "0"
    return str(math.ceil(math.log(seconds) / _LOG_GAMMA - 1e-9))


def sketch_of(durations) -> dict:
    """The sketch of durations given in seconds."""
    sketch: dict = {}
    for d in durations:
        s = whole_seconds(d)
        entry = sketch.setdefault(bucket_of(s), [0, 0])
        entry[0] += 1
        entry[1] += s
    return sketch


def sketch_add(into: dict, other: dict, sign: int = 1) -> dict:
    """Add (or with sign=-1 take away) `other`'s counts and sums into `into`, dropping emptied buckets."""
    for key, (n, total) in other.items():
        had_n, had_total = into.get(key, (0, 0))
        if had_n + sign * n:
            into[key] = [had_n + sign * n, had_total + sign * total]
        else:
            into.pop(key, None)
    return into


def sketch_quantiles(sketch: dict, fractions) -> tuple[int, dict]:
    """(n, {fraction: seconds}) interpolated between ranks like percentile_cont; (0, {}) for an empty sketch."""
    ordered = sorted((int(k), n, total) for k, (n, total) in sketch.items() if n > 0)
    count = sum(n for _k, n, _t in ordered)
    if not count:
        return 0, {}

    def at_rank(rank: int) -> float:  # 0-based
        seen = 0
        for _k, n, total in ordered:
            seen += n
            if rank < seen:
                return total / n
        return ordered[-1][2] / ordered[-1][1]

    result = {}
    for p in fractions:
        pos = (count - 1) * p
        lo, hi = math.floor(pos), math.ceil(pos)
        low, high = at_rank(lo), at_rank(hi)
        result[p] = low + (high - low) * (pos - lo)
    return count, result
