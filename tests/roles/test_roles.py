"""Tests of the role definitions, their group sync and its data migration."""

import pytest
from django.contrib.auth.models import Group, Permission

from apps.roles import definitions as roles
from apps.roles.models import RoleProfile
from apps.roles.services import roles_sync

pytestmark = pytest.mark.django_db


def test_the_roles_exist_after_migrate_with_their_profiles():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLES)
    profiles = dict(RoleProfile.objects.values_list("group__name", "competency_profile"))
    assert profiles == {
        "Deployment manager": "LCA",
        "Deployment practitioner": "TA",
        "Service owner": "CL",
        "Product owner": "MC",
        "Auditor": "AM",
        "Supplier contact": "TC",
    }


def test_the_supplier_contact_role_holds_no_global_permission():
    # its scope is the deployments of its suppliers (Supplier.contact_users), never a global permission
    assert Group.objects.get(name="Supplier contact").permissions.count() == 0


def test_every_listed_permission_exists():
    existing = {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")}
    for name, perms in roles.ROLE_PERMISSIONS.items():
        assert set(perms) <= existing, (name, sorted(set(perms) - existing))


def test_roles_hold_exactly_their_listed_permissions():
    roles_sync()
    for name, perms in roles.ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=name)
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert held == set(perms), name


def test_the_auditor_holds_no_write_permission_but_raising_findings():
    # auditors read everything and change nothing; the one thing they write is their own record: audit findings
    writes = [
        p for p in roles.ROLE_PERMISSIONS[roles.AUDITOR] if p.split(".")[1].startswith(("add_", "change_", "delete_"))
    ]
    assert writes == ["reports.add_auditfinding"]


def test_roles_sync_is_idempotent():
    roles_sync()
    roles_sync()
    assert Group.objects.filter(name__in=roles.ROLES).count() == len(roles.ROLES) == 6
    assert RoleProfile.objects.count() == 6
