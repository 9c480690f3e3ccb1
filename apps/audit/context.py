"""Who acts and through which channel: the context a service holds and hands to the audit chain."""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

WEB, API, ADMIN, SYSTEM = "web", "api", "admin", "system"
CHANNELS = [(WEB, "Web"), (API, "API"), (ADMIN, "Admin"), (SYSTEM, "System")]


@dataclass(frozen=True)
class AuditContext:
    """Who acts and through which channel; the token name when a pipeline acts through the API."""

    actor: object
    channel: str = WEB
    token_name: str = ""

    @classmethod
    def from_request(cls, request, channel: str = WEB) -> "AuditContext":
        token = getattr(request, "auth", None)
        return cls(actor=request.user, channel=channel, token_name=getattr(token, "name", "") or "")


SYSTEM_CONTEXT = AuditContext(actor=None, channel=SYSTEM)

_current: ContextVar[AuditContext | None] = ContextVar("audit_context", default=None)


def current_context() -> AuditContext:
    """The context opened by the innermost `audit_context()` block; the system's outside any."""
    return _current.get() or SYSTEM_CONTEXT


def context_open(context: AuditContext):
    """Make `context` the current one until `context_close(token)` (for a middleware; else use audit_context)."""
    return _current.set(context)


def context_close(token) -> None:
    _current.reset(token)


@contextmanager
def audit_context(context: AuditContext) -> Iterator[AuditContext]:
    """Entries written inside the block (history records included) carry this actor and channel."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def audited(service: Callable) -> Callable:
    """For a service whose writes enter the chain through their history records: the service is called with its
    `actor` (keyword) and a `channel` (keyword, default web; the API passes `api`, the admin `admin`, the worker
    `system`), and every record it writes is entered with that actor and channel — the service's context, opened
    by the service itself rather than guessed from the request."""

    @functools.wraps(service)
    def with_context(*args, channel: str = WEB, **kwargs):
        with audit_context(AuditContext(actor=kwargs.get("actor"), channel=channel)):
            return service(*args, **kwargs)

    return with_context
