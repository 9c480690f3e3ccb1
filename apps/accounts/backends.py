"""The local backend: password sign-in (switchable off, but for a break-glass account) and the permission answers:
Django's ModelBackend, reading a user's role (group) and own permissions in one query."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class RoleModelBackend(ModelBackend):
    """Every page and API call asks "what may this user do" once; ModelBackend answers with two queries (the
    user's own permissions, then their groups'), this one with a single query. Same answers, same caches."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        """Local passwords are refused when DEPLOYDESK_LOCAL_LOGIN is off, except the break-glass account's."""
        if not local_login_allowed(username):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                perms = Permission.objects.all()
            else:
                perms = Permission.objects.filter(
                    Q(pk__in=user_obj.user_permissions.through.objects.filter(user=user_obj).values("permission"))
                    | Q(group__user=user_obj)
                ).distinct()
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in perms.values_list("content_type__app_label", "codename").order_by()
            }
        return user_obj._perm_cache


def local_login_allowed(username: str | None) -> bool:
    """Whether a local password may sign `username` in (the login page says so when it may not)."""
    if settings.DEPLOYDESK_LOCAL_LOGIN:
        return True
    break_glass = settings.DEPLOYDESK_BREAK_GLASS_USERNAME
    return bool(break_glass) and username is not None and username == break_glass
