"""Permission before validation: who may take an API write is decided before its body is read.

DRF asks a view's permission classes twice, both before any serializer touches `request.data`: `has_permission`
when the request arrives and `has_object_permission` when the handler looks its object up (`get_object`, which
must come before the serializer). `WritePermission` answers both from the view's `write_rules`: one `May` per
write action (a ViewSet's action name, or the HTTP method of a plain view). So a user who may not write is refused
with 403 (401 when not signed in, 404 when the object is not theirs to see) whatever they send — an empty body,
broken JSON, wrong types or a stale `version` — and the services still check again (DESIGN.md §5, one rule in one
place: the `May` rules call the same predicates as the services).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import lazy
from rest_framework import permissions

from apps.core.permissions import is_signed_in, refusal, user_can


@dataclass(frozen=True)
class May:
    """Who may take one write action: `perm` held by role (globally) and `check(user)`, both asked on arrival;
    `on(user, obj)` asked once the object is found. An empty rule lets every signed-in user through."""

    perm: str = ""
    check: Callable | None = None
    on: Callable | None = None
    message: str = "You may not do this."

    def allows(self, user) -> bool:
        return (not self.perm or user_can(user, self.perm)) and (self.check is None or bool(self.check(user)))


def by_permission(perm: str) -> May:
    """The rule "holds `perm` by role", refused with the permission's one message (the one `require` gives)."""
    return May(perm=perm, message=lazy(refusal, str)(perm))  # lazy: API views load before every model does


def manager_rules(app_model: str, actions=("create", "update", "destroy")) -> dict[str, May]:
    """Rules for a resource deployment managers write through their model permissions (`app.add_model` …), each
    refused with the permission's one message, the one the service's `require` gives."""
    app, model = app_model.split(".")
    verbs = {"create": "add", "update": "change", "destroy": "delete"}
    return {action: by_permission(f"{app}.{verbs[action]}_{model}") for action in actions}


def _rule(request, view) -> May:
    rules: dict[str, May] = getattr(view, "write_rules", {})
    action = getattr(view, "action", None) or request.method.lower()
    for key in (action, "update" if action == "partial_update" else None):
        if key in rules:
            return rules[key]
    raise ImproperlyConfigured(f"{type(view).__name__} has no write rule for “{action}” (write_rules).")


class WritePermission(permissions.BasePermission):
    """Refuses a write the user may not take before its body is parsed; reads are left to the other classes."""

    message = "You may not do this."

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if not is_signed_in(request.user):
            return False
        method = request.method.lower()
        if method not in view.http_method_names or not hasattr(view, method):
            return True  # not a method of this view: DRF answers 405
        rule = _rule(request, view)
        if not rule.allows(request.user):
            self.message = rule.message
            return False
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        rule = _rule(request, view)
        if rule.on is not None and not rule.on(request.user, obj):
            self.message = rule.message
            return False
        return True
