"""App config for integrations: signed outbound webhooks and chat messages."""

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from django_q.models import Schedule

        from apps.core import outbound
        from apps.integrations.tasks import announce
        from apps.reviews.schedules import SCHEDULES

        # lower apps announce what happened through apps.core.outbound; webhooks listen here
        outbound.subscribe(announce)
        SCHEDULES.setdefault(
            "integrations: announce freezes starting",
            ("apps.integrations.tasks.freezes_starting", Schedule.HOURLY, None),
        )
