"""The django-q2 schedules of Deploydesk's background work, created or updated by name (idempotent)."""

from django.utils import timezone
from django_q.models import Schedule

from apps.audit.schedules import AUDIT_SCHEDULES

# name → (function, schedule type, minutes for MINUTES schedules)
SCHEDULES = {
    "reviews: plan scheduled model reviews": ("apps.reviews.tasks.schedule_quarterly_reviews", Schedule.DAILY, None),
    "reviews: open failure reviews": ("apps.reviews.tasks.open_failure_reviews", Schedule.HOURLY, None),
    "reviews: remind facilitators of overdue reviews": (
        "apps.reviews.tasks.remind_overdue_reviews",
        Schedule.DAILY,
        None,
    ),
    "deployments: remind practitioners of upcoming deployments": (
        "apps.deployments.tasks.remind_upcoming_deployments",
        Schedule.HOURLY,
        None,
    ),
    "core: hand out background calls that were lost on their way": ("apps.core.outbox.sweep", Schedule.MINUTES, 1),
    "core: send queued e-mails that are due": ("apps.core.mail_outbox.mail_send_due", Schedule.MINUTES, 1),
    "environments: remind holders of expiring clearances": (
        "apps.environments.tasks.remind_expiring_clearances",
        Schedule.DAILY,
        None,
    ),
    "deployments: rescore open deployments": ("apps.deployments.tasks.risk_refresh", Schedule.DAILY, None),
    "deployments: back-test the risk score": ("apps.deployments.tasks.risk_backtest", Schedule.DAILY, None),
    **AUDIT_SCHEDULES,
}


def schedules_ensure(*, using: str = "default") -> list[tuple[str, str]]:
    """Create each schedule that is missing (first run now) and bring existing ones up to date without moving their
    next run. Returns (name, "created" | "updated" | "unchanged") per schedule. Run by every `migrate` (see
    `ReviewsConfig.ready`) and by `manage.py setup_schedules`."""
    results = []
    schedules = Schedule.objects.using(using)
    for name, (func, schedule_type, minutes) in SCHEDULES.items():
        wanted = {"func": func, "schedule_type": schedule_type, "minutes": minutes, "repeats": -1}
        schedule = schedules.filter(name=name).order_by("pk").first()
        if schedule is None:
            schedules.create(name=name, next_run=timezone.now(), **wanted)
            results.append((name, "created"))
            continue
        changed = {k: v for k, v in wanted.items() if getattr(schedule, k) != v}
        if changed:
            schedules.filter(pk=schedule.pk).update(**changed)
        schedules.filter(name=name).exclude(pk=schedule.pk).delete()  # a duplicate made by hand
        results.append((name, "updated" if changed else "unchanged"))
    return results


def schedules_missing(*, using: str = "default") -> list[str]:
    """The names of Deploydesk's schedules that are not registered (what /health/ reports as a problem)."""
    present = set(Schedule.objects.using(using).filter(name__in=SCHEDULES).values_list("name", flat=True))
    return [name for name in SCHEDULES if name not in present]


def schedules_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """`post_migrate` receiver: every migrated database gets its schedules, so the reviews run wherever Deploydesk is
    installed by `migrate` alone (the production path), not only where `make run` set them up."""
    schedules_ensure(using=using)
