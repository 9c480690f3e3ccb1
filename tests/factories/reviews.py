"""Factories for model reviews and improvement initiatives (rows written directly; services for later states)."""

import datetime as dt

import factory
from django.utils import timezone

from apps.reviews.models import ImprovementInitiative, InitiativeStatus, ModelReview, ReviewKind, ReviewStatus
from tests.factories.accounts import UserFactory
from tests.factories.deployment_models import DeploymentModelFactory


class ModelReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelReview
        skip_postgeneration_save = True

    model = factory.SubFactory(DeploymentModelFactory, active=True)
    kind = ReviewKind.AD_HOC
    status = ReviewStatus.PLANNED
    period_start = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=90))
    period_end = factory.LazyFunction(lambda: timezone.localdate())
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=14))
    facilitator = factory.SubFactory(UserFactory, roles=["manager"])

    class Params:
        scheduled = factory.Trait(kind=ReviewKind.SCHEDULED)
        failure = factory.Trait(kind=ReviewKind.FAILURE)
        in_progress = factory.Trait(status=ReviewStatus.IN_PROGRESS, started_at=factory.LazyFunction(timezone.now))
        overdue = factory.Trait(due_date=factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=3)))

    @factory.post_generation
    def participants(self, create, extracted, **kwargs):
        if create and extracted:
            self.participants.set(extracted)


class ImprovementInitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImprovementInitiative

    review = factory.SubFactory(ModelReviewFactory, in_progress=True)
    title = factory.Sequence(lambda n: f"Improve step {n}")
    status = InitiativeStatus.PROPOSED
    change_request_ref = factory.Sequence(lambda n: f"CHG-{1000 + n}")
