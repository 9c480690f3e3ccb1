"""Template helpers of the deployment pages: status colours and badges, the register's rows, and crispy forms drawn
once per process for what they show."""

from html import escape

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, as_crispy_form
from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from apps.core.widgets import rendered_field, rendered_form
from apps.deployments.selectors import work as work_selectors
from apps.deployments.workflow import STATUS_LABEL, Status

register = template.Library()

STATUS_STYLE = {
    Status.DRAFT: "secondary",
    Status.PENDING_APPROVAL: "warning",
    Status.APPROVED: "info",
    Status.REJECTED: "danger",
    Status.VERIFYING_COMPONENTS: "primary",
    Status.VERIFYING_ENVIRONMENT: "primary",
    Status.EXECUTING: "primary",
    Status.VERIFYING: "primary",
    Status.COMPLETED: "success",
    Status.FAILED: "danger",
    Status.ROLLED_BACK: "dark",
    Status.CANCELLED: "light",
}

RESULT_STYLE = {"pending": "secondary", "pass": "success", "fail": "danger", "n_a": "light"}

REMOVAL_BADGE = (
    ' <span class="badge text-bg-danger-subtle border border-danger-subtle text-danger-emphasis"'
    ' data-testid="removal-badge">Removal</span>'
)
NO_MODEL = '<span class="text-muted">—</span>'


@register.filter
def status_style(status: str) -> str:
    """The Bootstrap colour of a status badge."""
    return STATUS_STYLE.get(status, "secondary")


@register.filter
def result_style(result: str) -> str:
    return RESULT_STYLE.get(result, "secondary")


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def status_label(status: str) -> str:
    """The human name of a status value ("pending_approval" → "Pending approval")."""
    return STATUS_LABEL.get(status, status)


def _e(value) -> str:
    return escape(str(value))


NOT_RELEASED_BADGE = (
    ' <span class="badge text-bg-warning" data-testid="not-released-badge" title="Completed, not yet made available '
    'to its users">Deployed, not released</span>'
)


def _status_badge(d) -> str:
    status = _e(d.status)
    html = (
        f'<span class="badge status-badge text-bg-{STATUS_STYLE.get(d.status, "secondary")}" data-testid="status-badge"'
        f' data-status="{status}">{_e(STATUS_LABEL.get(d.status, d.status))}</span>'
    )
    # "deployed, not released": only where the row was read with its release time (never a query per row)
    if d.status == "completed" and not d.is_removal and "released_at" in d.__dict__ and d.released_at is None:
        html += NOT_RELEASED_BADGE
    return html + REMOVAL_BADGE if d.is_removal else html


def risk_style(score: int) -> str:
    """The colour of a risk score: high from 60, medium from 30."""
    return "danger" if score >= 60 else "warning" if score >= 30 else "success"


register.filter("risk_style", risk_style)


def _risk(d) -> str:
    if d.risk_scored_at is None:
        return '<span class="text-muted" title="Not scored yet">—</span>'
    return (
        f'<span class="badge text-bg-{risk_style(d.risk_score)}" data-testid="risk-score" title="Risk score (0–100)">'
        f"{int(d.risk_score)}</span>"
    )


@register.simple_tag
def status_badge(d) -> SafeString:
    """A deployment's status badge, and a "Removal" badge when it removes components."""
    return mark_safe(_status_badge(d))  # noqa: S308 (every value escaped in _status_badge)


def _window(d) -> str:
    if not d.planned_start:
        return '<span class="text-muted">not planned</span>'
    start, end = timezone.localtime(d.planned_start), d.planned_end and timezone.localtime(d.planned_end)
    return f"{start:%Y-%m-%d %H:%M} – {f'{end:%Y-%m-%d %H:%M}' if end else ''}"


@register.simple_tag
def deployment_rows(deployments, empty: str = "") -> SafeString:
    """The rows of a deployment table built in one pass of Python: 50 rows through a template (and an include per
    row) cost several times the SQL of the register page."""
    before, after = reverse("deployments:deployment_detail", args=[0]).rsplit("0", 1)  # one reverse, not 50
    rows = []
    for d in deployments:
        reference = _e(d.reference)
        model = f"{_e(d.model.name)} v{_e(d.model.version)}" if d.model else NO_MODEL
        rows.append(
            f'    <tr data-testid="deployment-row" data-reference="{reference}">\n'
            f'      <td class="text-nowrap"><a href="{before}{d.pk}{after}">{reference}</a></td>\n'
            f"      <td>{_e(d.title)}</td>\n"
            f'      <td class="text-nowrap">{_status_badge(d)}\n</td>\n'
            f"      <td>{_e(d.environment.name)}</td>\n"
            f"      <td>{_e(d.service.name)}</td>\n"
            f"      <td>{model}</td>\n"
            f'      <td class="text-nowrap small">{_window(d)}</td>\n'
            f'      <td class="text-end">{_risk(d)}</td>\n'
            "    </tr>\n"
        )
    if not rows:
        message = _e(empty) if empty else "No deployments match."
        rows.append(f'    <tr><td colspan="8" class="text-muted" data-testid="empty">{message}</td></tr>\n')
    return mark_safe("".join(rows))  # noqa: S308 (every value escaped above)


@register.filter
def crispy_once(form) -> SafeString:
    """`form|crispy`, remembered per process for an empty form (apps.core.widgets.rendered_form)."""
    return rendered_form(form, as_crispy_form)


@register.filter
def crispy_field_once(field) -> SafeString:
    """`field|as_crispy_field`, remembered per process for its name, widget, choices and value, unless it has errors."""
    return rendered_field(field, as_crispy_field)


@register.simple_tag(takes_context=True)
def window_preview(context, window) -> dict:
    """The preview of a freeze or maintenance window for the page's user: its next occurrences and the planned
    deployments each meets (the environments page shows it; the deployments app answers it)."""
    return work_selectors.window_preview(window=window, user=context["request"].user)
