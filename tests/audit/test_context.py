"""Services open their own audit context: the actor and channel they were called with reach the chain, on every
channel, without a request to guess from."""

import pytest

from apps.audit.context import ADMIN, API, SYSTEM, audited, current_context
from apps.audit.models import AuditEntry
from apps.deployment_models import services as model_services
from apps.environments import services as environment_services
from tests.factories.accounts import UserFactory


def _last_entry(object_type: str) -> AuditEntry:
    return AuditEntry.objects.filter(object_type=object_type).order_by("-id").first()


def test_a_service_called_outside_any_request_enters_its_actor_and_the_default_web_channel(db):
    # given a manager and no request at all (a shell, a script)
    manager = UserFactory(roles=["manager"])
    # when a catalog-side service writes
    env = environment_services.environment_create(actor=manager, name="Staging 2", kind="staging")
    # then the history record enters the chain with that actor, not an anonymous system entry
    entry = _last_entry("environments.environment")
    assert entry.object_id == str(env.pk)
    assert entry.actor_id == manager.pk
    assert entry.channel == "web"


@pytest.mark.parametrize("channel", [API, ADMIN, SYSTEM])
def test_the_channel_the_caller_names_is_the_channel_entered(db, channel):
    manager = UserFactory(roles=["manager"])
    model = model_services.model_create(actor=manager, name=f"Model via {channel}", channel=channel)
    entry = _last_entry("deployment_models.deploymentmodel")
    assert (entry.object_id, entry.actor_id, entry.channel) == (str(model.pk), manager.pk, channel)


def test_the_api_enters_its_writes_as_api_with_the_token_user(db, api_client):
    # given a manager with a session
    manager = UserFactory(roles=["manager"])
    api_client.force_authenticate(manager)
    # when they create an environment through the API
    response = api_client.post("/api/v1/environments/", {"name": "Perf", "kind": "test"}, format="json")
    assert response.status_code == 201, response.content
    # then the entry says API and names them
    entry = _last_entry("environments.environment")
    assert (entry.object_id, entry.actor_id, entry.channel) == (str(response.json()["id"]), manager.pk, API)


def test_the_context_closes_when_the_service_returns_or_raises():
    seen = []

    @audited
    def service(*, actor, fail=False):
        seen.append(current_context())
        if fail:
            raise ValueError("refused")

    service(actor="someone", channel=API)
    with pytest.raises(ValueError):
        service(actor="someone", channel=ADMIN, fail=True)
    assert [(c.actor, c.channel) for c in seen] == [("someone", API), ("someone", ADMIN)]
    assert current_context().channel == SYSTEM  # nothing left open
