"""Background work of the deployment process (django-q2): thin wrappers that take ids and call one service, which
queues each e-mail once in the mail outbox. Enqueued by dotted name.

The e-mail tasks still accept the `attempt` that retries scheduled by earlier versions pass them (one-off schedules
may wait in the database across an upgrade); it has no effect: the mail outbox retries a message now."""

from apps.deployments.risk import backtest
from apps.deployments.risk import services as risk_services
from apps.deployments.services import alignment, announcements, communications, notices


def notify_event(event_id: int, attempt: int = 1) -> list[str]:
    """E-mail the stakeholders about one event (sent once; the mail outbox retries while the mail server is down)."""
    return communications.event_notify(event_id=event_id)


def request_feedback(deployment_id: int, attempt: int = 1) -> list[str]:
    """Ask the requester and the service owners to rate a completed deployment (sent once)."""
    return communications.feedback_request(deployment_id=deployment_id)


def remind_upcoming_deployments() -> int:
    """Hourly: remind the practitioners of each approved deployment that starts within the next day, once."""
    return communications.reminders_send()


def notify_groups(event_id: int, attempt: int = 1) -> list[str]:
    """Tell the service desk, consumers, suppliers' contacts and product owners of a status change (once each)."""
    return notices.groups_notify(event_id=event_id)


def send_handover(deployment_id: int, attempt: int = 1) -> list[str]:
    """Send a completed deployment's handover note to its service desk (once)."""
    return notices.handover_send(deployment_id=deployment_id)


def request_alignment(deployment_id: int, attempt: int = 1) -> list[str]:
    """Ask the supplier's and consumers' contacts of a completed deployment for their alignment rating (once)."""
    return alignment.alignment_request(deployment_id=deployment_id)


def announce_model(model_id: int, kind: str) -> list[str]:
    """Tell the owners of the services that use a model that it was activated or retired (once)."""
    return announcements.model_announce(model_id=model_id, kind=kind)


def risk_score(deployment_ids: list[int]) -> int:
    """Score deployments planned in bulk, right after they were written (from the outbox); returns how many."""
    return risk_services.risk_score_ids(deployment_ids)


def risk_refresh() -> dict:
    """Nightly: rescore the open deployments as the records move on (idempotent)."""
    return risk_services.risk_refresh_open()


def risk_backtest() -> int:
    """Nightly: run the risk back-test and keep its result for the KPI page; returns the run's id."""
    return backtest.risk_backtest_record().pk
