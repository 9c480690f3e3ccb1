"""The domain apps in dependency order; shared frames (URLs, API, demo data, home page, test world) walk it."""

import importlib
from types import ModuleType

DOMAIN_APPS = [
    "audit",
    "environments",
    "catalog",
    "deployment_models",
    "deployments",
    "reviews",
    "integrations",
    "reports",
]


def app_modules(submodule: str) -> list[ModuleType]:
    """`apps.<app>.<submodule>` for each domain app that has it, in dependency order."""
    found = []
    for app in DOMAIN_APPS:
        name = f"apps.{app}.{submodule}"
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return found
