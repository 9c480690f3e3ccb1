"""Once created the role groups; the roles app does that now (roles.0002), with RoleProfile in its own state.

Kept as a no-op so the databases that applied it and the new ones share one migration graph."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
