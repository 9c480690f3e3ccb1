"""Outbound announcements: a lower app says what happened (after commit); a higher app that carries it out
(signed webhooks) subscribes when it starts. The announcer never imports its listeners, so the layer order holds."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from apps.core.outbox import outbox_enqueue

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Announcement:
    """`event` names what happened (`deployment.approve`, `approval.needed`, `review.due` …); `object_id` is the row
    it is about; `key` identifies this occurrence, so a listener does nothing twice when it is announced twice."""

    event: str
    object_id: int
    key: str = ""
    data: dict = field(default_factory=dict)

    @property
    def occurrence(self) -> str:
        return self.key or f"{self.event}:{self.object_id}"


_subscribers: list[Callable[[Announcement], None]] = []


def subscribe(listener: Callable[[Announcement], None]) -> None:
    """Register a listener once (an app's `ready()` may run more than once in tests)."""
    if listener not in _subscribers:
        _subscribers.append(listener)


def publish(announcement: Announcement) -> None:
    """Hand the announcement to every listener now; a failing listener is logged and never breaks the announcer."""
    for listener in list(_subscribers):
        try:
            listener(announcement)
        except Exception:  # a listener's bug must not undo or break the work that was announced
            logger.exception("Listener %r failed on %s", listener, announcement.occurrence)


def publish_on_commit(event: str, *, object_id: int, key: str = "", data: dict | None = None) -> None:
    """Announce once the current transaction commits (at once outside one); nothing is announced on rollback. The
    announcement is recorded in the outbox with the transaction and heard by the listeners in the worker, so a
    process that dies after the commit loses nothing."""
    announcement = Announcement(event=event, object_id=object_id, key=key, data=data or {})
    outbox_enqueue(PUBLISH_RECORDED, event, object_id, key, data or {}, key=announcement.occurrence)


PUBLISH_RECORDED = "apps.core.outbound.publish_recorded"


def publish_recorded(event: str, object_id: int, key: str = "", data: dict | None = None) -> None:
    """The outbox's call (in the worker): every listener hears the announcement; if one fails, the others have still
    heard it and the error is raised, so the outbox keeps the call and hands it out again (listeners do nothing
    twice)."""
    announcement = Announcement(event=event, object_id=object_id, key=key, data=data or {})
    failed = []
    for listener in list(_subscribers):
        try:
            listener(announcement)
        except Exception as exc:  # the other listeners must still hear it
            logger.exception("Listener %r failed on %s", listener, announcement.occurrence)
            failed.append(exc)
    if failed:
        raise failed[0]
