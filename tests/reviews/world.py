"""The reviews' part of the shared test world.

- `w.review`: a planned scheduled review of w.model, facilitated by the manager; the service owner and the
  practitioner take part.
- `w.review_in_progress`: an ad hoc review of w.model in progress, same people.
- `w.initiative`: an initiative of w.review_in_progress owned by the practitioner (so the owner may update it).
"""

import datetime as dt

from django.utils import timezone

from apps.reviews.models import ReviewKind
from apps.reviews.services import initiative_create, review_create, review_start


def extend(w) -> None:
    manager = w.users["manager"]
    people = [w.users["service_owner"], w.users["practitioner"]]
    today = timezone.localdate()
    w.review = review_create(
        actor=manager,
        model=w.model,
        kind=ReviewKind.SCHEDULED,
        period_start=today - dt.timedelta(days=90),
        period_end=today - dt.timedelta(days=1),
        due_date=today + dt.timedelta(days=10),
        facilitator=manager,
        participants=people,
    )
    w.review_in_progress = review_create(
        actor=manager,
        model=w.model,
        kind=ReviewKind.AD_HOC,
        period_start=today - dt.timedelta(days=30),
        period_end=today,
        due_date=today + dt.timedelta(days=5),
        participants=people,
        reason="Asked for by the service owner.",
    )
    w.review_in_progress = review_start(review=w.review_in_progress, actor=manager)
    w.initiative = initiative_create(
        review=w.review_in_progress,
        actor=manager,
        title="Rehearse the rollback before production",
        owner=w.users["practitioner"],
        change_request_ref="CHG-0001",
    )
