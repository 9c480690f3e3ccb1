"""The shared test world: one user per role plus the objects each capability adds.

The permission matrix runs every row against this world; later capabilities extend `build_world`.
"""

from types import SimpleNamespace

from apps.accounts.services import api_token_create
from tests.catalog import world as catalog_world
from tests.deployment_models import world as deployment_models_world
from tests.deployments import world as deployments_world
from tests.environments import world as environments_world
from tests.factories.accounts import UserFactory
from tests.integrations import world as integrations_world
from tests.people import world as people_world
from tests.reports import world as reports_world
from tests.reviews import world as reviews_world

# Each capability adds its objects in tests/<app>/world.py: `extend(w)`, from the bottom layer up.
APP_WORLDS = [
    environments_world,
    catalog_world,
    deployment_models_world,
    people_world,
    deployments_world,
    reviews_world,
    integrations_world,
    reports_world,
]

ROLE_KEYS = ["manager", "practitioner", "service_owner", "product_owner", "auditor", "supplier_contact"]


def build_world() -> SimpleNamespace:
    w = SimpleNamespace()
    w.users = {key: UserFactory(username=key, roles=[key]) for key in ROLE_KEYS}
    w.users["admin"] = UserFactory(username="admin", is_staff=True, is_superuser=True)
    w.users["norole"] = UserFactory(username="norole")
    w.tokens = {"manager": api_token_create(user=w.users["manager"], name="world")[0]}
    for module in APP_WORLDS:
        module.extend(w)
    return w
