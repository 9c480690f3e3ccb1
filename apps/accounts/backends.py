"""The local backend: password sign-in (switchable off, but for a break-glass account) and the permission answers:
Django's ModelBackend, reading a user's role (group) and own permissions in one query."""

from functools import cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router
from django.db.models import TextField
from django.db.models.expressions import RawSQL

from apps.core.db import prepared_cursor


@cache
def _permissions_sql(columns: str = "", user: str = "%s") -> str:
    """The user's own and their groups' permissions as (app_label, codename), or `columns` of them: a UNION of two
    inner joins on the link tables' user indexes, its text made once per process from the models' tables (a
    constant). The user is `user`: a parameter, or a column of an outer query. The ORM's form of the same question
    was a DISTINCT over five tables with outer joins, asked on every request: twice the database time, and more again
    to build and compile it in Python."""
    model = get_user_model()
    own = model._meta.get_field("user_permissions").remote_field.through._meta
    groups = model._meta.get_field("groups").remote_field.through._meta
    group_perms = Group._meta.get_field("permissions").remote_field.through._meta
    q = connections[router.db_for_read(Permission)].ops.quote_name
    perm, ct = q(Permission._meta.db_table), q(ContentType._meta.db_table)
    own, groups, group_perms = (q(t.db_table) for t in (own, groups, group_perms))
    columns = columns.format(ct=ct, perm=perm) or f"{ct}.app_label, {perm}.codename"
    # names from the models' metadata, quoted; the user id is a parameter or an outer column
    mine = f"SELECT permission_id FROM {own} WHERE user_id = {user}"  # noqa: S608
    theirs = (
        f"SELECT gp.permission_id FROM {group_perms} gp "  # noqa: S608
        f"INNER JOIN {groups} ug ON ug.group_id = gp.group_id WHERE ug.user_id = {user}"
    )
    return (
        f"SELECT {columns} FROM {perm} "  # noqa: S608
        f"INNER JOIN {ct} ON {ct}.id = {perm}.content_type_id WHERE {perm}.id IN ({mine} UNION {theirs})"
    )


def permissions_held(user_column: str) -> RawSQL:
    """The permissions of the user whose id is `user_column` (a quoted column of the outer query), as one text of
    `app_label.codename`s separated by commas (NULL for none): read with the row that names the user (an API token's),
    the permissions cost no round trip of their own; `permissions_remember` keeps them as the backend would."""
    vendor = connections[router.db_for_read(Permission)].vendor
    joined = "string_agg({ct}.app_label || '.' || {perm}.codename, ',')"
    if vendor != "postgresql":
        joined = "group_concat({ct}.app_label || '.' || {perm}.codename, ',')"
    # names from the models' metadata and the caller's quoted column: no value of a request is in the text
    return RawSQL(f"({_permissions_sql(joined, user_column)})", [], output_field=TextField())  # noqa: S611


def permissions_remember(user, held: str | None) -> None:
    """Keep the permissions read by `permissions_held` on `user`, as `RoleModelBackend.get_all_permissions` keeps its
    own answer (not for superusers, whom the backend answers with every permission, or inactive users, with none)."""
    if user.is_active and not user.is_superuser:
        user._perm_cache = set(held.split(",")) if held else set()


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
                rows = Permission.objects.values_list("content_type__app_label", "codename").order_by()
            else:
                # prepared: planning this small read took as long as running it, on every request
                with prepared_cursor(connections[router.db_for_read(Permission)]) as cursor:
                    cursor.execute(_permissions_sql(), [user_obj.pk, user_obj.pk])
                    rows = cursor.fetchall()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache


def local_login_allowed(username: str | None) -> bool:
    """Whether a local password may sign `username` in (the login page says so when it may not)."""
    if settings.DEPLOYDESK_LOCAL_LOGIN:
        return True
    break_glass = settings.DEPLOYDESK_BREAK_GLASS_USERNAME
    return bool(break_glass) and username is not None and username == break_glass
