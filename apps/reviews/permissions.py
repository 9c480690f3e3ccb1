"""Who may change an improvement initiative: the one rule the service enforces and the pages' Edit links show."""

from apps.core.permissions import user_can
from apps.reviews.models import ImprovementInitiative

CHANGE_INITIATIVE = "reviews.change_improvementinitiative"
VIEW_INITIATIVE = "reviews.view_improvementinitiative"
INITIATIVE_REFUSAL = "Only deployment managers and the initiative's owner may change it."


def initiative_may_change(*, initiative: ImprovementInitiative, user) -> bool:
    """Deployment managers change any initiative; its owner, while they still take part in reviews, updates it."""
    if user_can(user, CHANGE_INITIATIVE):
        return True
    return initiative.owner_id is not None and initiative.owner_id == user.pk and user_can(user, VIEW_INITIATIVE)


def initiative_may_reassign(*, user) -> bool:
    """Only deployment managers hand an initiative to someone else."""
    return user_can(user, CHANGE_INITIATIVE)
