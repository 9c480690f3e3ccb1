"""Reads on roles: the profiles of the roles a user holds, and whether a user holds a role."""

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.roles.models import ActivityProfile, RoleProfile


def role_profile_list(*, user: User) -> QuerySet[RoleProfile]:
    """The profiles of the roles the user holds, by role name."""
    return RoleProfile.objects.filter(group__user=user).select_related("group").order_by("group__name")


def user_has_role(user: User, role: str) -> bool:
    """Whether the user holds the role (a group); cached on the user object for the request."""
    if not user.is_authenticated:
        return False
    cache = getattr(user, "_role_cache", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._role_cache = cache
    return role in cache


def role_profile_all() -> QuerySet[RoleProfile]:
    """Every role's profile, by role name (the roles and competencies page)."""
    return RoleProfile.objects.select_related("group").order_by("group__name")


def activity_profile_list() -> list[ActivityProfile]:
    """The activities of both processes with their competency profiles, in process order."""
    return list(ActivityProfile.objects.order_by("process", "order"))
