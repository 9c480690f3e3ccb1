"""App config for what every Deploydesk app shares: permissions, API frame, health, home."""

from django.apps import AppConfig
from django.db.backends.signals import connection_created

from apps.core.db import use_fast_timestamps


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Deploydesk core"

    def ready(self):
        connection_created.connect(use_fast_timestamps, dispatch_uid="core.use_fast_timestamps")
