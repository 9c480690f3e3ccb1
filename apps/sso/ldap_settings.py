"""django-auth-ldap's search settings built from the plain values of the environment (imported by settings)."""

import ldap
from django_auth_ldap.config import (
    ActiveDirectoryGroupType,
    GroupOfNamesType,
    GroupOfUniqueNamesType,
    LDAPSearch,
    NestedActiveDirectoryGroupType,
    PosixGroupType,
)

GROUP_TYPES = {
    "groupOfNames": (GroupOfNamesType, "(objectClass=groupOfNames)"),
    "groupOfUniqueNames": (GroupOfUniqueNamesType, "(objectClass=groupOfUniqueNames)"),
    "posixGroup": (PosixGroupType, "(objectClass=posixGroup)"),
    "activeDirectory": (ActiveDirectoryGroupType, "(objectClass=group)"),
    "nestedActiveDirectory": (NestedActiveDirectoryGroupType, "(objectClass=group)"),
}


def ldap_search_settings(*, user_base: str, user_filter: str, group_base: str, group_type: str) -> dict:
    """AUTH_LDAP_USER_SEARCH, AUTH_LDAP_GROUP_SEARCH, AUTH_LDAP_GROUP_TYPE and the connection options."""
    if group_type not in GROUP_TYPES:
        raise ValueError(f"DEPLOYDESK_LDAP_GROUP_TYPE must be one of {', '.join(GROUP_TYPES)}, not {group_type!r}")
    type_class, group_filter = GROUP_TYPES[group_type]
    values = {
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(user_base, ldap.SCOPE_SUBTREE, user_filter),
        "AUTH_LDAP_USER_ATTR_MAP": {"first_name": "givenName", "last_name": "sn", "email": "mail"},
        # Active Directory answers with referrals that the client must not chase anonymously
        "AUTH_LDAP_CONNECTION_OPTIONS": {ldap.OPT_REFERRALS: 0, ldap.OPT_NETWORK_TIMEOUT: 10},
    }
    if group_base:
        values["AUTH_LDAP_GROUP_SEARCH"] = LDAPSearch(group_base, ldap.SCOPE_SUBTREE, group_filter)
        values["AUTH_LDAP_GROUP_TYPE"] = type_class()
    return values
