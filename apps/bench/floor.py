"""The benchmark's floor, measured in the same run (DESIGN.md §7): the bare page, the bare DRF list and the bare
DRF create of apps/bench/floor_views.py on the same gunicorn and database, and a CPU calibration loop, each
before and after the figures. Every figure is then also a ratio of its floor, which holds from day to day on
machines whose speed does not."""

import statistics
import time

import requests

from apps.bench.measure import Figure, concurrent_posts, count_queries, p95, timed
from apps.bench.server import Server

FLOOR_PATHS = {"page": "/bench/floor/page/", "api": "/bench/floor/api/list/", "write": "/bench/floor/api/create/"}
CALIBRATION_LOOP = 2_000_000


def calibrate(rounds: int = 5) -> float:
    """The median ms of a fixed pure-Python loop in this process: the machine's speed today, for the JSON."""
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        total = 0
        for i in range(CALIBRATION_LOOP):
            total += i * i % 7
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def measure(
    server: Server, web: requests.Session, api: requests.Session, key: str, *, repeats: int, writers: int, writes: int
) -> dict:
    """One pass over the floor: the samples of each bare endpoint (ms) and the calibration."""
    page, page_status, _ = timed(web, server.url + FLOOR_PATHS["page"], repeats=repeats)
    listed, list_status, _ = timed(api, server.url + FLOOR_PATHS["api"], repeats=repeats)
    if page_status != 200 or list_status != 200:
        raise RuntimeError(f"the floor's bare endpoints answered {page_status} and {list_status}")
    calls = max(writes // writers, 1)

    def body(i: int, c: int) -> dict:
        return {"name": f"floor {i}-{c}", "number": c}

    created, errors, _ = concurrent_posts(server.url + FLOOR_PATHS["write"], key, body, writers=writers, calls=calls)
    if errors:
        raise RuntimeError(f"the bare create failed: {errors[0]}")
    return {"page": page, "api": listed, "write": created, "calibration_ms": calibrate()}


def summarise(before: dict, after: dict, *, user=None) -> dict:
    """The floor for the JSON: per bare endpoint the median of both passes' samples (the ratios' denominator),
    each pass's median and the p95; the calibration before and after."""
    floor: dict = {}
    for kind, path in FLOOR_PATHS.items():
        samples = before[kind] + after[kind]
        floor[kind] = {
            "path": path,
            "median_ms": round(statistics.median(samples), 2),
            "p95_ms": round(p95(samples), 2),
            "before_ms": round(statistics.median(before[kind]), 2),
            "after_ms": round(statistics.median(after[kind]), 2),
            "runs": len(samples),
        }
        if user is not None and kind != "write":
            headers = {"HTTP_ACCEPT": "application/json"} if kind == "api" else None
            floor[kind]["queries"] = count_queries(user, path, headers)
    floor["calibration"] = {
        "loop": CALIBRATION_LOOP,
        "before_ms": round(before["calibration_ms"], 1),
        "after_ms": round(after["calibration_ms"], 1),
    }
    return floor


def ratio(median_ms: float, floor_ms: float) -> float | None:
    return round(median_ms / floor_ms, 2) if floor_ms > 0 else None


def apply_ratios(figures: list[Figure], floor: dict) -> None:
    """Each figure with a floor gets its ratio: median ÷ the median of its floor's bare endpoint timed beside it
    (alternating requests, `floor_beside_ms`), or, for the writes, ÷ the floor's median before and after."""
    for f in figures:
        if f.floor is not None:
            f.ratio = ratio(f.median_ms, f.extra.get("floor_beside_ms") or floor[f.floor]["median_ms"])
