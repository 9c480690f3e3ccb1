"""Permission-matrix rows of the reports app: KPI pages and API here; the records' rows (calendar, matrix,
exports, audit) come from tests/reports/record_matrix.py when it exists."""

import importlib

from tests.matrix import api, page

NO_KPIS = {"practitioner": 403, "norole": 403}

KPI_ROWS = [
    page("/reports/kpis/", **NO_KPIS),
    page("/reports/kpis/?from=2025-03-30&to=2025-03-01", default=400, **NO_KPIS, name="GET /reports/kpis/ bad dates"),
    page("/reports/kpis/success_rate/", **NO_KPIS),
    page("/reports/kpis/unknown/", default=404, **NO_KPIS, name="GET /reports/kpis/<unknown>/"),
    api("/api/v1/kpis/", **NO_KPIS),
    api("/api/v1/kpis/?from=x", default=400, **NO_KPIS, name="GET /api/v1/kpis/ bad dates"),
]

try:
    _records = importlib.import_module("tests.reports.record_matrix").ROWS
except ModuleNotFoundError as exc:
    if exc.name != "tests.reports.record_matrix":
        raise
    _records = []

ROWS = KPI_ROWS + _records
