"""Property-based tests: whatever goes into the services that move deployments, the answer is a typed refusal
or a whole record — never an unexpected exception, never a half-written row."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.core.exceptions import ConflictError
from apps.deployments import workflow
from apps.deployments.models import Deployment, DeploymentEvent
from apps.deployments.services import Context, check_record, deployment_create, deployment_transition, deployment_update
from tests.factories.deployments import soon

pytestmark = pytest.mark.django_db

TYPED = (ValidationError, PermissionDenied, ConflictError)
texts = st.text(max_size=400)
moments = st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC))
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(
    title=texts,
    action=st.one_of(st.sampled_from(["deploy", "remove"]), texts),
    trigger=st.one_of(st.sampled_from(["release", "requirement"]), texts),
    start=moments,
    minutes=st.integers(min_value=-10_000, max_value=10_000_000),
    change_ref=texts,
)
def test_create_never_half_writes(world, title, action, trigger, start, minutes, change_ref):
    before = (Deployment.objects.count(), DeploymentEvent.objects.count())
    data = {
        "title": title,
        "action": action,
        "trigger": trigger,
        "service": world.service,
        "environment": world.env_test,
        "component_versions": [world.version_1],
        "planned_start": start,
        "planned_end": start + dt.timedelta(minutes=minutes) if -10_000 < minutes < 10_000_000 else None,
        "change_ref": change_ref,
    }
    try:
        d = deployment_create(ctx=Context(actor=world.users["manager"]), data=data)
    except TYPED:
        assert (Deployment.objects.count(), DeploymentEvent.objects.count()) == before
    else:
        assert d.reference and d.events.count() == 1 and d.component_versions.count() == 1


@SETTINGS
@given(
    transition=st.one_of(st.sampled_from(list(workflow.TRANSITIONS)), texts),
    comment=texts,
    override=texts,
    version=st.one_of(st.none(), st.integers(min_value=-5, max_value=10**12)),
)
def test_transitions_refuse_cleanly(world, transition, comment, override, version):
    d = world.deployment
    d.refresh_from_db()
    before = (d.status, d.version, d.events.count(), d.approvals.count())
    try:
        deployment_transition(
            ctx=Context(actor=world.users["manager"]),
            deployment=d,
            transition=transition,
            comment=comment,
            override_reason=override,
            expected_version=version,
        )
    except TYPED:
        d.refresh_from_db()
        assert (d.status, d.version, d.events.count(), d.approvals.count()) == before
    else:
        d.refresh_from_db()
        assert d.version == before[1] + 1 and d.events.count() > before[2]
        # put it back for the next example
        Deployment.objects.filter(pk=d.pk).update(status=before[0], version=before[1])


@SETTINGS
@given(title=texts, start=moments, hours=st.integers(min_value=-100, max_value=10**6), version=st.integers(-3, 10**9))
def test_updates_refuse_cleanly(world, title, start, hours, version):
    d = world.draft
    d.refresh_from_db()
    before = (d.title, d.planned_start, d.version, d.events.count())
    end = start + dt.timedelta(hours=hours) if hours < 10**5 else None
    try:
        deployment_update(
            ctx=Context(actor=world.users["manager"]),
            deployment=d,
            data={"title": title, "planned_start": start, "planned_end": end},
            expected_version=version,
        )
    except TYPED:
        d.refresh_from_db()
        assert (d.title, d.planned_start, d.version, d.events.count()) == before
    else:
        Deployment.objects.filter(pk=d.pk).update(title=before[0], planned_start=before[1], version=before[2])


@SETTINGS
@given(result=texts, evidence=texts, observed=texts)
def test_check_recording_refuses_cleanly(world, result, evidence, observed):
    d = world.deployment
    d.refresh_from_db()
    if d.status == "approved":
        d = deployment_transition(ctx=Context(actor=world.users["manager"]), deployment=d, transition="start")
    check = d.checks.get(kind="component")
    check.refresh_from_db()
    before = (check.result, check.evidence, check.recorded_at)
    try:
        check_record(
            ctx=Context(actor=world.users["manager"]),
            check=check,
            result=result,
            evidence=evidence,
            observed_checksum=observed,
        )
    except TYPED:
        check.refresh_from_db()
        assert (check.result, check.evidence, check.recorded_at) == before


def test_far_future_windows_are_accepted_as_plans(world):
    d = deployment_create(
        ctx=Context(actor=world.users["manager"]),
        data={
            "title": "Far",
            "service": world.service,
            "environment": world.env_test,
            "planned_start": soon(3650),
            "planned_end": soon(3650) + dt.timedelta(hours=1),
        },
    )
    assert d.status == "draft"


@pytest.mark.parametrize("field", ["title", "change_ref"])
def test_a_null_character_is_refused_and_nothing_written(world, field):
    # PostgreSQL stores no NUL in text; the forms and the API refuse it, and so does the service every channel calls
    before = (Deployment.objects.count(), DeploymentEvent.objects.count())
    data = {
        "title": "Release",
        "service": world.service,
        "environment": world.env_test,
        "component_versions": [world.version_1],
        "planned_start": dt.datetime(2030, 1, 7, 10, tzinfo=dt.UTC),
        "planned_end": dt.datetime(2030, 1, 7, 11, tzinfo=dt.UTC),
        field: "CHG\x00123",
    }
    with pytest.raises(ValidationError) as refused:
        deployment_create(ctx=Context(actor=world.users["manager"]), data=data)
    assert field in refused.value.message_dict
    assert (Deployment.objects.count(), DeploymentEvent.objects.count()) == before
