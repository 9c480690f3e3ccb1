"""App config for deployment model reviews."""

from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "apps.reviews"
    label = "reviews"
    verbose_name = "Model reviews"

    def ready(self):
        from django.db.models.signals import post_migrate

        from apps.core.health import health_checks
        from apps.reviews.schedules import schedules_after_migrate, schedules_missing

        # After django_q's tables exist (post_migrate runs once every app is migrated), for this app only once.
        post_migrate.connect(schedules_after_migrate, sender=self, dispatch_uid="deploydesk-schedules")
        health_checks.register("schedules", schedules_missing)
