"""Create the five role groups of DESIGN.md §1 with their competency profiles."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from apps.accounts.roles import roles_sync

    roles_sync(apps=apps)


def remove_roles(apps, schema_editor):
    from apps.accounts.roles import ROLES

    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create_roles, remove_roles)]
