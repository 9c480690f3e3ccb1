"""App config for users and API tokens."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Users and tokens"

    def ready(self) -> None:
        from apps.accounts.api import schema  # noqa: F401  (registers the token scheme with drf-spectacular)
        from apps.accounts.models import User
        from apps.core.generations import REFERENCE_GENERATION, bump_on_change

        # the register's people lists name the active users (a sign-in's `last_login` changes none of it)
        named = frozenset({"first_name", "last_name", "username", "is_active"})
        bump_on_change(User, REFERENCE_GENERATION, fields=named)
