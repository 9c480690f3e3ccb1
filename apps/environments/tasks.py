"""Background work of environments (django-q2): remind the holders of expiring clearances and their granters."""

from apps.environments.services import clearance_reminders_send


def remind_expiring_clearances() -> int:
    """Daily: e-mail each clearance's holder and granting manager once per expiry, 14 days ahead."""
    return clearance_reminders_send()
