"""Demo data for `make run`: one user per role, and each app's reference data (local demo only)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from apps.core.registry import app_modules
from apps.roles import definitions as roles

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


def seeders() -> list:
    """Each domain app's demo.py has `seed(users)`; they run in dependency order and are idempotent."""
    return [module.seed for module in app_modules("demo")]
