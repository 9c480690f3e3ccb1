"""`{% role_profiles user as roles %}`: the profile and home pages show a user's roles without their views (in
lower apps) reading this app."""

from django import template

from apps.roles.selectors import role_profile_list

register = template.Library()


@register.simple_tag
def role_profiles(user):
    return role_profile_list(user=user)
