"""Review and initiative services: happy paths, refused transitions, missing permissions (nothing changed)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.core.exceptions import ConflictError
from apps.deployment_models.models import DeploymentModel, ModelStatus
from apps.deployments.workflow import Status
from apps.reviews import services
from apps.reviews.models import ImprovementInitiative, ModelReview, ReviewStatus
from tests.factories.accounts import UserFactory
from tests.factories.deployment_models import DeploymentModelFactory, ModelStageFactory
from tests.factories.reviews import ImprovementInitiativeFactory, ModelReviewFactory
from tests.reviews.helpers import deployed

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(roles=["manager"])


def _plan(**extra):
    today = timezone.localdate()
    return {
        "period_start": today - dt.timedelta(days=30),
        "period_end": today,
        "due_date": today + dt.timedelta(days=7),
        **extra,
    }


def _snapshot(review):
    review.refresh_from_db()
    return (review.status, review.findings, review.decision, review.analysis, review.new_model_version_id)


# --- create ---------------------------------------------------------------------------------------------------


def test_manager_plans_a_review_and_is_its_facilitator(manager):
    model = DeploymentModelFactory(active=True)
    owner = UserFactory(roles=["service_owner"])
    review = services.review_create(actor=manager, model=model, participants=[owner], **_plan())
    assert (review.status, review.kind, review.facilitator) == ("planned", "ad_hoc", manager)
    assert list(review.participants.all()) == [owner]


@pytest.mark.parametrize("role", ["practitioner", "service_owner", "product_owner", "auditor", None])
def test_only_managers_plan_reviews(role):
    user = UserFactory(roles=[role] if role else [])
    with pytest.raises(PermissionDenied):
        services.review_create(actor=user, model=DeploymentModelFactory(active=True), **_plan())
    assert ModelReview.objects.count() == 0


def test_plan_refuses_drafts_bad_periods_non_manager_facilitators_and_duplicates(manager):
    with pytest.raises(ValidationError, match="only active or pilot"):
        services.review_create(actor=manager, model=DeploymentModelFactory(), **_plan())
    model = DeploymentModelFactory(active=True)
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        services.review_create(actor=manager, model=model, **_plan(period_end=today - dt.timedelta(days=90)))
    with pytest.raises(ValidationError) as exc:
        services.review_create(actor=manager, model=model, facilitator=UserFactory(roles=["auditor"]), **_plan())
    assert "facilitator" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.review_create(actor=manager, model=model, participants=[UserFactory()], **_plan())
    assert "participants" in exc.value.message_dict
    services.review_create(actor=manager, model=model, kind="scheduled", **_plan())
    with pytest.raises(ConflictError):
        services.review_create(actor=manager, model=model, kind="scheduled", **_plan())
    services.review_create(actor=manager, model=model, kind="failure", **_plan())
    with pytest.raises(ConflictError):
        services.review_create(actor=manager, model=model, kind="failure", **_plan())
    assert ModelReview.objects.count() == 2


# --- start, record, notes -------------------------------------------------------------------------------------


def test_start_computes_and_stores_the_analysis(manager):
    review = ModelReviewFactory(facilitator=manager)
    deployed(review.model, Status.FAILED)
    deployed(review.model)
    review = services.review_start(review=review, actor=manager)
    assert review.status == ReviewStatus.IN_PROGRESS and review.started_at is not None
    review.refresh_from_db()
    assert (review.analysis["deployments"], review.analysis["success_rate"]) == (2, 0.5)


def test_start_twice_is_a_conflict_and_others_may_not_start(manager):
    review = ModelReviewFactory(facilitator=manager)
    with pytest.raises(PermissionDenied):
        services.review_start(review=review, actor=UserFactory(roles=["service_owner"]))
    assert _snapshot(review)[0] == "planned" and review.analysis == {}
    services.review_start(review=review, actor=manager)
    with pytest.raises(ConflictError):
        services.review_start(review=review, actor=manager)


def test_findings_need_a_started_review_and_the_period_freezes_once_started(manager):
    review = ModelReviewFactory(facilitator=manager)
    with pytest.raises(ConflictError, match="Start the review"):
        services.review_update(review=review, actor=manager, findings="Too early")
    services.review_update(review=review, actor=manager, due_date=timezone.localdate() + dt.timedelta(days=30))
    services.review_start(review=review, actor=manager)
    services.review_update(review=review, actor=manager, findings="Slow rollbacks", lessons_learnt="Rehearse")
    with pytest.raises(ConflictError, match="period"):
        services.review_update(review=review, actor=manager, period_start=timezone.localdate() - dt.timedelta(1))
    with pytest.raises(ValidationError):
        services.review_update(review=review, actor=manager, decision="burn")
    with pytest.raises(ValidationError, match="This field cannot be changed here."):
        services.review_update(review=review, actor=manager, status="completed")
    review.refresh_from_db()
    assert (review.findings, review.lessons_learnt, review.decision) == ("Slow rollbacks", "Rehearse", "")


def test_participants_add_notes_others_may_not(manager):
    participant = UserFactory(roles=["service_owner"], first_name="Sam", last_name="Owner")
    review = ModelReviewFactory(facilitator=manager, in_progress=True, participants=[participant])
    services.review_add_note(review=review, actor=participant, text="Customers noticed the outage.")
    review.refresh_from_db()
    assert "Sam Owner" in review.findings and "Customers noticed the outage." in review.findings
    before = review.findings
    for outsider in (UserFactory(roles=["service_owner"]), UserFactory(roles=["auditor"])):
        with pytest.raises(PermissionDenied):
            services.review_add_note(review=review, actor=outsider, text="Let me in")
    with pytest.raises(ValidationError):
        services.review_add_note(review=review, actor=participant, text="   ")
    review.refresh_from_db()
    assert review.findings == before


# --- complete -------------------------------------------------------------------------------------------------


def test_complete_needs_a_decision_and_findings(manager):
    review = ModelReviewFactory(facilitator=manager, in_progress=True)
    with pytest.raises(ValidationError) as exc:
        services.review_complete(review=review, actor=manager)
    assert set(exc.value.message_dict) == {"decision", "findings"}
    assert _snapshot(review)[0] == ReviewStatus.IN_PROGRESS


def test_complete_with_update_makes_a_draft_new_version_linked_to_the_review(manager):
    model = DeploymentModelFactory(active=True, name="Vendor packages")
    ModelStageFactory(model=model)
    review = ModelReviewFactory(model=model, facilitator=manager, in_progress=True)
    review = services.review_complete(review=review, actor=manager, decision="update", findings="Add a canary.")
    assert (review.status, review.decision) == (ReviewStatus.COMPLETED, "update")
    new = review.new_model_version
    assert (new.name, new.version, new.status, new.previous_version) == ("Vendor packages", 2, "draft", model)
    assert new.stages.count() == 1


def test_complete_with_update_links_a_draft_already_being_written(manager):
    model = DeploymentModelFactory(active=True, name="Hardware")
    pending = DeploymentModelFactory(name="Hardware", version=2, previous_version=model)
    review = ModelReviewFactory(model=model, facilitator=manager, in_progress=True)
    review = services.review_complete(review=review, actor=manager, decision="update", findings="x")
    assert review.new_model_version == pending
    assert DeploymentModel.objects.filter(name="Hardware").count() == 2


def test_complete_with_retire_retires_the_model(manager):
    review = ModelReviewFactory(facilitator=manager, in_progress=True)
    services.review_complete(review=review, actor=manager, decision="retire", findings="Nobody uses it.")
    review.model.refresh_from_db()
    assert review.model.status == ModelStatus.RETIRED


def test_complete_refused_before_start_after_completion_and_to_non_managers(manager):
    planned = ModelReviewFactory(facilitator=manager)
    with pytest.raises(ConflictError):
        services.review_complete(review=planned, actor=manager, decision="keep", findings="x")
    review = ModelReviewFactory(facilitator=manager, in_progress=True)
    with pytest.raises(PermissionDenied):
        services.review_complete(
            review=review, actor=UserFactory(roles=["practitioner"]), decision="retire", findings="x"
        )
    review.model.refresh_from_db()
    assert review.model.status == ModelStatus.ACTIVE and _snapshot(review)[0] == ReviewStatus.IN_PROGRESS
    services.review_complete(review=review, actor=manager, decision="keep", findings="Fine")
    with pytest.raises(ConflictError):
        services.review_complete(review=review, actor=manager, decision="retire", findings="x")
    with pytest.raises(ConflictError):
        services.review_update(review=review, actor=manager, findings="Changed my mind")


# --- initiatives ----------------------------------------------------------------------------------------------


def test_initiatives_are_recorded_on_started_reviews_and_tracked_to_closure(manager):
    owner = UserFactory(roles=["practitioner"])
    with pytest.raises(ConflictError):
        services.initiative_create(review=ModelReviewFactory(), actor=manager, title="Too early")
    review = ModelReviewFactory(facilitator=manager, in_progress=True)
    initiative = services.initiative_create(
        review=review, actor=manager, title=" Automate smoke tests ", owner=owner, change_request_ref="CHG-7"
    )
    assert (initiative.title, initiative.status, initiative.closed_at) == ("Automate smoke tests", "proposed", None)
    initiative = services.initiative_close(initiative=initiative, actor=owner)
    assert initiative.status == "done" and initiative.closed_at is not None
    initiative = services.initiative_update(initiative=initiative, actor=manager, status="in_progress")
    assert initiative.closed_at is None


def test_initiative_permissions_owner_updates_but_does_not_reassign(manager):
    owner = UserFactory(roles=["practitioner"])
    initiative = ImprovementInitiativeFactory(owner=owner)
    with pytest.raises(PermissionDenied):
        services.initiative_create(review=initiative.review, actor=owner, title="Mine")
    with pytest.raises(PermissionDenied):
        services.initiative_update(initiative=initiative, actor=UserFactory(roles=["auditor"]), status="done")
    with pytest.raises(PermissionDenied):
        services.initiative_update(initiative=initiative, actor=owner, owner=UserFactory(roles=["practitioner"]))
    initiative.refresh_from_db()
    assert (initiative.status, initiative.owner) == ("proposed", owner)
    services.initiative_update(initiative=initiative, actor=owner, status="in_progress", change_request_ref="CHG-9")
    with pytest.raises(ValidationError):
        services.initiative_update(initiative=initiative, actor=manager, title="")
    with pytest.raises(ValidationError):
        services.initiative_close(initiative=initiative, actor=manager, status="proposed")
    assert ImprovementInitiative.objects.get(pk=initiative.pk).change_request_ref == "CHG-9"
