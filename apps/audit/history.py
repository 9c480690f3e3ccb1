"""Feeds every django-simple-history record into the audit chain, with the channel it came through."""

from simple_history.models import HistoricalRecords

from apps.reports.audit import audit_append

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def _channel() -> str:
    request = getattr(HistoricalRecords.context, "request", None)
    if request is None:
        return "system"
    if request.path.startswith("/api/"):
        return "api"
    if request.path.startswith("/admin/"):
        return "admin"
    return "web"


def _service_id(instance) -> int | None:
    for path in ("service_id", "component.service_id", "deployment.service_id"):
        obj = instance
        try:
            for part in path.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            continue
        if isinstance(obj, int):
            return obj
    if instance._meta.label_lower == "catalog.service":
        return instance.pk
    return None


def record_history(sender, instance, history_instance, **kwargs) -> None:
    """post_create_historical_record receiver: one audit entry per historical record, with the changed fields."""
    changes = {}
    if history_instance.history_type == "~":
        previous = history_instance.prev_record
        if previous is not None:
            delta = history_instance.diff_against(previous)
            changes = {c.field: [c.old, c.new] for c in delta.changes}
    elif history_instance.history_type == "+":
        changes = {
            f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields if f.attname not in ("id",)
        }
    audit_append(
        actor=history_instance.history_user,
        channel=_channel(),
        action=ACTIONS.get(history_instance.history_type, "changed"),
        object_type=instance._meta.label_lower,
        object_id=instance.pk,
        object_repr=str(instance),
        changes=changes,
        service_id=_service_id(instance),
        at=history_instance.history_date,
    )
