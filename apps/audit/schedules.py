"""The audit trail's background schedules; apps.reviews.schedules (above this app) registers them with its own."""

from django_q.models import Schedule

# name → (function, schedule type, minutes for MINUTES schedules), the shape of apps.reviews.schedules.SCHEDULES
AUDIT_SCHEDULES = {
    "audit: sign a checkpoint of the audit chain": ("apps.audit.tasks.checkpoint_hourly", Schedule.HOURLY, None),
    # the stream's catch-up and retry: entries a failed or missed run left behind (off without DEPLOYDESK_AUDIT_STREAM)
    "audit: stream new entries to the collector": ("apps.audit.tasks.stream_audit", Schedule.MINUTES, 1),
}
