"""App config for people: the skills a person records and the delegation of approval to a deputy."""

from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "apps.people"
    label = "people"
    verbose_name = "People"
