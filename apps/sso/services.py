"""Signing in an identity provider's user: find or create the account, keep its roles in step with the provider."""

import logging
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.db import transaction

from apps.accounts.models import User
from apps.audit.chain import atomic_audited, audit_append
from apps.audit.context import WEB, AuditContext
from apps.roles.definitions import ROLES
from apps.sso.models import ExternalIdentity

logger = logging.getLogger(__name__)


class SignInRefused(Exception):
    """The provider vouched for the person, but Deploydesk will not sign them in (the reason is logged)."""


@dataclass(frozen=True)
class ExternalProfile:
    """What an identity provider says about a person at sign-in."""

    kind: str
    issuer: str
    subject: str
    username: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    roles: frozenset[str] | None = None  # None: no role map configured, so roles are managed in Deploydesk
    groups: tuple[str, ...] = field(default=())  # the claim values or group DNs the roles came from (audited)


def _link_or_create(profile: ExternalProfile) -> tuple[ExternalIdentity, bool]:
    identity = (
        ExternalIdentity.objects.select_for_update()
        .select_related("user")
        .filter(kind=profile.kind, issuer=profile.issuer, subject=profile.subject)
        .first()
    )
    if identity is not None:
        return identity, False
    username = (profile.username or "").strip()[:150]
    if not username:
        raise SignInRefused(f"{profile.kind} sign-in of {profile.subject!r}: the provider gave no username")
    if User.objects.filter(username__iexact=username).exists():
        # never adopt an existing account on a name alone: an administrator links it (admin, External identities)
        raise SignInRefused(
            f"{profile.kind} sign-in of {profile.subject!r}: a Deploydesk account named {username!r} exists and "
            "is not linked to this identity"
        )
    user = User(username=username)
    user.set_unusable_password()
    user.save()
    identity = ExternalIdentity.objects.create(
        user=user, kind=profile.kind, issuer=profile.issuer, subject=profile.subject
    )
    return identity, True


def user_roles_sync(
    *, user: User, roles: frozenset[str], source: str, ctx: AuditContext, groups=()
) -> tuple[list[str], list[str]]:
    """Give `user` exactly `roles` among the role groups (other groups are left alone); audit any change with the
    context's actor and channel. Returns (roles before, roles after), sorted."""
    wanted = sorted(name for name in roles if name in ROLES)
    current = sorted(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    if wanted != current:
        user.groups.remove(*Group.objects.filter(name__in=set(current) - set(wanted)))
        user.groups.add(*Group.objects.filter(name__in=set(wanted) - set(current)))
        audit_append(
            actor=ctx.actor,
            channel=ctx.channel,
            action="roles_synced",
            object_type="accounts.user",
            object_id=user.pk,
            object_repr=user.username,
            changes={"roles": [current, wanted], "source": source, "provider_groups": sorted(groups)},
        )
    return current, wanted


@atomic_audited
def external_user_sign_in(*, profile: ExternalProfile) -> User:
    """The account behind `profile`: found through its identity link, or created at the first sign-in (audited);
    its name and e-mail refreshed from the provider, and its role groups synced with the provider's when a role
    map is configured. Raises SignInRefused when an unlinked local account already holds the username."""
    identity, created = _link_or_create(profile)
    user = identity.user
    ctx = AuditContext(actor=user, channel=WEB)  # the person signs themselves in, in the browser
    source = f"{profile.kind}:{profile.issuer}"
    if created:
        audit_append(
            actor=ctx.actor,
            channel=ctx.channel,
            action="created",
            object_type="accounts.user",
            object_id=user.pk,
            object_repr=user.username,
            changes={"source": source, "subject": profile.subject},
        )
    fields = {"email": profile.email, "first_name": profile.first_name, "last_name": profile.last_name}
    changed = [name for name, value in fields.items() if value and getattr(user, name) != value[:150]]
    for name in changed:
        setattr(user, name, fields[name][:150] if name != "email" else fields[name][:254])
    if changed:
        user.save(update_fields=changed)
    if profile.roles is not None:
        _, after = user_roles_sync(user=user, roles=profile.roles, source=source, ctx=ctx, groups=profile.groups)
        identity.roles = after
    identity.save()
    return user


def external_sign_in_or_none(*, profile: ExternalProfile) -> User | None:
    """external_user_sign_in for an authentication backend: a refusal is logged and answers None."""
    try:
        with transaction.atomic():
            return external_user_sign_in(profile=profile)
    except SignInRefused as exc:
        logger.warning("sign-in refused: %s", exc)
        return None
