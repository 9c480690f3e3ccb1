"""The audit trail's background schedules; apps.reviews.schedules (above this app) registers them with its own."""

from django_q.models import Schedule

# name → (function, schedule type, minutes for MINUTES schedules), the shape of apps.reviews.schedules.SCHEDULES
AUDIT_SCHEDULES = {
    "audit: sign a checkpoint of the audit chain": ("apps.audit.tasks.checkpoint_hourly", Schedule.HOURLY, None),
}
