"""Reads used by deployments: freeze conflicts, maintenance cover, clearances, free slots; lists."""

import datetime as dt

import pytest
from guardian.shortcuts import assign_perm

from apps.core.exceptions import ConflictError
from apps.environments import selectors
from apps.environments.models import Recurrence
from tests.factories.accounts import UserFactory
from tests.factories.environments import EnvironmentFactory, FreezeWindowFactory, MaintenanceWindowFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


HOUR = dt.timedelta(hours=1)


def test_freeze_conflicts_include_own_and_all_environment_windows():
    # given a freeze on prod, one on every environment and one on another environment
    prod, other = EnvironmentFactory(production=True), EnvironmentFactory()
    own = FreezeWindowFactory(environment=prod, start=utc(2030, 1, 10), end=utc(2030, 1, 11))
    everywhere = FreezeWindowFactory(environment=None, start=utc(2030, 1, 10, 12), end=utc(2030, 1, 12))
    FreezeWindowFactory(environment=other, start=utc(2030, 1, 10), end=utc(2030, 1, 11))
    # when asked about a deployment on prod over the 10th
    hits = selectors.freeze_conflicts(environment=prod, start=utc(2030, 1, 10, 8), end=utc(2030, 1, 10, 20))
    # then both prod and all-environment freezes are hits, in time order
    assert [(h.window, h.start, h.end) for h in hits] == [
        (own, utc(2030, 1, 10), utc(2030, 1, 11)),
        (everywhere, utc(2030, 1, 10, 12), utc(2030, 1, 12)),
    ]
    assert "every environment" in str(hits[1])


def test_freeze_conflicts_of_recurring_window():
    env = EnvironmentFactory()
    weekends = FreezeWindowFactory(environment=env, weekends=True, start=utc(2030, 1, 1))
    # Friday 11 Jan 2030 17:00-19:00 touches the weekend freeze starting 18:00
    hits = selectors.freeze_conflicts(environment=env, start=utc(2030, 1, 11, 17), end=utc(2030, 1, 11, 19))
    assert [(h.window, h.start, h.end) for h in hits] == [(weekends, utc(2030, 1, 11, 18), utc(2030, 1, 14, 6))]
    assert selectors.freeze_conflicts(environment=env, start=utc(2030, 1, 11, 16), end=utc(2030, 1, 11, 18)) == []


def test_freeze_conflicts_with_bad_period_are_empty():
    env = EnvironmentFactory()
    FreezeWindowFactory(environment=env)
    assert selectors.freeze_conflicts(environment=env, start=utc(2030, 1, 8), end=utc(2030, 1, 7)) == []


def test_maintenance_window_covers_when_not_required():
    env = EnvironmentFactory(requires_maintenance_window=False)
    assert selectors.maintenance_window_covers(environment=env, start=utc(2030, 1, 9, 10), end=utc(2030, 1, 9, 11))


@pytest.mark.parametrize(
    ("start", "end", "covered"),
    [
        (utc(2030, 1, 5, 22), utc(2030, 1, 6, 4), True),  # exactly Saturday 22:00 - Sunday 04:00
        (utc(2030, 1, 5, 23), utc(2030, 1, 6, 1), True),
        (utc(2030, 1, 5, 21), utc(2030, 1, 5, 23), False),  # starts before
        (utc(2030, 1, 6, 3), utc(2030, 1, 6, 5), False),  # ends after
        (utc(2030, 1, 9, 10), utc(2030, 1, 9, 11), False),  # a Wednesday
    ],
)
def test_maintenance_window_covers_when_required(start, end, covered):
    env = EnvironmentFactory(requires_maintenance_window=True)
    MaintenanceWindowFactory(environment=env)
    assert selectors.maintenance_window_covers(environment=env, start=start, end=end) is covered


def test_adjacent_maintenance_windows_cover_together():
    env = EnvironmentFactory(requires_maintenance_window=True)
    MaintenanceWindowFactory(
        environment=env, recurrence=Recurrence.ONE_OFF, start=utc(2030, 1, 9, 8), end=utc(2030, 1, 9, 10)
    )
    MaintenanceWindowFactory(
        environment=env, recurrence=Recurrence.ONE_OFF, start=utc(2030, 1, 9, 10), end=utc(2030, 1, 9, 12)
    )
    assert selectors.maintenance_window_covers(environment=env, start=utc(2030, 1, 9, 9), end=utc(2030, 1, 9, 11))


def test_practitioner_is_cleared_by_object_or_global_permission():
    env = EnvironmentFactory(production=True)
    practitioner, manager = UserFactory(roles=["practitioner"]), UserFactory(roles=["manager"])
    assert selectors.practitioner_is_cleared(user=manager, environment=env)
    assert not selectors.practitioner_is_cleared(user=practitioner, environment=env)
    assign_perm("environments.deploy_to_environment", practitioner, env)
    practitioner = type(practitioner).objects.get(pk=practitioner.pk)
    assert selectors.practitioner_is_cleared(user=practitioner, environment=env)
    assert [u.pk for u in selectors.cleared_practitioners(environment=env)] == [practitioner.pk]
    assert practitioner not in selectors.clearance_candidates(environment=env)


def test_next_free_slot_is_after_when_free():
    env = EnvironmentFactory()
    assert selectors.next_free_slot(environment=env, duration=HOUR, after=utc(2030, 1, 9, 10)) == (
        utc(2030, 1, 9, 10),
        utc(2030, 1, 9, 11),
    )


def test_next_free_slot_skips_freezes_and_busy_periods():
    # given a freeze until 12:00 and a busy period 12:30-14:00
    env = EnvironmentFactory()
    FreezeWindowFactory(environment=env, start=utc(2030, 1, 9, 9), end=utc(2030, 1, 9, 12))
    busy = [(utc(2030, 1, 9, 12, 30), utc(2030, 1, 9, 14))]
    # when a one-hour slot is wanted from 10:00
    slot = selectors.next_free_slot(environment=env, duration=HOUR, after=utc(2030, 1, 9, 10), busy=busy)
    # then the half hour between them is too short, and the slot starts at 14:00
    assert slot == (utc(2030, 1, 9, 14), utc(2030, 1, 9, 15))


def test_next_free_slot_inside_maintenance_window_outside_freeze():
    # given Saturday-night maintenance windows, and a freeze over the first one
    env = EnvironmentFactory(requires_maintenance_window=True)
    MaintenanceWindowFactory(environment=env)
    FreezeWindowFactory(environment=None, start=utc(2030, 1, 5), end=utc(2030, 1, 7))
    # when a two-hour slot is wanted from Wednesday 2 Jan
    slot = selectors.next_free_slot(environment=env, duration=2 * HOUR, after=utc(2030, 1, 2, 9))
    # then it is the next Saturday 22:00
    assert slot == (utc(2030, 1, 12, 22), utc(2030, 1, 13, 0))


def test_next_free_slot_raises_when_nothing_is_free():
    env = EnvironmentFactory(requires_maintenance_window=True)
    with pytest.raises(ConflictError):
        selectors.next_free_slot(environment=env, duration=HOUR, after=utc(2030, 1, 2))


def test_environment_list_filters_and_hides_from_anonymous():
    from django.contrib.auth.models import AnonymousUser

    EnvironmentFactory(kind="production", name="Prod", slug="prod")
    EnvironmentFactory(kind="test", name="Test", slug="test")
    user = UserFactory()
    assert [e.slug for e in selectors.environment_list(user=user, filters={"kind": "production"})] == ["prod"]
    assert selectors.environment_list(user=AnonymousUser()).count() == 0
