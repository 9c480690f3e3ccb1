"""RoleProfile moves from accounts to roles: the table (accounts_roleprofile) and its rows stay where they are;
only Django's state, and the content type its permissions and admin log hang on, move."""

import django.db.models.deletion
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="roles", model="roleprofile").exists():
        ContentType.objects.filter(app_label="accounts", model="roleprofile").update(app_label="roles")


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="accounts", model="roleprofile").exists():
        ContentType.objects.filter(app_label="roles", model="roleprofile").update(app_label="accounts")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RoleProfile",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        (
                            "competency_profile",
                            models.CharField(
                                choices=[
                                    ("leader", "Leader"),
                                    ("administrator", "Administrator"),
                                    ("coordinator", "Coordinator / communicator"),
                                    ("methods_expert", "Methods and tools expert"),
                                    ("technical_expert", "Technical expert"),
                                ],
                                max_length=32,
                            ),
                        ),
                        ("description", models.TextField()),
                        (
                            "competencies",
                            models.TextField(help_text="The skills the practice expects of people in this role."),
                        ),
                        (
                            "group",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE, related_name="profile", to="auth.group"
                            ),
                        ),
                    ],
                    options={"db_table": "accounts_roleprofile", "ordering": ["group__name"]},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
