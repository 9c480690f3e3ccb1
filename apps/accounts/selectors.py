"""Reads on users and their tokens."""

from django.db.models import QuerySet

from apps.accounts.models import ApiToken, RoleProfile, User


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at")


def role_profile_list(*, user: User) -> QuerySet[RoleProfile]:
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
