"""One row of the home page's "next actions": each app's `home.next_actions(user)` returns these."""

from dataclasses import dataclass, field


@dataclass
class NextAction:
    title: str
    url: str
    count: int | None = None
    detail: str = ""
    items: list = field(default_factory=list)
