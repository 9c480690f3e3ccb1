"""App config for users, roles and API tokens."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Users, roles and tokens"

    def ready(self) -> None:
        from apps.accounts.api import schema  # noqa: F401  (registers the token scheme with drf-spectacular)
        from apps.accounts.roles import roles_sync_after_migrate

        # Permissions exist only after every app has migrated, so the role → permission grants are
        # (re)applied after each migrate run; the groups themselves come from a data migration.
        post_migrate.connect(roles_sync_after_migrate, dispatch_uid="deploydesk-roles-sync")
