"""The shared test world: one user per role plus the objects each capability adds.

The permission matrix runs every row against this world; later capabilities extend `build_world`.
"""

import importlib
from types import SimpleNamespace

from apps.accounts.services import api_token_create
from apps.core.registry import DOMAIN_APPS
from tests.factories.accounts import UserFactory

ROLE_KEYS = ["manager", "practitioner", "service_owner", "product_owner", "auditor"]


def build_world() -> SimpleNamespace:
    w = SimpleNamespace()
    w.users = {key: UserFactory(username=key, roles=[key]) for key in ROLE_KEYS}
    w.users["admin"] = UserFactory(username="admin", is_staff=True, is_superuser=True)
    w.users["norole"] = UserFactory(username="norole")
    w.tokens = {"manager": api_token_create(user=w.users["manager"], name="world")[0]}
    # each capability adds its objects in tests/<app>/world.py: `extend(w)`, in dependency order
    for app in DOMAIN_APPS:
        try:
            module = importlib.import_module(f"tests.{app}.world")
        except ModuleNotFoundError:
            continue
        module.extend(w)
    return w
