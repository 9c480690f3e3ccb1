"""Template helpers of the review pages: the Edit link of an initiative follows the service's rule."""

from django import template

from apps.reviews.permissions import initiative_may_change

register = template.Library()


@register.filter
def may_change_initiative(initiative, user) -> bool:
    """`{% if initiative|may_change_initiative:user %}`: the rule initiative_update enforces."""
    return initiative_may_change(initiative=initiative, user=user)
