"""LDAP sign-in against a real slapd: users created with their mapped roles, wrong passwords refused, roles
re-synced from the directory's groups at every sign-in."""

import ldap
import pytest

from apps.accounts.models import User
from apps.audit.models import AuditEntry
from apps.roles.definitions import AUDITOR, MANAGER
from apps.sso.ldap_settings import ldap_search_settings
from apps.sso.mapping import parse_role_map
from apps.sso.models import ExternalIdentity
from tests.factories.accounts import UserFactory, ensure_roles

pytestmark = pytest.mark.django_db

PEOPLE, GROUPS = "ou=people,dc=example,dc=org", "ou=groups,dc=example,dc=org"
ROLE_MAP = f"cn=deploy-managers,{GROUPS}=Deployment manager; cn=auditors,{GROUPS}=Auditor"


@pytest.fixture
def ldap_login(settings, slapd):
    """Deploydesk configured, as from the environment, for the test directory."""
    ensure_roles()
    settings.AUTH_LDAP_SERVER_URI = slapd.uri
    settings.AUTH_LDAP_BIND_DN = f"uid=service-reader,{PEOPLE}"
    settings.AUTH_LDAP_BIND_PASSWORD = "reader-pw"
    settings.DEPLOYDESK_LDAP_ROLE_MAP = parse_role_map(ROLE_MAP, separator=";")
    for name, value in ldap_search_settings(
        user_base=PEOPLE, user_filter="(uid=%(user)s)", group_base=GROUPS, group_type="groupOfNames"
    ).items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "apps.accounts.backends.RoleModelBackend",
        "apps.sso.ldap.LdapBackend",
        "guardian.backends.ObjectPermissionBackend",
    ]
    return slapd


def _roles(username: str) -> set[str]:
    return set(User.objects.get(username=username).groups.values_list("name", flat=True))


def test_the_first_ldap_sign_in_creates_the_user_with_the_mapped_roles(client, ldap_login):
    # given carol, in the directory's deploy-managers and auditors groups, unknown to Deploydesk
    assert not User.objects.filter(username="carol").exists()
    # when she signs in with her directory password
    response = client.post("/accounts/login/", {"username": "carol", "password": "carol-ldap-pw"})
    # then she is signed in, created from the directory, with exactly the two mapped roles
    assert response.status_code == 302 and response["Location"] == "/"
    carol = User.objects.get(username="carol")
    assert (carol.email, carol.first_name, carol.last_name) == ("carol@example.org", "Carol", "Lee")
    assert not carol.has_usable_password()
    assert _roles("carol") == {MANAGER, AUDITOR}
    assert carol.has_perm("deployments.approve_deployment")
    identity = ExternalIdentity.objects.get(user=carol)
    assert (identity.kind, identity.issuer, identity.subject) == ("ldap", ldap_login.uri, f"uid=carol,{PEOPLE}")
    assert client.get("/accounts/profile/").status_code == 200
    # and the creation and the roles given are in the audit trail
    entries = AuditEntry.objects.filter(object_type="accounts.user", object_id=str(carol.pk)).order_by("id")
    assert [e.action for e in entries] == ["created", "roles_synced"]
    assert entries[1].changes["roles"] == [[], [AUDITOR, MANAGER]]
    assert entries[1].changes["source"] == f"ldap:{ldap_login.uri}"
    assert entries[1].channel == "web" and entries[1].actor_id == carol.pk


def test_a_wrong_ldap_password_is_refused_and_creates_nobody(client, ldap_login):
    # given dave, in the directory
    # when he signs in with a wrong password
    response = client.post("/accounts/login/", {"username": "dave", "password": "not-his-password"})
    # then the form says no, and no account was made
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert not User.objects.filter(username="dave").exists()
    assert client.get("/accounts/profile/").status_code == 302


def test_a_group_change_in_the_directory_resyncs_the_roles_at_the_next_sign_in(client, ldap_login):
    # given carol signed in once as deployment manager and auditor
    client.post("/accounts/login/", {"username": "carol", "password": "carol-ldap-pw"})
    assert _roles("carol") == {MANAGER, AUDITOR}
    client.post("/accounts/logout/")
    # when the directory removes her from deploy-managers, and she signs in again
    ldap_login.modify(
        f"cn=deploy-managers,{GROUPS}",
        [(ldap.MOD_DELETE, "member", [f"uid=carol,{PEOPLE}".encode()])],
    )
    try:
        response = client.post("/accounts/login/", {"username": "carol", "password": "carol-ldap-pw"})
    finally:
        ldap_login.modify(f"cn=deploy-managers,{GROUPS}", [(ldap.MOD_ADD, "member", [f"uid=carol,{PEOPLE}".encode()])])
    # then only the auditor role is left, and the change is audited
    assert response.status_code == 302
    assert _roles("carol") == {AUDITOR}
    last = AuditEntry.objects.filter(action="roles_synced").order_by("-id").first()
    assert last.changes["roles"] == [[AUDITOR, MANAGER], [AUDITOR]]


def test_an_unlinked_local_account_with_the_same_name_is_not_taken_over(client, ldap_login):
    # given a local account named dave, with its own password
    local = UserFactory(username="dave", password="local-pw-123")
    # when dave signs in with the directory's password
    response = client.post("/accounts/login/", {"username": "dave", "password": "dave-ldap-pw"})
    # then he is refused, and the local account is unchanged and unlinked
    assert response.status_code == 200
    assert not ExternalIdentity.objects.filter(user=local).exists()
    assert _roles("dave") == set()


def test_ldap_sign_in_still_works_when_local_passwords_are_off(client, ldap_login, settings):
    # given local passwords switched off
    settings.DEPLOYDESK_LOCAL_LOGIN = False
    UserFactory(username="maria", password="local-pw-123")
    # when a local user and a directory user sign in
    local = client.post("/accounts/login/", {"username": "maria", "password": "local-pw-123"})
    directory = client.post("/accounts/login/", {"username": "carol", "password": "carol-ldap-pw"})
    # then only the directory user gets in
    assert local.status_code == 200
    assert directory.status_code == 302
