"""Template helpers of the calendar page, built in one pass of Python: a month shows some 140 deployments, and an
include of a chip template for each (with the filters' options, one template loop per service) took a third of the
page's time."""

from html import escape

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from apps.deployments.workflow import STATUS_LABEL

register = template.Library()

# the conflicts a chip's title lists; past them it says how many more there are (a tooltip of dozens of lines is read
# by no one: a deployment's readiness panel names every booked overlap)
REASONS_SHOWN = 4


@register.simple_tag
def calendar_chips(deployments, show_env: bool) -> SafeString:
    """A day's deployments as the calendar draws them: a link each, with its time, reference and title, its
    environment (`show_env`), and a warning and the reasons (in its title, the first REASONS_SHOWN and how many more)
    when it conflicts."""
    before, after = reverse("deployments:deployment_detail", args=[0]).rsplit("0", 1)  # one reverse, not one a chip
    chips = []
    for d in deployments:
        reference, title, environment = escape(d.reference), escape(d.title), escape(d.environment.name)
        conflicts = getattr(d, "conflicts", None) or []
        reasons = "".join(f"&#10;⚠ {escape(str(c))}" for c in conflicts[:REASONS_SHOWN])
        if len(conflicts) > REASONS_SHOWN:
            reasons += f"&#10;⚠ … and {len(conflicts) - REASONS_SHOWN} more: see the deployment&#x27;s page"
        status = escape(STATUS_LABEL.get(d.status, d.status))
        at = f"{timezone.localtime(d.planned_start):%H:%M}" if d.planned_start else ""
        chips.append(
            f'<a href="{before}{d.pk}{after}" class="cal-item d-block small text-truncate status-{escape(d.status)}'
            f'{" cal-conflict" if conflicts else ""}" data-testid="calendar-deployment" data-reference="{reference}"'
            f' title="{reference} {title} — {environment}, {status}{reasons}">'
            + (
                '<span class="text-danger" aria-label="conflict" data-testid="calendar-conflict">⚠</span> '
                if conflicts
                else ""
            )
            + (f'<span class="badge text-bg-light border">{environment}</span> ' if show_env else "")
            + f"{at} {reference} {title}</a>\n"
        )
    return mark_safe("".join(chips))  # noqa: S308 (every value escaped above)


@register.simple_tag
def filter_options(choices, selected) -> SafeString:
    """`<option>`s of a filter's choices — a queryset (by id and name) or (value, label) pairs — with those in
    `selected` (a value, or a list of them, as the query string gives them) selected."""
    chosen = {str(v) for v in selected} if isinstance(selected, list | tuple) else {str(selected or "")}
    options = []
    if hasattr(choices, "values_list"):  # a queryset: its ids and names, not its model instances (500 services)
        choices = choices.values_list("pk", "name")
    for value, label in choices:
        mark = " selected" if str(value) in chosen else ""
        options.append(f'<option value="{escape(str(value))}"{mark}>{escape(str(label))}</option>')
    return mark_safe("".join(options))  # noqa: S308 (every value escaped above)
