"""Demo data for `make run`: one user per role, the reference data of fixtures/, and each app's demo data (local demo
only)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import serializers

from apps.catalog import demo as catalog_demo
from apps.deployment_models import demo as deployment_models_demo
from apps.deployments import demo as deployments_demo
from apps.environments import demo as environments_demo
from apps.people import demo as people_demo
from apps.reports import demo as reports_demo
from apps.reviews import demo as reviews_demo
from apps.roles import definitions as roles

# Each domain app's demo.py `seed(users)`, from the bottom layer up.
APP_DEMOS = [
    environments_demo,
    catalog_demo,
    deployment_models_demo,
    people_demo,
    deployments_demo,
    reviews_demo,
    reports_demo,
]

# username, first name, last name, role (None = administrator)
DEMO_USERS = [
    ("manager", "Maria", "Manager", roles.MANAGER),
    ("practitioner", "Pat", "Practitioner", roles.PRACTITIONER),
    ("serviceowner", "Sam", "Owner", roles.SERVICE_OWNER),
    ("productowner", "Priya", "Product", roles.PRODUCT_OWNER),
    ("auditor", "Alex", "Auditor", roles.AUDITOR),
    ("admin", "Ada", "Administrator", None),
]


def demo_password(username: str) -> str:
    return f"demo-{username}"


def seed_users() -> dict:
    User = get_user_model()
    users = {}
    for username, first, last, role in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@deploydesk.example"},
        )
        if created:
            user.set_password(demo_password(username))
            if role is None:
                user.is_staff = user.is_superuser = True
            user.save()
        if role is not None:
            user.groups.add(Group.objects.get(name=role))
        users[username] = user
    return users


# fixtures/ — the reference data a new organisation starts from — in dependency order
REFERENCE_FIXTURES = ("environments", "deployment_models")


def reference_data_load(users: dict | None = None) -> int:
    """Add the objects of fixtures/ that the database does not hold yet (found by natural key); objects already there
    keep whatever changed since (`loaddata` would overwrite them, e.g. turn an activated model back into a draft).
    Returns how many were added."""
    added = 0
    for name in REFERENCE_FIXTURES:
        with (settings.BASE_DIR / "fixtures" / f"{name}.json").open(encoding="utf-8") as f:
            for item in serializers.deserialize("json", f):
                if item.object.pk is None:
                    item.save()
                    added += 1
    return added


def seeders() -> list:
    """The reference data first, then each domain app's demo.py `seed(users)`, in dependency order; all idempotent."""
    return [reference_data_load, *(module.seed for module in APP_DEMOS)]
