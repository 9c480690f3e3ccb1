"""The role maps read from the environment, and the roles a provider's claim values map to."""

import pytest

from apps.sso.mapping import parse_role_map, roles_for


def test_a_claim_map_is_read_from_comma_separated_pairs():
    assert parse_role_map(
        "deploy-managers=Deployment manager, auditors=Auditor,admins=Auditor,admins=Deployment manager"
    ) == {
        "deploy-managers": frozenset({"Deployment manager"}),
        "auditors": frozenset({"Auditor"}),
        "admins": frozenset({"Auditor", "Deployment manager"}),
    }


def test_an_ldap_map_keeps_the_commas_and_equals_signs_of_group_dns():
    text = "cn=deploy,ou=groups,dc=example,dc=org=Deployment manager;\ncn=audit,ou=groups,dc=example,dc=org=Auditor"
    assert parse_role_map(text, separator=";") == {
        "cn=deploy,ou=groups,dc=example,dc=org": frozenset({"Deployment manager"}),
        "cn=audit,ou=groups,dc=example,dc=org": frozenset({"Auditor"}),
    }


@pytest.mark.parametrize("bad", ["deploy-managers", "=Auditor", "auditors=", "a=b,c"])
def test_a_malformed_map_is_an_error_at_start(bad):
    with pytest.raises(ValueError, match="value=Role name"):
        parse_role_map(bad)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["deploy-managers", "other"], {"Deployment manager"}),
        ("auditors", {"Auditor"}),  # Entra ID and others may send a single string
        ([], set()),
        (None, set()),
        ([{"nested": "object"}, 7], set()),  # unexpected claim shapes map to nothing
    ],
)
def test_claim_values_map_to_roles(values, expected):
    role_map = parse_role_map("deploy-managers=Deployment manager,auditors=Auditor")
    assert roles_for(values, role_map) == expected


def test_group_dns_match_without_regard_to_case():
    role_map = parse_role_map("CN=Deploy,OU=Groups,DC=corp=Deployment manager", separator=";")
    assert roles_for(["cn=deploy,ou=groups,dc=corp"], role_map, casefold=True) == {"Deployment manager"}
