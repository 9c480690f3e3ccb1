"""App config for the roles: definitions, competency profiles and the group sync after migrate."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RolesConfig(AppConfig):
    name = "apps.roles"
    label = "roles"
    verbose_name = "Roles"

    def ready(self) -> None:
        from apps.roles.services import roles_sync_after_migrate

        # Permissions exist only after every app has migrated, so the role → permission grants are
        # (re)applied after each migrate run; the groups themselves come from a data migration.
        post_migrate.connect(roles_sync_after_migrate, dispatch_uid="deploydesk-roles-sync")
