"""Create the five role groups of DESIGN.md §1 with their competency profiles (formerly accounts' 0002; on a database
that ran that one, this only re-syncs them)."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from apps.roles.services import roles_sync

    roles_sync(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("roles", "0001_initial")]

    # Reversing keeps the groups: they hold users and permissions that predate this app.
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
