"""API of the reports app: KPIs (kpi_api) and records such as the audit trail (record_api)."""

import importlib

urlpatterns = []
_modules = []
for _name in ("apps.reports.api.kpi_api", "apps.reports.api.record_api"):
    try:
        _modules.append(importlib.import_module(_name))
    except ModuleNotFoundError as exc:
        if exc.name != _name:
            raise
for _module in _modules:
    urlpatterns += getattr(_module, "urlpatterns", [])


def register(router) -> None:
    for module in _modules:
        if hasattr(module, "register"):
            module.register(router)
