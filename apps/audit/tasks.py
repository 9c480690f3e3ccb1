"""django-q2 tasks of the audit trail: the hourly signed checkpoint (shipping runs in apps.audit.shipping)."""

from apps.audit.checkpoints import checkpoint_create
from apps.audit.shipping import checkpoints_ship_pending


def checkpoint_hourly() -> int:
    """Sign the chain's head and ship it; re-enqueue earlier checkpoints a destination has not received yet.
    Returns the new checkpoint's id."""
    checkpoint = checkpoint_create(reason="scheduled")
    checkpoints_ship_pending()
    return checkpoint.pk
