"""The one helper that answers "may this user do this", globally (by role) or on one object (guardian)."""

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
