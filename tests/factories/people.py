"""Factories for skills and delegations of approval."""

import datetime as dt

import factory
from django.utils import timezone

from apps.people.models import Delegation, Skill
from tests.factories.accounts import UserFactory


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill

    user = factory.SubFactory(UserFactory, roles=["practitioner"])
    competency = "T"
    environment_kind = ""
    component_type = ""
    level = 2


class DelegationFactory(factory.django.DjangoModelFactory):
    """An active delegation (begun an hour ago, for a week); give `environments` and/or `services` as lists."""

    class Meta:
        model = Delegation
        skip_postgeneration_save = True

    manager = factory.SubFactory(UserFactory, roles=["manager"])
    deputy = factory.SubFactory(UserFactory, roles=["practitioner"])
    starts_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))
    reason = "Holiday cover"

    @factory.post_generation
    def environments(self, create, extracted, **kwargs):
        if create and extracted:
            self.environments.set(extracted)

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.set(extracted)
