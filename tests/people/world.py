"""The people part of the shared test world: a skill of the practitioner's (w.skill), and a delegation from the
manager to the practitioner for production that begins tomorrow (w.delegation: not yet in force, so it changes
no one's capacities in the world)."""

import datetime as dt

from django.utils import timezone

from tests.factories.people import DelegationFactory, SkillFactory


def extend(w) -> None:
    w.skill = SkillFactory(user=w.users["practitioner"], competency="T", environment_kind="production")
    w.delegation = DelegationFactory(
        manager=w.users["manager"],
        deputy=w.users["practitioner"],
        environments=[w.env_prod],
        starts_at=timezone.now() + dt.timedelta(days=1),
        ends_at=timezone.now() + dt.timedelta(days=8),
    )
