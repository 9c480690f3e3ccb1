from django.db import migrations


def window_length_index(apps, schema_editor):
    """PostgreSQL: an index on each deployment's planned window length answers the longest window at once, so the
    calendar reads a range's deployments by their planned start (apps/reports/selectors/calendar.py)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS dep_window_length ON deployments_deployment ((planned_end - planned_start))"
        )


def drop_window_length_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS dep_window_length")


class Migration(migrations.Migration):
    dependencies = [("deployments", "0022_status_environment_indexes")]

    operations = [migrations.RunPython(window_length_index, drop_window_length_index)]
