"""The permission-matrix harness: (URL or endpoint, method, role) → expected status, for every role.

Each capability lists its rows in `tests/<app>/matrix.py` as `ROWS`; `tests/test_permission_matrix.py` runs
them all against the shared world, for every role including anonymous, and checks that every URL is covered.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

ROLES = [
    "anonymous",
    "norole",
    "manager",
    "practitioner",
    "service_owner",
    "product_owner",
    "auditor",
    "admin",
    "supplier_contact",
]

LOGIN = 302  # pages send anonymous users to the login form
UNAUTH = 401  # the API answers anonymous clients with 401


@dataclass
class Row:
    """One URL and method, with the status each role must get."""

    url: str | Callable
    expected: dict[str, int]
    method: str = "get"
    data: dict | Callable | None = None
    name: str = ""
    json: bool = False
    covers: list[str] = field(default_factory=list)  # extra URL names this row stands for

    def resolve_url(self, world) -> str:
        return self.url(world) if callable(self.url) else self.url

    def resolve_data(self, world):
        return self.data(world) if callable(self.data) else self.data

    def __str__(self) -> str:
        return self.name or f"{self.method.upper()} {self.url if isinstance(self.url, str) else self.url.__name__}"


def _supplier_contact(expected: dict[str, int], roles: dict[str, int]) -> None:
    """A supplier contact holds no global permission: unless a row names it, it gets what a user without a role gets
    (its scope, the deployments of its supplier, is named in the rows about them)."""
    expected["supplier_contact"] = roles.get("supplier_contact", expected["norole"])


def page(url, *, default: int = 200, anonymous: int = LOGIN, method: str = "get", data=None, name="", **roles) -> Row:
    """A page row: `default` for every signed-in role unless named; anonymous goes to the login form."""
    expected = {role: roles.get(role, default) for role in ROLES}
    expected["anonymous"] = anonymous
    _supplier_contact(expected, roles)
    return Row(url=url, expected=expected, method=method, data=data, name=name)


def api(url, *, default: int = 200, anonymous: int = UNAUTH, method: str = "get", data=None, name="", **roles) -> Row:
    """An API row: JSON bodies; anonymous clients get 401."""
    expected = {role: roles.get(role, default) for role in ROLES}
    expected["anonymous"] = anonymous
    _supplier_contact(expected, roles)
    return Row(url=url, expected=expected, method=method, data=data, name=name, json=True)
