"""The only definition of a finding's statuses and of who may move it where (auditors raise, and change nothing).

open → accepted (the owner takes it on) → remediated (the owner fixed it) → closed (a manager confirms);
a manager may close at any time (e.g. a finding withdrawn) and reopen what was accepted, remediated or closed.
The owner does not close their own finding: who remedies does not also sign the remedy off. An auditor (without the
manager's role) is never the owner: auditors raise findings and change nothing, so they remedy none either."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from apps.core.permissions import user_can
from apps.reports.models import AuditFinding, FindingStatus
from apps.roles.definitions import AUDITOR, MANAGER
from apps.roles.selectors import user_has_role

VIEW = "reports.view_auditfinding"
ADD = "reports.add_auditfinding"
CHANGE = "reports.change_auditfinding"  # deployment managers

OPEN, ACCEPTED, REMEDIATED, CLOSED = (
    FindingStatus.OPEN,
    FindingStatus.ACCEPTED,
    FindingStatus.REMEDIATED,
    FindingStatus.CLOSED,
)


@dataclass(frozen=True)
class Move:
    """Into `target` from any of `sources`; by managers, and by the finding's owner when `owner` is True."""

    target: str
    sources: tuple[str, ...]
    owner: bool


MOVES: dict[str, Move] = {
    m.target: m
    for m in [
        Move(ACCEPTED, (OPEN,), owner=True),
        Move(REMEDIATED, (OPEN, ACCEPTED), owner=True),
        Move(CLOSED, (OPEN, ACCEPTED, REMEDIATED), owner=False),
        Move(OPEN, (ACCEPTED, REMEDIATED, CLOSED), owner=False),
    ]
}


def may_own(user) -> bool:
    """Whether the user may be asked to remedy a finding: an active user who is not an auditor, or who is an auditor
    and a deployment manager too (auditors change nothing, not even a finding they would own)."""
    if not getattr(user, "is_active", False):
        return False
    return user_can(user, CHANGE) or not user_has_role(user, AUDITOR)


def owner_candidates():
    """Who a finding's form offers as its owner: active users holding a role, auditors left out unless they are
    deployment managers too (may_own, as a query; the service still checks the owner may see the subject)."""
    users = get_user_model().objects
    auditors = users.filter(groups__name=AUDITOR).exclude(groups__name=MANAGER).values("pk")
    return users.filter(is_active=True, groups__isnull=False).exclude(pk__in=auditors).distinct().order_by("username")


def _is_owner(user, finding: AuditFinding) -> bool:
    return getattr(user, "pk", None) is not None and user.pk == finding.owner_id and may_own(user)


def may_move(user, finding: AuditFinding, move: Move) -> bool:
    """Managers may make every move; the owner the moves marked `owner` (not an owner who has become an auditor)."""
    if user_can(user, CHANGE):
        return True
    return move.owner and _is_owner(user, finding)


def may_change_status(user, finding: AuditFinding) -> bool:
    """Whether the user may change this finding's status at all (managers and the finding's owner)."""
    return user_can(user, CHANGE) or _is_owner(user, finding)


def available_statuses(*, user, finding: AuditFinding) -> list[tuple[str, str]]:
    """The statuses this user may move the finding into now: the choices of the page's form."""
    return [
        (m.target, FindingStatus(m.target).label)
        for m in MOVES.values()
        if finding.status in m.sources and may_move(user, finding, m)
    ]
