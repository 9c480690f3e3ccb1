"""The history adapter: each django-simple-history record enters the audit chain with the context in hand."""

import functools

from django.conf import settings
from django.utils import timezone
from simple_history.utils import get_change_reason_from_object

from apps.audit.chain import audit_append
from apps.audit.context import AuditContext, current_context

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


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


def audit_history(*, instance, record, context: AuditContext) -> None:
    """One audit entry for one historical record of `instance`, with the changed fields, by the context's actor
    (the record's user when the context names none) through the context's channel."""
    changes = {}
    if record.history_type == "~":
        previous = record.prev_record
        if previous is not None:
            delta = record.diff_against(previous)
            changes = {c.field: [c.old, c.new] for c in delta.changes}
    elif record.history_type == "+":
        changes = {
            f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields if f.attname not in ("id",)
        }
    audit_append(
        actor=context.actor if context.actor is not None else record.history_user,
        channel=context.channel,
        action=ACTIONS.get(record.history_type, "changed"),
        object_type=instance._meta.label_lower,
        object_id=instance.pk,
        object_repr=str(instance),
        changes=changes,
        service_id=_service_id(instance),
        at=record.history_date,
    )


def audit_history_many(*, instances, records, context: AuditContext) -> None:
    """Entries for records written in bulk (`bulk_history_create` announces none), in the instances' order."""
    for instance, record in zip(instances, records or [], strict=False):  # none when history is off
        audit_history(instance=instance, record=record, context=context)


@functools.cache
def _history_model(model):
    return model.history.model  # the manager is made anew at each access: once per model


def history_rows(*, instances: list, default_user=None) -> list | None:
    """The "created" history rows of new `instances` (of one model), as django-simple-history's
    `bulk_history_create` makes them, not yet written: the caller inserts them with a compiled insert
    (`insert_rows`, or with other rows by `InsertsTogether`) instead of an ORM insert built for each call. None when
    history is off. Like `bulk_history_create`, no signal announces them."""
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True) or not instances:
        return None
    history = _history_model(type(instances[0]))
    rows = []
    for instance in instances:
        row = history(
            history_date=getattr(instance, "_history_date", timezone.now()),
            history_user=getattr(instance, "_history_user", default_user or history.get_default_history_user(instance)),
            history_change_reason=get_change_reason_from_object(instance) or "",
            history_type="+",
            **{field.attname: getattr(instance, field.attname) for field in history.tracked_fields},
        )
        if hasattr(history, "history_relation"):
            row.history_relation_id = instance.pk
        rows.append(row)
    return rows


def record_history(sender, instance, history_instance, **kwargs) -> None:
    """post_create_historical_record receiver: the record enters the chain with the context opened by the
    service (or, for a request outside any service, by AuditContextMiddleware from the view that serves it)."""
    audit_history(instance=instance, record=history_instance, context=current_context())
