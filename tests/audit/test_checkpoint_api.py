"""The `audit-checkpoints` API resource: the fields DESIGN.md §5 lists, newest first, read-only."""

from rest_framework.test import APIClient

from apps.audit.checkpoints import checkpoint_create
from tests.factories.accounts import token_for


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


def test_auditors_read_the_checkpoints_newest_first_with_the_listed_fields(world):
    # given two checkpoints of the world's chain
    first = checkpoint_create(ship=False)
    second = checkpoint_create(ship=False)
    # when an auditor lists them
    response = _client(world.users["auditor"]).get("/api/v1/audit-checkpoints/")
    # then they get exactly the listed fields, newest first
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": c.pk,
            "at": c.at.isoformat().replace("+00:00", "Z"),
            "last_entry": c.last_entry,
            "entry_count": c.entry_count,
            "head_hash": c.head_hash,
            "signature": c.signature,
            "key_id": c.key_id,
        }
        for c in (second, first)
    ]


def test_nobody_writes_a_checkpoint_through_the_api(world):
    # given a checkpoint
    checkpoint = checkpoint_create(ship=False)
    client = _client(world.users["manager"])
    # when a manager tries to create, change or delete one
    answers = [
        client.post("/api/v1/audit-checkpoints/", {"head_hash": "0" * 64}, format="json").status_code,
        client.patch(f"/api/v1/audit-checkpoints/{checkpoint.pk}/", {"entry_count": 1}, format="json").status_code,
        client.delete(f"/api/v1/audit-checkpoints/{checkpoint.pk}/").status_code,
    ]
    # then each is refused and the checkpoint is unchanged
    assert answers == [405, 405, 405]
    before = checkpoint.signed_dict()
    checkpoint.refresh_from_db()
    assert checkpoint.signed_dict() == before
