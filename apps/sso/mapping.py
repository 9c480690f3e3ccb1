"""Parses the role maps of the environment ("value=Role name" pairs); plain Python, so settings can use it."""


def parse_role_map(text: str, *, separator: str = ",") -> dict[str, frozenset[str]]:
    """`deploy-managers=Deployment manager,auditors=Auditor` → {"deploy-managers": {"Deployment manager"}, ...}.

    The last `=` of a pair splits it, so keys may hold `=` (LDAP group DNs, which also hold commas: their map is
    separated by `;`). A key named twice grants every role it names."""
    mapping: dict[str, set[str]] = {}
    for pair in text.replace("\n", separator).split(separator):
        pair = pair.strip()
        if not pair:
            continue
        key, sep, role = pair.rpartition("=")
        if not sep or not key.strip() or not role.strip():
            raise ValueError(f"role map entry {pair!r} is not of the form value=Role name")
        mapping.setdefault(key.strip(), set()).add(role.strip())
    return {key: frozenset(roles) for key, roles in mapping.items()}


def roles_for(values, role_map: dict[str, frozenset[str]], *, casefold: bool = False) -> set[str]:
    """The roles the given claim values or group DNs map to (unknown values map to nothing)."""
    if isinstance(values, str):
        values = [values]
    if casefold:
        role_map = {key.casefold(): roles for key, roles in role_map.items()}
    found: set[str] = set()
    for value in values or []:
        if not isinstance(value, str):
            continue
        found |= role_map.get(value.casefold() if casefold else value, frozenset())
    return found
