"""URLs of the reports app: KPIs and dashboard (kpi_urls), calendar, matrix, exports and audit (record_urls)."""

import importlib

app_name = "reports"

urlpatterns = []
for _name in ("apps.reports.kpi_urls", "apps.reports.record_urls"):
    try:
        urlpatterns += importlib.import_module(_name).urlpatterns
    except ModuleNotFoundError as exc:
        if exc.name != _name:
            raise
