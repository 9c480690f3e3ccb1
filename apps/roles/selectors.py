"""Reads on roles: the profiles of the roles a user holds, and whether a user holds a role."""

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.roles.models import RoleProfile


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
