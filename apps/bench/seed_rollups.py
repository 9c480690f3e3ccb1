"""The KPI daily rollup rows of a generated data set, computed by the generator as it makes the deployments.

Rebuilding the rollups from ten million loaded deployments would read them all back a month at a time; the generator
already holds every fact a deployment's contribution depends on (its row, its incident, its rating, its roll-back),
so each chunk hands back its rows, added up with the one `contribution` the services and the rebuild use. The
loading process adds the chunks' rows together and writes a day's rows once no later chunk can add to it (chunks
come in the order of their planned starts, and a deployment counts only on the day it was planned to start or
finished, never earlier). Each day, week, month and year is added up by SQL (`period_add`) as soon as its last day
is written — on PostgreSQL outside a transaction by a thread with its own connection, so the database adds up periods
while this process loads the next chunks. A test checks the rows equal a rebuild from the loaded deployments."""

import datetime as dt
import json
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connection

from apps.bench.loader import copy_text
from apps.deployments.services.kpi_rollup import (
    COUNTERS,
    DAILY_KEY,
    SKETCHES,
    Facts,
    contribution,
    merge_part,
    next_period_start,
    period_starts,
)
from apps.deployments.services.kpi_rollup_rebuild import levels_refile, period_add

COLUMNS = [*DAILY_KEY, *COUNTERS, *SKETCHES]


def add_deployment(rows: dict, row: dict, incident=None, rating=None, rolled_back_at=None) -> None:
    """Add one generated deployment's contribution into `rows` ({rollup key: figures}). `incident` is its
    (opened, resolved), `rating` its (lead time, quality) rating, if it has them."""
    facts = Facts(
        row,
        [incident] if incident else [],
        (1, rating[0], rating[1], 0, 0) if rating else (0, 0, 0, 0, 0),
        rolled_back_at,
    )
    for key, part in contribution(facts).items():
        merge_part(rows.setdefault(key, {}), part)


def _line(key: tuple, figures: dict) -> str:
    values = [str(v) for v in key]
    values += [str(figures.get(c, 0)) for c in COUNTERS]
    values += [json.dumps(figures.get(s, {}), separators=(",", ":")) for s in SKETCHES]
    return "\t".join(values) + "\n"


GRAINS = ("D", "W", "M", "Y")  # in this order: weeks and months are added up from days, a year from its months


class DailyRows:
    """The daily rows not yet written: `take` adds a chunk's rows, writes every day before the chunk's horizon (no
    later chunk reaches back before it) and adds up each week, month and year whose days are all written; `close`
    writes the rest. Both return the daily rows written."""

    def __init__(self, *, background: bool | None = None):
        self.pending: dict[tuple, dict] = {}
        self.built: dict[str, dt.date] = {}  # grain → the first period not yet added up
        self.last: dt.date | None = None  # the last day written
        if background is None:  # another connection sees the daily rows only once they are committed
            background = connection.vendor == "postgresql" and not connection.in_atomic_block
        # one thread, so the periods are added up in the order they were asked for (a week reads its day rows)
        self.adder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="period-add") if background else None
        self.added: list[Future] = []

    def _period_add(self, grain: str, a: dt.date, b: dt.date) -> None:
        if self.adder is None:
            period_add(grain, a, b)
            return
        for done in [f for f in self.added if f.done()]:
            done.result()  # a failed addition stops the load
            self.added.remove(done)
        self.added.append(self.adder.submit(period_add, grain, a, b))

    def _wait(self) -> None:
        """Wait for every period added in the background (raising its error), then close the thread's connection."""
        if self.adder is None:
            return
        self.added.append(self.adder.submit(lambda: connection.close()))  # looked up in the thread: its own
        try:
            for future in self.added:
                future.result()
        finally:
            self.adder.shutdown(wait=True)
            self.adder, self.added = None, []

    def _periods(self, horizon: dt.date | None) -> None:
        """Add up every period whose days are all written: those before the one the horizon falls in, or at the close
        (no horizon) every period up to the one the last day falls in."""
        for grain in GRAINS:
            if horizon is None:
                upto = next_period_start(period_starts(self.last)[grain], grain)
            else:
                upto = period_starts(horizon)[grain]
            if self.built[grain] < upto:
                self._period_add(grain, self.built[grain], upto)
                self.built[grain] = upto

    def take(self, rows: dict, horizon: dt.date | None) -> int:
        from apps.deployments.models import DeploymentDailyRollup

        for key, figures in rows.items():
            into = self.pending.get(key)
            if into is None:
                self.pending[key] = figures
            else:
                merge_part(into, figures)
        done = sorted(k for k in self.pending if horizon is None or k[0] < horizon)
        lines = [_line(k, f) for k in done if any((f := self.pending.pop(k)).values())]
        written = copy_text(DeploymentDailyRollup, COLUMNS, lines)
        if done and not self.built:
            levels_refile()  # the level rows file every model under its level (the models are loaded first)
            self.built = {grain: period_starts(done[0][0])[grain] for grain in GRAINS}
        if done:
            self.last = max(self.last or done[-1][0], done[-1][0])
        if self.built:
            self._periods(horizon)
        return written

    def close(self) -> int:
        try:
            return self.take({}, None)
        finally:
            self._wait()
