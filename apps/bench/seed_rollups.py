"""The KPI daily rollup rows of a generated data set, computed by the generator as it makes the deployments.

Rebuilding the rollups from ten million loaded deployments would read them all back a month at a time; the generator
already holds every fact a deployment's contribution depends on (its row, its incident, its rating, its roll-back),
so each chunk hands back its rows, added up with the one `contribution` the services and the rebuild use. The
loading process adds the chunks' rows together and writes a day's rows once no later chunk can add to it (chunks
come in the order of their planned starts, and a deployment counts only on the day it was planned to start or
finished, never earlier). The week, month and year rows are then added up from the daily rows by SQL
(`period_rebuild`). A test checks the rows equal a rebuild from the loaded deployments."""

import datetime as dt
import json

from apps.bench.loader import copy_text
from apps.deployments.services.kpi_rollup import COUNTERS, DAILY_KEY, SKETCHES, Facts, contribution, merge_part

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


class DailyRows:
    """The daily rows not yet written: `take` adds a chunk's rows and writes every day before the chunk's horizon
    (no later chunk reaches back before it); `close` writes the rest. Both return the rows written."""

    def __init__(self):
        self.pending: dict[tuple, dict] = {}

    def take(self, rows: dict, horizon: dt.date | None) -> int:
        from apps.deployments.models import DeploymentDailyRollup

        for key, figures in rows.items():
            into = self.pending.get(key)
            if into is None:
                self.pending[key] = figures
            else:
                merge_part(into, figures)
        done = [k for k in self.pending if horizon is None or k[0] < horizon]
        lines = [_line(k, f) for k in sorted(done) if any((f := self.pending.pop(k)).values())]
        return copy_text(DeploymentDailyRollup, COLUMNS, lines)

    def close(self) -> int:
        return self.take({}, None)
