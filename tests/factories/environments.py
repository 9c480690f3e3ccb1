"""Factories for environments, their standing checks, and freeze and maintenance windows."""

import datetime as dt

import factory

from apps.environments.models import (
    Environment,
    EnvironmentCheck,
    EnvironmentKind,
    FreezeWindow,
    MaintenanceWindow,
    Recurrence,
)

T0 = dt.datetime(2030, 1, 7, 9, 0, tzinfo=dt.UTC)  # a Monday


class EnvironmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Environment
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Environment {n}")
    slug = factory.Sequence(lambda n: f"environment-{n}")
    kind = EnvironmentKind.TEST
    purpose = "Where changes are tested before they are released."
    order = factory.Sequence(lambda n: n)

    class Params:
        production = factory.Trait(kind=EnvironmentKind.PRODUCTION, allows_parallel_deployments=False)


class EnvironmentCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnvironmentCheck

    environment = factory.SubFactory(EnvironmentFactory)
    description = factory.Sequence(lambda n: f"Standing check {n}")
    order = factory.Sequence(lambda n: n)


class FreezeWindowFactory(factory.django.DjangoModelFactory):
    """A one-off freeze on one environment, two days from T0, unless told otherwise."""

    class Meta:
        model = FreezeWindow

    environment = factory.SubFactory(EnvironmentFactory)
    name = factory.Sequence(lambda n: f"Freeze {n}")
    reason = "Business-critical period."
    recurrence = Recurrence.ONE_OFF
    start = T0
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(days=2))
    time_zone = "UTC"

    class Params:
        weekends = factory.Trait(
            recurrence=Recurrence.WEEKLY,
            end=None,
            weekly_start_day=4,
            start_time=dt.time(18, 0),
            weekly_end_day=0,
            end_time=dt.time(6, 0),
        )


class MaintenanceWindowFactory(factory.django.DjangoModelFactory):
    """A weekly Saturday 22:00 – Sunday 04:00 UTC maintenance window, unless told otherwise."""

    class Meta:
        model = MaintenanceWindow

    environment = factory.SubFactory(EnvironmentFactory)
    name = factory.Sequence(lambda n: f"Maintenance window {n}")
    recurrence = Recurrence.WEEKLY
    start = dt.datetime(2029, 1, 1, tzinfo=dt.UTC)
    end = None
    time_zone = "UTC"
    weekly_start_day = 5
    start_time = dt.time(22, 0)
    weekly_end_day = 6
    end_time = dt.time(4, 0)
