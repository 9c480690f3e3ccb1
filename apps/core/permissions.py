"""The one helper that answers "may this user do this", globally (by role) or on one object (guardian)."""

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from guardian.shortcuts import get_objects_for_user


def is_signed_in(user) -> bool:
    """An authenticated, active user (the minimum for reading reference data)."""
    return user is not None and user.is_authenticated and user.is_active


def user_can(user, perm: str, obj: Model | None = None) -> bool:
    """True when the user holds `perm` through a role (global) or on `obj` itself (object permission).

    Django's ModelBackend ignores global permissions when an object is passed and guardian checks only object
    permissions, so both questions are asked here and nowhere else.
    """
    if not is_signed_in(user):
        return False
    if user.has_perm(perm):
        return True
    return obj is not None and user.has_perm(perm, obj)


def objects_for_user(user, perm: str, queryset: QuerySet) -> QuerySet:
    """The rows of `queryset` the user holds `perm` on, globally or per object; none for anonymous users."""
    if not is_signed_in(user):
        return queryset.none()
    if user.has_perm(perm):
        return queryset
    return get_objects_for_user(user, perm, klass=queryset, accept_global_perms=False, with_superuser=False)


# The verbs of Django's model permissions, as a refusal says them.
_VERBS = {"add": "add", "change": "change", "delete": "remove", "view": "see"}


def refusal(perm: str) -> str:
    """The one sentence a refusal of `perm` reads, wherever it is refused (page, API, admin action, task).

    A model permission (`app.add_model`, `change_`, `delete_`, `view_`) is held globally only by deployment managers,
    so its refusal names them and the model; any other permission is refused in general terms.
    """
    app_label, _, codename = perm.partition(".")
    verb, _, model_name = codename.partition("_")
    if verb in _VERBS and model_name:
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            pass
        else:
            return f"Only deployment managers may {_VERBS[verb]} {model._meta.verbose_name_plural}."
    return "You may not do this."


def require(user, perm: str, obj: Model | None = None, *, message: str | None = None) -> None:
    """Raise PermissionDenied unless the user holds `perm` (globally or on `obj`): the one permission guard of every
    service and write endpoint. The message is the rule's own (`refusal`) unless the rule is not a model permission
    and names who may (`message`)."""
    if not user_can(user, perm, obj):
        raise PermissionDenied(message or refusal(perm))
