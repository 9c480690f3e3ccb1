"""Demo environments for `make run`: the standard environments of fixtures/ get owners, a production maintenance
window and clearance, and month-end and year-end freezes (idempotent)."""

import datetime as dt

from django.utils import timezone
from guardian.shortcuts import assign_perm

from apps.environments.models import Clearance, Environment, FreezeWindow, MaintenanceWindow, Recurrence

SLUGS = ("development", "integration", "test", "staging", "production")
OWNED_BY_MANAGER = ("staging", "production")


def seed(users: dict) -> None:
    """Build on the reference environments (fixtures/environments.json, loaded first); without them, do nothing."""
    envs = {env.slug: env for env in Environment.objects.filter(slug__in=SLUGS)}
    if set(envs) != set(SLUGS):
        return
    for slug in OWNED_BY_MANAGER:
        envs[slug].owner = users.get("manager") or envs[slug].owner
        envs[slug].save(update_fields=["owner", "updated_at"])
    prod = envs["production"]
    # production takes deployments only inside its weekly window, which the demo defines just below
    prod.requires_maintenance_window = True
    prod.save(update_fields=["requires_maintenance_window", "updated_at"])
    if "practitioner" in users:
        for slug in SLUGS:
            assign_perm("environments.deploy_to_environment", users["practitioner"], envs[slug])
            Clearance.objects.get_or_create(
                environment=envs[slug],
                user=users["practitioner"],
                defaults={"granted_by": users.get("manager"), "reason": "Trained on the environment's runbook."},
            )
    year = timezone.now().year
    since = dt.datetime(year - 1, 1, 1, tzinfo=dt.UTC)
    MaintenanceWindow.objects.update_or_create(
        environment=prod,
        name="Weekly production window",
        defaults={
            "recurrence": Recurrence.WEEKLY,
            "start": since,
            "end": None,
            "time_zone": "Europe/London",
            "weekly_start_day": 5,
            "start_time": dt.time(22, 0),
            "weekly_end_day": 6,
            "end_time": dt.time(4, 0),
        },
    )
    FreezeWindow.objects.update_or_create(
        environment=prod,
        name="Month-end close",
        defaults={
            "reason": "Finance closes the books: no production changes in the last 3 days of each month.",
            "recurrence": Recurrence.MONTH_END,
            "start": since,
            "time_zone": "Europe/London",
            "month_end_days": 3,
        },
    )
    holidays = [
        dt.date(y, m, d).isoformat() for y in (year, year + 1) for m, d in ((12, 24), (12, 25), (12, 26), (12, 31))
    ] + [dt.date(y, 1, 1).isoformat() for y in (year + 1, year + 2)]
    FreezeWindow.objects.update_or_create(
        environment=None,
        name="Year-end holidays",
        defaults={
            "reason": "Reduced staffing over the year-end holidays: no deployments in any environment.",
            "recurrence": Recurrence.HOLIDAYS,
            "start": since,
            "time_zone": "Europe/London",
            "holidays": sorted(holidays),
        },
    )
