"""The django-q2 schedules of Deploydesk's background work, created or updated by name (idempotent)."""

from django.utils import timezone
from django_q.models import Schedule

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
}


def schedules_ensure() -> list[tuple[str, str]]:
    """Create each schedule that is missing (first run now) and bring existing ones up to date without moving their
    next run. Returns (name, "created" | "updated" | "unchanged") per schedule."""
    results = []
    for name, (func, schedule_type, minutes) in SCHEDULES.items():
        wanted = {"func": func, "schedule_type": schedule_type, "minutes": minutes, "repeats": -1}
        schedule = Schedule.objects.filter(name=name).order_by("pk").first()
        if schedule is None:
            Schedule.objects.create(name=name, next_run=timezone.now(), **wanted)
            results.append((name, "created"))
            continue
        changed = {k: v for k, v in wanted.items() if getattr(schedule, k) != v}
        if changed:
            Schedule.objects.filter(pk=schedule.pk).update(**changed)
        Schedule.objects.filter(name=name).exclude(pk=schedule.pk).delete()  # a duplicate made by hand
        results.append((name, "updated" if changed else "unchanged"))
    return results
