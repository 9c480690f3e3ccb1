"""App config for what every Deploydesk app shares: permissions, API frame, health, home."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Deploydesk core"
