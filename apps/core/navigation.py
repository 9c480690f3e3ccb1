"""The navigation bar: each entry says which permission or role shows it, so each role sees what it may use."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from apps.core.permissions import user_can


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    perm: str | None = None  # a global permission; None = every signed-in user
    staff_only: bool = False

    def visible_to(self, user) -> bool:
        if self.staff_only:
            return user.is_staff
        return self.perm is None or user_can(user, self.perm)


NAV_ITEMS: list[NavItem] = [
    NavItem("Home", "core:home"),
    NavItem("Deployments", "deployments:deployment_list"),
    NavItem("Calendar", "reports:calendar"),
    NavItem("What is where", "reports:matrix"),
    NavItem("Environments", "environments:environment_list"),
    NavItem("Services", "catalog:service_list"),
    NavItem("Models", "deployment_models:model_list"),
    NavItem("Reviews", "reviews:review_list"),
    NavItem("KPIs", "reports:kpis", perm="reports.view_kpis"),
    NavItem("Audit", "audit:auditentry_list", perm="audit.view_audit"),
    NavItem("Findings", "reports:finding_list", perm="reports.view_auditfinding"),
    NavItem("Webhooks", "integrations:webhook_list", perm="integrations.view_webhooksubscription"),
    NavItem("API", "api-docs"),
    NavItem("Admin", "admin:index", staff_only=True),
]


def nav_for(user) -> list[dict]:
    items = []
    for item in NAV_ITEMS:
        if not item.visible_to(user):
            continue
        try:
            items.append({"label": item.label, "url": reverse(item.url_name)})
        except NoReverseMatch:
            continue
    return items
