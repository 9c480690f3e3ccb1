"""A person records their own skills on their profile: competencies (L, A, C, M, T), optionally for an environment
kind and/or a component type, with a level; audited, and nobody changes another's."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from apps.audit.models import AuditEntry
from apps.people import services
from apps.people.models import Skill
from tests.factories.accounts import UserFactory
from tests.factories.people import SkillFactory

pytestmark = pytest.mark.django_db


def test_recording_a_skill_and_again_changes_its_level_audited():
    nina = UserFactory(roles=["practitioner"])
    skill = services.skill_record(
        actor=nina, competency="T", environment_kind="production", component_type="software", level=2
    )
    again = services.skill_record(
        actor=nina, competency="T", environment_kind="production", component_type="software", level=4
    )
    assert again.pk == skill.pk and again.level == 4
    assert Skill.objects.filter(user=nina).count() == 1
    entries = AuditEntry.objects.filter(object_type="people.skill", object_id=str(skill.pk))
    assert [e.action for e in entries.order_by("id")] == ["created", "changed"]
    assert entries.first().actor_id == nina.pk


def test_a_bad_competency_or_level_is_refused_and_nothing_written():
    nina = UserFactory()
    with pytest.raises(Exception) as caught:
        services.skill_record(actor=nina, competency="X", level=2)
    assert "competency" in str(caught.value)
    with pytest.raises(Exception):
        services.skill_record(actor=nina, competency="T", level=9)
    assert not Skill.objects.exists()


def test_nobody_removes_another_persons_skill():
    skill = SkillFactory()
    with pytest.raises(PermissionDenied):
        services.skill_remove(actor=UserFactory(roles=["manager"]), skill=skill)
    services.skill_remove(actor=skill.user, skill=skill)
    assert not Skill.objects.exists()


def test_the_profile_links_to_the_skills_page_which_records_and_removes():
    nina = UserFactory(roles=["practitioner"])
    client = Client()
    client.force_login(nina)
    assert 'data-testid="skills-link"' in client.get("/accounts/profile/").content.decode()
    response = client.post(
        "/profile/skills/", {"competency": "T", "environment_kind": "staging", "component_type": "data", "level": "3"}
    )
    assert response.status_code == 302
    skill = Skill.objects.get(user=nina)
    assert (skill.competency, skill.environment_kind, skill.component_type, skill.level) == ("T", "staging", "data", 3)
    page = client.get("/profile/skills/").content.decode()
    assert "Technical expert" in page and "Staging" in page
    assert client.post("/profile/skills/", {"competency": "Z", "level": "3"}).status_code == 400
    other = SkillFactory()
    assert client.post(f"/profile/skills/{other.pk}/remove/").status_code == 404
    assert client.post(f"/profile/skills/{skill.pk}/remove/").status_code == 302
    assert not Skill.objects.filter(user=nina).exists()


def test_the_skills_admin_lists_them():
    SkillFactory(note="Kubernetes")
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert "Technical expert" in client.get("/admin/people/skill/").content.decode()
