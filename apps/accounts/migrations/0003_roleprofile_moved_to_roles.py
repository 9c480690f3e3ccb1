"""RoleProfile now belongs to the roles app (roles.0001); its table stays, so accounts only forgets it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles"), ("roles", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="RoleProfile")]),
    ]
