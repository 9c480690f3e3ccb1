"""The "next actions" on the home page: each app contributes the work waiting for the user."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse

from apps.core.registry import app_modules


@dataclass
class NextAction:
    title: str
    url: str
    count: int | None = None
    detail: str = ""
    items: list = field(default_factory=list)


# Providers take the user and return NextAction rows.
PROVIDERS: list[Callable] = []


def _account_actions(user) -> list[NextAction]:
    actions = []
    if not user.groups.exists():
        actions.append(
            NextAction("Ask an administrator for a role", reverse("accounts:profile"), detail="You hold no role yet.")
        )
    return actions


PROVIDERS.append(_account_actions)


def next_actions_for(user) -> list[NextAction]:
    """The account's own actions, then each domain app's `home.next_actions(user)`."""
    actions: list[NextAction] = []
    for provider in PROVIDERS + [m.next_actions for m in app_modules("home")]:
        actions.extend(provider(user))
    return actions


def dashboard_for(user):
    """The dashboard panels (KPI tiles, today's and this week's deployments) from `apps.reports.selectors.dashboard`."""
    modules = app_modules("selectors.dashboard")
    return modules[0].dashboard_for(user) if modules else None
