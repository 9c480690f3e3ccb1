"""The audit-trail page: the latest entries, filtered and paged by id, and the "Verify chain" button."""

import json
from functools import cache

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.views.generic import TemplateView

from apps.audit.filters import AuditEntryFilterSet
from apps.audit.models import AuditEntry
from apps.audit.selectors import VIEW_AUDIT, audit_entry_list, audit_reader_services
from apps.audit.verify import audit_trail_verify
from apps.core.permissions import user_can

PAGE_SIZE = 50
ARROW = " → "


def _text(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return str(value)


@cache
def _choice_labels(object_type: str, field: str) -> dict:
    """The labels of a field with choices (a deployment's `status`: "verifying_components" → "Verifying components"),
    read from the model the entry names through the app registry, so the audit app imports no app above it."""
    try:
        model = apps.get_model(object_type)
        return {str(value): str(label) for value, label in model._meta.get_field(field).flatchoices}
    except (LookupError, ValueError, FieldDoesNotExist):  # not a model, or not one of its fields
        return {}


def _shown(object_type: str, field: str, value) -> str:
    if isinstance(value, str | int) and not isinstance(value, bool):
        label = _choice_labels(object_type, field).get(str(value))
        if label:
            return label
    return _text(value)


def change_lines(changes, object_type: str = "") -> list[str]:
    """An entry's changes as lines a person reads: `field: old → new` for a change (a two-item list), `field: value`
    for a value recorded on creation or with an event; values of fields with choices (statuses) by their labels."""
    if not isinstance(changes, dict):
        return [_text(changes)] if changes else []
    lines = []
    for field, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            old, new = (_shown(object_type, field, v) for v in value)
            lines.append(f"{field}: {old}{ARROW}{new}")
        elif value not in (None, "", [], {}):
            lines.append(f"{field}: {_shown(object_type, field, value)}")
    return lines


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class AuditEntryListView(LoginRequiredMixin, TemplateView):
    """GET: entries newest first, `?before=<id>` for older ones (keyset paging). POST: verify the whole chain."""

    template_name = "audit/auditentry_list.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_can(request.user, VIEW_AUDIT):
            raise PermissionDenied("Only deployment managers and auditors may read the audit trail.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        errors = None
        params = request.GET.copy()
        before = _int(params.pop("before", [None])[0])
        try:
            qs = audit_entry_list(user=request.user, params=params)
        except ValidationError as exc:
            errors = exc.message_dict
            qs = AuditEntry.objects.none()
        if before:
            qs = qs.filter(id__lt=before)
        entries = list(qs.select_related("actor").order_by("-id")[: PAGE_SIZE + 1])
        has_more = len(entries) > PAGE_SIZE
        entries = entries[:PAGE_SIZE]
        for entry in entries:
            entry.change_lines = change_lines(entry.changes, entry.object_type)
            entry.changes_json = json.dumps(entry.changes, sort_keys=True, ensure_ascii=False, default=str)
        ctx = self.get_context_data(
            entries=entries,
            older=entries[-1].pk if has_more and entries else None,
            before=before,
            query=params.urlencode(),
            filter=AuditEntryFilterSet(request.GET or None),
            errors=errors,
            can_export=audit_reader_services(request.user) is not None,
            object_types=AuditEntry.objects.order_by().values_list("object_type", flat=True).distinct()[:100],
        )
        return self.render_to_response(ctx, status=400 if errors else 200)

    def post(self, request, *args, **kwargs):
        result = audit_trail_verify()
        if result.ok:
            signed = f" and reaches its {result.checkpoints} signed checkpoints" if result.checkpoints else ""
            messages.success(request, f"OK: {result.checked} entries verified. The audit chain is intact{signed}.")
        else:
            entry = AuditEntry.objects.filter(pk=result.first_broken_id).first()
            where = f"#{result.first_broken_id}"
            if entry is not None:
                where += (
                    f" ({entry.at:%Y-%m-%d %H:%M:%S} UTC, {entry.object_type} {entry.object_id} {entry.object_repr})"
                )
            messages.error(
                request,
                f"The audit chain is broken at entry {where}: {result.summary}",
            )
        return redirect("audit:auditentry_list")
