"""LDAP / Active Directory sign-in on django-auth-ldap, with the directory's groups mapped to Deploydesk roles.

django-auth-ldap binds, searches the user and reads their groups (AUTH_LDAP_* settings, from the environment);
this backend finds the account through its (server, DN) link instead of the username alone, and syncs the role
groups from the group DN → role map at every sign-in, audited like an OpenID Connect sign-in.
"""

from django.conf import settings
from django_auth_ldap.backend import LDAPBackend

from apps.sso.mapping import roles_for
from apps.sso.models import ExternalIdentity
from apps.sso.services import ExternalProfile, external_sign_in_or_none


def _first(attrs: dict, name: str) -> str:
    values = attrs.get(name) or attrs.get(name.lower()) or []
    return str(values[0]) if values else ""


class LdapBackend(LDAPBackend):
    """Password sign-in against the directory; permissions come from RoleModelBackend, as everyone's."""

    def get_or_build_user(self, username, ldap_user):
        """The account is found and created by `external_user_sign_in`; django-auth-ldap only gets it back."""
        attrs = ldap_user.attrs or {}
        role_map = settings.DEPLOYDESK_LDAP_ROLE_MAP
        groups = tuple(sorted(ldap_user.group_dns)) if role_map else ()
        profile = ExternalProfile(
            kind=ExternalIdentity.Kind.LDAP,
            issuer=settings.AUTH_LDAP_SERVER_URI,
            subject=ldap_user.dn,
            username=username,
            email=_first(attrs, "mail"),
            first_name=_first(attrs, "givenName"),
            last_name=_first(attrs, "sn"),
            roles=frozenset(roles_for(groups, role_map, casefold=True)) if role_map else None,
            groups=groups,
        )
        user = external_sign_in_or_none(profile=profile)
        if user is None:
            raise ldap_user.AuthenticationFailed("refused by Deploydesk (see the warning logged above)")
        return user, False

    # permissions are RoleModelBackend's (the directory's groups become role groups at sign-in)
    def get_all_permissions(self, user, obj=None):
        return set()

    def get_group_permissions(self, user, obj=None):
        return set()

    def has_perm(self, user, perm, obj=None):
        return False

    def has_module_perms(self, user, app_label):
        return False
