"""The account's own next action on the home page."""

from django.urls import reverse

from apps.core.home import NextAction


def next_actions(user) -> list[NextAction]:
    if user.groups.exists():
        return []
    return [NextAction("Ask an administrator for a role", reverse("accounts:profile"), detail="You hold no role yet.")]
