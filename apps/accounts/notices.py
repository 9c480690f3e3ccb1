"""The kinds of e-mail notice Deploydesk sends, which are mandatory, and who has turned the others off.

Every sender asks `notice_recipients` (addresses) or `notice_users` (users) before it sends, so a person's choice
on their profile holds for every e-mail of that kind, including those sent to a contact list their address is on."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.accounts.models import NotificationPreference, User
from apps.audit.chain import audit_append
from apps.audit.context import WEB


@dataclass(frozen=True)
class NoticeKind:
    key: str
    label: str
    mandatory: bool = False


NOTICE_KINDS: dict[str, NoticeKind] = {
    k.key: k
    for k in [
        NoticeKind("deployment_update", "Changes to deployments you take part in (transitions, comments, edits)"),
        NoticeKind("deployment_planned", "Deployments of your services planned and approved"),
        NoticeKind("deployment_started", "Deployments of your services started"),
        NoticeKind("deployment_finished", "Deployments of your services completed, failed or rolled back"),
        NoticeKind("deployment_reminder", "Reminders of the deployments you are assigned to"),
        NoticeKind("feedback_request", "Requests to rate a completed deployment"),
        NoticeKind("alignment_rating", "Requests to rate how well a deployment suited you"),
        NoticeKind("model_announcement", "Deployment models your services use activated or retired"),
        NoticeKind("approval_needed", "Approvals needed from you", mandatory=True),
        NoticeKind("clearance_expiring", "Your environment clearance expiring", mandatory=True),
        NoticeKind("handover", "Handover of a deployment to the service desk", mandatory=True),
    ]
}
OPTIONAL = [k for k, v in NOTICE_KINDS.items() if not v.mandatory]


def _kind(kind: str) -> NoticeKind:
    if kind not in NOTICE_KINDS:
        raise ValueError(f"Unknown notice kind {kind!r}.")  # a programming error, never user input
    return NOTICE_KINDS[kind]


def _opted_out(kind: str) -> set[str]:
    """The (lower-cased) addresses of the active people who turned `kind` off: one query."""
    rows = NotificationPreference.objects.filter(kind=kind, email=False, user__is_active=True)
    return {e.lower() for e in rows.values_list("user__email", flat=True) if e}


def notice_recipients(*, kind: str, emails: Iterable[str]) -> list[str]:
    """`emails` without blanks and repeats (case-blind, first spelling kept), less those of people who turned a
    non-mandatory `kind` off."""
    out = set() if _kind(kind).mandatory else _opted_out(kind)
    seen, kept = set(), []
    for email in emails:
        low = (email or "").strip().lower()
        if low and low not in seen and low not in out:
            seen.add(low)
            kept.append(email.strip())
    return kept


def notice_users(*, kind: str, users: Iterable[User]) -> list[User]:
    """The active users with an address among `users` who want `kind` (each once)."""
    out = set() if _kind(kind).mandatory else _opted_out(kind)
    seen, kept = set(), []
    for user in users:
        if user.is_active and user.email and user.pk not in seen and user.email.lower() not in out:
            seen.add(user.pk)
            kept.append(user)
    return kept


def notification_preferences(*, user: User) -> list[dict]:
    """Each kind with the user's choice: key, label, mandatory, email (on unless turned off)."""
    stored = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    return [
        {"key": k.key, "label": k.label, "mandatory": k.mandatory, "email": k.mandatory or stored.get(k.key, True)}
        for k in NOTICE_KINDS.values()
    ]


@transaction.atomic
def notification_preferences_set(*, user: User, actor: User, choices: dict[str, bool], channel: str = WEB) -> dict:
    """Set which optional notices `user` receives by e-mail (their own choice only). Turning a mandatory kind off is
    refused naming it; unknown kinds are refused. Audited with what changed; returns the changes."""
    if actor.pk != user.pk:
        raise PermissionDenied("Each person chooses their own notifications.")
    unknown = sorted(set(choices) - set(NOTICE_KINDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "No such notice."))
    mandatory = sorted(k for k, on in choices.items() if NOTICE_KINDS[k].mandatory and not on)
    if mandatory:
        raise ValidationError(dict.fromkeys(mandatory, "This notice is mandatory and cannot be turned off."))
    before = {p["key"]: p["email"] for p in notification_preferences(user=user)}
    changes = {}
    for kind, on in choices.items():
        if NOTICE_KINDS[kind].mandatory or before[kind] == bool(on):
            continue
        NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"email": bool(on)})
        changes[kind] = [before[kind], bool(on)]
    if changes:
        audit_append(
            actor=actor,
            channel=channel,
            action="notifications",
            object_type="accounts.user",
            object_id=user.pk,
            object_repr=user.username,
            changes=changes,
        )
    return changes
