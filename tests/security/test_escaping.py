"""XSS sweep: payloads planted in every user-entered text field never come back unescaped on any page that shows
them; every HTML page carries a strict CSP; no template or page has inline script code, event handlers or styles."""

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import reverse

from apps.reports.selectors.kpis import METRICS
from tests.security.conftest import client_for, rolled_back_world
from tests.security.xss_world import ESCAPED, RAW_MARKERS, build_xss_world

TEMPLATES = Path(settings.BASE_DIR) / "templates"

DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}


class _InlineCodeFinder(HTMLParser):
    """Collects inline script code, inline event-handler attributes and style attributes of an HTML document."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_code_script = False

    def handle_starttag(self, tag, attrs):
        names = {name.lower(): value for name, value in attrs}
        for name in names:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> event handler")
            if name == "style":
                self.problems.append(f"<{tag} style=…> attribute")
        if tag == "script":
            self._in_code_script = "src" not in names and (names.get("type") or "").lower() not in DATA_SCRIPT_TYPES

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_code_script = False

    def handle_data(self, data):
        if self._in_code_script and data.strip():
            self.problems.append(f"inline <script> code: {data.strip()[:80]!r}")


@pytest.fixture(scope="module")
def xw(django_db_setup, django_db_blocker):
    with rolled_back_world(django_db_blocker, build_xss_world) as w:
        yield w


def _day(value) -> str:
    return value.date().isoformat()


def _admin_pages(obj_attr: str):
    """The admin change and history pages of a planted object, and its changelist searched for it."""

    def urls(w):
        obj = _resolve(w, obj_attr)
        meta = obj._meta
        base = f"admin:{meta.app_label}_{meta.model_name}"
        return [  # (address, whether it must show the text): the history page shows only a title
            (reverse(f"{base}_change", args=[obj.pk]), True),
            (reverse(f"{base}_history", args=[obj.pk]), False),
            (reverse(f"{base}_changelist") + "?q=xss", False),
            (reverse(f"{base}_changelist"), False),
        ]

    return urls


def _resolve(w, attr: str):
    """An object of the XSS world by a dotted path; dicts from the API are looked up as model rows."""
    from apps.catalog.models import ComponentVersion, Service, ServiceComponent, Supplier
    from apps.deployment_models.models import DeploymentModel, ModelStage, Responsibility
    from apps.deployments.models import Check, DeploymentEvent, DeploymentProblem, Feedback, IncidentLink
    from apps.environments.models import FreezeWindow, MaintenanceWindow

    x = w.x
    lookups = {
        "freeze": lambda: FreezeWindow.objects.get(pk=x.freeze["id"]),
        "maintenance": lambda: MaintenanceWindow.objects.get(pk=x.maintenance["id"]),
        "service": lambda: Service.objects.get(pk=x.service["id"]),
        "component": lambda: ServiceComponent.objects.get(pk=x.component["id"]),
        "version": lambda: ComponentVersion.objects.get(pk=x.version["id"]),
        "supplier": lambda: Supplier.objects.get(pk=x.supplier["id"]),
        "model": lambda: DeploymentModel.objects.get(pk=x.model["id"]),
        "stage": lambda: ModelStage.objects.get(pk=x.stage["id"]),
        "responsibility": lambda: Responsibility.objects.get(pk=x.responsibility["id"]),
        "check": lambda: Check.objects.filter(deployment=x.deployment, kind="acceptance").first(),
        "event": lambda: DeploymentEvent.objects.filter(deployment=x.deployment, kind="comment").first(),
        "incident": lambda: IncidentLink.objects.get(deployment=x.deployment),
        "problem": lambda: DeploymentProblem.objects.get(deployment=x.deployment),
        "feedback": lambda: Feedback.objects.get(deployment=x.deployment),
        "audit": lambda: _audit_entry(x),
    }
    return lookups[attr]() if attr in lookups else getattr(x, attr)


def _audit_entry(x):
    from apps.audit.models import AuditEntry

    return AuditEntry.objects.filter(object_repr__contains="<script>").order_by("-id").first()


# (who, url(s) over the world, whether the escaped payload must be on the page)
PAGES = [
    # environments and windows
    ("manager", lambda w: "/environments/", True),
    ("manager", lambda w: f"/environments/{w.x.env_slug}/", True),
    ("manager", lambda w: f"/environments/{w.x.env_slug}/edit/", True),
    ("manager", lambda w: "/freeze-windows/", True),
    ("manager", lambda w: f"/freeze-windows/{w.x.freeze['id']}/edit/", True),
    ("manager", lambda w: f"/freeze-windows/{w.x.freeze['id']}/preview/", True),
    ("manager", lambda w: "/maintenance-windows/", True),
    ("manager", lambda w: f"/maintenance-windows/{w.x.maintenance['id']}/edit/", True),
    ("manager", lambda w: f"/maintenance-windows/{w.x.maintenance['id']}/preview/", True),
    # catalog
    ("manager", lambda w: "/services/", True),
    ("manager", lambda w: f"/services/{w.x.service['slug']}/", True),
    ("manager", lambda w: f"/services/{w.x.service['slug']}/edit/", True),
    ("manager", lambda w: f"/services/{w.x.service['slug']}/components/new/", True),
    ("manager", lambda w: f"/components/{w.x.component['id']}/", True),
    ("manager", lambda w: f"/components/{w.x.component['id']}/edit/", True),
    ("manager", lambda w: f"/components/{w.x.component['id']}/versions/new/", True),
    ("manager", lambda w: f"/versions/{w.x.version['id']}/edit/", True),
    ("manager", lambda w: "/suppliers/", True),
    ("manager", lambda w: f"/suppliers/{w.x.supplier['id']}/", True),
    ("manager", lambda w: f"/suppliers/{w.x.supplier['id']}/edit/", True),
    ("service_owner", lambda w: f"/services/{w.x.service['slug']}/", True),
    # deployment models
    ("manager", lambda w: "/models/", True),
    ("manager", lambda w: f"/models/{w.x.model['id']}/", True),
    ("manager", lambda w: f"/models/{w.x.model['id']}/stages/", True),
    ("manager", lambda w: f"/models/{w.x.model['id']}/responsibilities/", True),
    ("manager", lambda w: "/models/new/", False),
    # deployments
    ("manager", lambda w: "/deployments/", True),
    ("manager", lambda w: "/deployments/?q=Deployment", True),
    ("manager", lambda w: f"/deployments/{w.x.deployment.pk}/", True),
    ("manager", lambda w: "/deployments/new/", True),
    ("manager", lambda w: "/deployments/approvals/", False),
    ("practitioner", lambda w: "/deployments/mine/", False),
    ("practitioner", lambda w: f"/deployments/{w.x.deployment.pk}/", True),
    ("service_owner", lambda w: f"/deployments/{w.x.deployment.pk}/", True),
    ("product_owner", lambda w: "/deployments/", True),
    ("auditor", lambda w: f"/deployments/{w.x.deployment.pk}/", True),
    # records: calendar, matrix, dashboard, KPIs, audit, printables, exports page
    ("manager", lambda w: f"/calendar/?date={_day(w.x.deployment.planned_start)}", True),
    ("manager", lambda w: f"/calendar/?view=week&date={_day(w.x.deployment.planned_start)}", True),
    ("manager", lambda w: f"/calendar/?view=week&date={w.x.freeze['start'][:10]}", True),
    ("service_owner", lambda w: f"/calendar/?view=week&date={_day(w.x.deployment.planned_start)}", True),
    ("manager", lambda w: "/matrix/", True),
    ("manager", lambda w: "/matrix/?by=component", True),
    ("manager", lambda w: "/matrix/?by=environment", True),
    ("service_owner", lambda w: "/matrix/", True),
    ("manager", lambda w: "/", True),
    ("practitioner", lambda w: "/", False),
    ("service_owner", lambda w: "/", True),
    ("manager", lambda w: "/reports/kpis/", True),
    *[("manager", (lambda m: lambda w: f"/reports/kpis/{m}/")(metric), None) for metric in METRICS],
    ("manager", lambda w: "/reports/kpis/success_rate/", True),
    ("auditor", lambda w: "/audit/", True),
    ("manager", lambda w: "/audit/", True),
    ("manager", lambda w: f"/deployments/{w.x.deployment.pk}/report/", True),
    ("service_owner", lambda w: f"/deployments/{w.x.deployment.pk}/report/", True),
    ("manager", lambda w: f"/reviews/{w.x.review['id']}/report/", True),
    ("auditor", lambda w: "/exports/", False),
    # reviews and initiatives
    ("manager", lambda w: "/reviews/", True),
    ("manager", lambda w: f"/reviews/{w.x.review['id']}/", True),
    ("manager", lambda w: f"/reviews/{w.x.review['id']}/edit/", True),
    ("manager", lambda w: f"/reviews/{w.x.review['id']}/complete/", True),
    ("manager", lambda w: f"/reviews/{w.x.review['id']}/initiatives/new/", True),
    ("manager", lambda w: "/initiatives/", True),
    ("manager", lambda w: f"/initiatives/{w.x.improvement['id']}/edit/", True),
    ("service_owner", lambda w: f"/reviews/{w.x.review['id']}/", True),
    # the admin: every planted object's change and history pages, and its changelist
    *[
        ("admin", _admin_pages(attr), True)
        for attr in (
            "env",
            "env_check",
            "freeze",
            "maintenance",
            "service",
            "component",
            "version",
            "supplier",
            "model",
            "stage",
            "responsibility",
            "deployment",
            "check",
            "event",
            "incident",
            "problem",
            "feedback",
            "review_obj",
            "improvement_obj",
            "audit",
        )
    ],
]


# the planted fields each detail page must show, escaped (proves every field is swept where it is displayed)
FIELDS_SHOWN = {
    "/environments/{env}/": ["Env", "Purpose", "Standing check"],
    "/freeze-windows/": ["Freeze", "Freeze reason"],
    "/maintenance-windows/": ["Maintenance"],
    "/services/{service}/": ["Service", "Service description", "Component"],
    "/components/{component}/": ["Component", "Component description", "V", "dml://repo", "Version notes"],
    "/suppliers/{supplier}/": ["Supplier", "Contract", "Contacts"],
    "/models/{model}/": [
        "Model",
        "Model description",
        "Dim people",
        "Dim tech",
        "Dim streams",
        "Dim partners",
        "Rollback",
        "Entry",
        "Exit",
        "Stage acceptance",
        "Activity",  # the RACI role is one of the role list, not free text
    ],
    "/deployments/{deployment}/": [
        "Deployment",
        "CHG",
        "REL",
        "Requirements",
        "Acceptance",
        "Complete comment",  # the completion comment becomes the outcome (the planted outcome is replaced)
        "Handover",
        "Comment",
        "Submit comment",
        "Evidence component",
        "Evidence environment",
        "Evidence acceptance",
        "Incident",
        "Problem",
        "Feedback",
    ],
    "/reviews/{review}/": ["Findings", "Lessons", "Reason", "Note", "Improvement"],
    "/initiatives/": ["Improvement", "CR"],
}


def _fields_shown(w, address: str) -> list[str]:
    x = w.x
    keys = {
        "env": x.env_slug,
        "service": x.service["slug"],
        "component": x.component["id"],
        "supplier": x.supplier["id"],
        "model": x.model["id"],
        "deployment": x.deployment.pk,
        "review": x.review["id"],
    }
    return next((labels for path, labels in FIELDS_SHOWN.items() if path.format(**keys) == address), [])


def _page_id(index: int, entry) -> str:
    who, url, _ = entry
    name = getattr(url, "__qualname__", "")
    return f"{index}-{who}" if "_admin_pages" not in name else f"{index}-admin"


def _urls(w, url, must_show) -> list[tuple[str, bool]]:
    value = url(w)
    return value if isinstance(value, list) else [(value, must_show)]


def assert_strict_csp(response, url: str) -> None:
    policy = response.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives.get("script-src") == ["'self'"], f"{url}: script-src is {directives.get('script-src')}"
    assert "'unsafe-inline'" not in policy, f"{url}: CSP allows 'unsafe-inline': {policy}"


def inline_code_problems(html: str) -> list[str]:
    """Inline script code, inline event handlers and style attributes in a page or a template."""
    finder = _InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


@pytest.mark.parametrize("entry", PAGES, ids=[_page_id(i, e) for i, e in enumerate(PAGES)])
def test_planted_payloads_come_back_escaped(xw, db, entry):
    who, url, must_show = entry
    # given a user who may see the planted record
    client = client_for(xw.users[who])
    for address, shows in _urls(xw, url, must_show):
        # when they open a page that shows it
        response = client.get(address)
        # then it renders, with the payload escaped and a strict CSP
        assert response.status_code == 200, f"{address} as {who}: {response.status_code}"
        html = response.content.decode()
        for marker in RAW_MARKERS:
            assert marker not in html, f"{address} as {who}: unescaped {marker!r}"
        if shows:
            assert ESCAPED in html, f"{address} as {who}: the planted text is not shown"
        missing = [label for label in _fields_shown(xw, address) if f"{label} {ESCAPED}" not in html]
        assert not missing, f"{address} as {who}: planted fields not shown escaped: {missing}"
        assert_strict_csp(response, address)
        if who != "admin":  # the Django admin's own templates are Django's, not ours
            assert not inline_code_problems(html), f"{address}: {inline_code_problems(html)}"


def test_every_planted_object_has_an_admin_page_in_the_sweep(xw, db):
    # given the admin's registered models
    swept = {
        type(_resolve(xw, attr))._meta.label
        for _, url, _ in PAGES
        if "_admin_pages" in url.__qualname__
        for attr in [url.__closure__[0].cell_contents]
    }
    # then every model holding planted text is swept, and registered
    for label in swept:
        assert any(m._meta.label == label for m in admin.site._registry), label
    assert len(swept) >= 18


def test_no_template_has_inline_script_code_handlers_or_styles():
    # given every template of the project
    problems = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        # when it is scanned
        found = inline_code_problems(path.read_text())
        if found:
            problems[str(path.relative_to(TEMPLATES))] = found
    # then none has inline script code, an inline event handler or a style attribute
    assert not problems, problems


def test_review_records_given_at_planning_are_a_400_not_a_500(xw, db):
    # given a manager's API token
    from rest_framework.test import APIClient

    from tests.factories.accounts import token_for

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(xw.users['manager'])}")
    # when they plan a review and send findings with it (recorded only once it has started)
    response = api.post(
        "/api/v1/reviews/",
        {
            "model": xw.x.model["id"],
            "kind": "ad_hoc",
            "period_start": "2025-01-01",
            "period_end": "2025-01-31",
            "due_date": "2025-02-15",
            "findings": "too early",
        },
        format="json",
    )
    # then it is a clear 400
    assert response.status_code == 400, response.content
    assert "findings" in response.json()["errors"]
