"""django-q2 tasks of the audit trail: the hourly signed checkpoint (shipping runs in apps.audit.shipping) and the
stream of every entry to a collector (apps.audit.streaming)."""

from apps.audit.checkpoints import checkpoint_create
from apps.audit.shipping import checkpoints_ship_pending
from apps.audit.streaming import stream_audit

__all__ = ["checkpoint_hourly", "stream_audit"]


def checkpoint_hourly() -> int:
    """Re-enqueue earlier checkpoints a destination has not received yet (oldest first), then sign the chain's head
    and ship it. Returns the new checkpoint's id."""
    checkpoints_ship_pending()
    return checkpoint_create(reason="scheduled").pk
