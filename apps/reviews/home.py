"""The reviews' part of the home page: reviews waiting for the user, and overdue ones for managers."""

from django.urls import reverse
from django.utils import timezone

from apps.core.home import NextAction
from apps.core.permissions import user_can
from apps.reviews import selectors


def next_actions(user) -> list[NextAction]:
    if not user_can(user, "reviews.view_modelreview"):
        return []
    actions = []
    today = timezone.localdate()
    waiting = list(selectors.reviews_waiting_for(user=user)[:6])
    if waiting:
        actions.append(
            NextAction(
                "Reviews waiting for you",
                reverse("reviews:review_list") + "?state=open&mine=true",
                count=selectors.reviews_waiting_for(user=user).count(),
                detail="Deployment model reviews you facilitate or take part in.",
                items=[
                    (
                        f"{r.model} — {r.get_kind_display().lower()}, due {r.due_date:%Y-%m-%d}"
                        + (" (overdue)" if r.due_date < today else ""),
                        reverse("reviews:review_detail", args=[r.pk]),
                    )
                    for r in waiting[:5]
                ],
            )
        )
    if user_can(user, "reviews.change_modelreview"):
        overdue = selectors.reviews_overdue(user=user, today=today).count()
        if overdue:
            actions.append(
                NextAction(
                    "Overdue model reviews",
                    reverse("reviews:review_list") + "?state=overdue",
                    count=overdue,
                    detail="Reviews past their due date that are not completed.",
                )
            )
    return actions
