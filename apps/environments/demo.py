"""Demo environments with standing checks, a production maintenance window, and month-end and year-end freezes."""

import datetime as dt

from django.utils import timezone
from guardian.shortcuts import assign_perm

from apps.environments.models import (
    Clearance,
    Environment,
    EnvironmentCheck,
    EnvironmentKind,
    FreezeWindow,
    MaintenanceWindow,
    Recurrence,
)

DATA_CENTRE = [
    "Data centre: mains power confirmed",
    "Data centre: back-up power (UPS and generator) tested",
    "Data centre: cooling within range",
    "Data centre: fire protection armed",
]
IAC = ["Infrastructure as code: plan applied cleanly", "Infrastructure as code: no drift detected"]
OPERATIONS = ["Back-ups verified restorable", "Monitoring and alerting in place"]

ENVIRONMENTS = [
    # slug, name, kind, order, parallel, requires maintenance windows, owner, purpose, checks
    ("development", "Development", EnvironmentKind.DEVELOPMENT, 10, True, False, None,
     "Where teams build and try changes; not under change control.", []),
    ("integration", "Integration", EnvironmentKind.INTEGRATION, 20, False, False, None,
     "Components from several teams are integrated and tested together.", IAC[:1]),
    ("test", "Test", EnvironmentKind.TEST, 30, True, False, None,
     "Functional and regression testing against production-like data.", [*IAC, OPERATIONS[1]]),
    ("staging", "Staging", EnvironmentKind.STAGING, 40, False, False, "manager",
     "A copy of production for rehearsals, performance and acceptance tests.", [*IAC, *OPERATIONS]),
    ("production", "Production", EnvironmentKind.PRODUCTION, 50, False, True, "manager",
     "Live services used by customers. Deployments only inside agreed maintenance windows.",
     [*DATA_CENTRE, *IAC, *OPERATIONS]),
]  # fmt: skip


def seed(users: dict) -> None:
    """Create or refresh the demo environments; running it twice changes nothing."""
    envs = {}
    for slug, name, kind, order, parallel, maintenance, owner, purpose, checks in ENVIRONMENTS:
        env, _ = Environment.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "kind": kind,
                "order": order,
                "allows_parallel_deployments": parallel,
                "requires_maintenance_window": maintenance,
                "owner": users.get(owner) if owner else None,
                "purpose": purpose,
                "controlled": kind != EnvironmentKind.DEVELOPMENT,
            },
        )
        for position, description in enumerate(checks):
            EnvironmentCheck.objects.update_or_create(
                environment=env, description=description, defaults={"order": position}
            )
        envs[slug] = env
    prod = envs["production"]
    if "practitioner" in users:
        for slug in ("development", "integration", "test", "staging", "production"):
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
