"""Start-up checks of the single sign-on configuration: a role map naming a role that does not exist, and so on."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from apps.roles.definitions import ROLES


@register()
def sso_configuration(app_configs=None, **kwargs):
    problems = []
    for name in ("DEPLOYDESK_OIDC_ROLE_MAP", "DEPLOYDESK_LDAP_ROLE_MAP"):
        for key, roles in getattr(settings, name, {}).items():
            for role in sorted(set(roles) - set(ROLES)):
                problems.append(
                    Error(
                        f"{name} maps {key!r} to {role!r}, which is not a role",
                        hint=f"Roles: {', '.join(ROLES)}.",
                        id="sso.E001",
                    )
                )
    if settings.DEPLOYDESK_OIDC_ENABLED and not settings.DEPLOYDESK_OIDC_ISSUER:
        missing = [
            n for n in ("OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT") if not getattr(settings, n, "")
        ]
        if missing:
            problems.append(
                Error(
                    "single sign-on has a client id but neither an issuer nor its endpoints",
                    hint="Set DEPLOYDESK_OIDC_ISSUER (endpoints are then discovered) or the endpoints one by one.",
                    id="sso.E002",
                )
            )
    if not settings.DEPLOYDESK_LOCAL_LOGIN and not settings.DEPLOYDESK_BREAK_GLASS_USERNAME:
        problems.append(
            Warning(
                "local password sign-in is off and no break-glass account is named",
                hint="Set DEPLOYDESK_BREAK_GLASS_USERNAME so an administrator can sign in when the provider is down.",
                id="sso.W001",
            )
        )
    return problems
