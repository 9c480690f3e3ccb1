"""The matrix's rows drawn in Python (matrix_tags.matrix_rows) are the markup the template's loops drew, byte for
byte: every part of a cell, both ways of reading the matrix, escaping, the current time zone, and no rows."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone

from apps.reports.selectors.matrix import Cell, MatrixData, MatrixRow
from apps.reports.templatetags.matrix_tags import matrix_rows, matrix_service_options

# the rows as the page's template drew them before matrix_rows
TEMPLATE_ROWS = """{% load deployments_tags %}{% for row in matrix.rows %}
  <tr data-testid="matrix-row">
    <th scope="row">{{ row.label }}{% if matrix.by == 'component' %}<div class="small text-muted fw-normal">{{ row.service }}</div>{% endif %}</th>
    {% for cell in row.cells %}<td data-testid="matrix-cell">
      {% for v in cell.versions %}<div><span class="badge text-bg-success" title="Deployed by {{ v.reference }} on {{ v.at|date:'Y-m-d H:i' }}">{% if matrix.by == 'service' %}{{ v.component }} {% endif %}{{ v.version }}</span>{% if not v.released %} <span class="badge text-bg-warning" data-testid="matrix-not-released" title="Deployed by {{ v.reference }}, not yet released to users">not released</span>{% endif %}</div>{% endfor %}
      {% if cell.last %}<div class="small text-muted">Last: <a href="/deployments/{{ cell.last.id }}/">{{ cell.last.reference }}</a> {{ cell.last.status|status_label }}{% if cell.last.at %}, {{ cell.last.at|date:"Y-m-d" }}{% endif %}</div>{% endif %}
      {% for u in cell.upcoming %}<div class="small">→ <a href="/deployments/{{ u.id }}/">{{ u.reference }}</a> <span class="badge text-bg-warning">{{ u.status|status_label }}</span>{% if u.planned_start %} {{ u.planned_start|date:"Y-m-d" }}{% endif %}</div>{% endfor %}
      {% if cell.upcoming_count > cell.upcoming|length %}<div class="small text-muted">and {{ cell.upcoming_count|add:"-3" }} more on their way</div>{% endif %}
      {% if cell.empty %}<span class="text-muted">—</span>{% endif %}
    </td>{% endfor %}
  </tr>
  {% empty %}
  <tr><td colspan="{{ matrix.environments|length|add:1 }}" class="text-muted">Nothing deployed or on its way that you may see.</td></tr>
  {% endfor %}"""  # noqa: E501

LATE = dt.datetime(2026, 3, 28, 23, 30, tzinfo=dt.UTC)  # another day, and hour, in Paris
EARLY = dt.datetime(2025, 1, 2, 3, 4, tzinfo=dt.UTC)


def _version(component: str, version: str, *, at=LATE, released=True, reference="DEP-1") -> dict:
    return {"component": component, "version": version, "reference": reference, "at": at, "id": 1, "released": released}


def _upcoming(i: int, start) -> dict:
    return {"id": 100 + i, "reference": f"DEP-{100 + i}", "status": "executing", "planned_start": start}


def _matrix(by: str) -> MatrixData:
    full = Cell(
        versions=[
            _version("api", "1.2.0", reference="DEP-<7>"),
            _version("web & co", '2.0"beta"', at=EARLY, released=False),
            _version("worker", "0.1", at=None),
        ],
        last={"id": 7, "reference": "DEP-7", "status": "rolled_back", "at": EARLY},
        upcoming=[_upcoming(1, LATE), _upcoming(2, None), _upcoming(3, EARLY)],
        upcoming_count=5,
    )
    some = Cell(
        last={"id": 8, "reference": "DEP-8", "status": "unknown_status", "at": None},
        upcoming=[{"id": 9, "reference": "DEP-9", "status": "approved", "planned_start": LATE}],
        upcoming_count=1,
    )
    rows = [
        MatrixRow(key=1, label="Shop <b>", service="Shop's", cells=[full, Cell(), some]),
        MatrixRow(key=2, label="Payroll", service="Payroll", cells=[Cell(), Cell(upcoming_count=2), Cell()]),
    ]
    return MatrixData(by=by, environments=[object(), object(), object()], rows=rows)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/Los_Angeles"])
@pytest.mark.parametrize("by", ["service", "component"])
def test_the_rows_drawn_in_python_are_the_templates(by, zone):
    # given a page with every part of a cell, in a time zone
    data = _matrix(by)
    with timezone.override(zone):
        # when its rows are drawn by matrix_rows and by the template
        drawn = matrix_rows(data)
        expected = Template(TEMPLATE_ROWS).render(Context({"matrix": data}))
    # then they are the same, byte for byte
    assert drawn == expected
    assert "not released" in drawn and "and 2 more on their way" in drawn and "Shop &lt;b&gt;" in drawn


def test_no_rows_draws_the_empty_row():
    # given a page without rows
    data = MatrixData(by="service", environments=[object(), object()], rows=[])
    # when its rows are drawn by matrix_rows and by the template
    drawn = matrix_rows(data)
    expected = Template(TEMPLATE_ROWS).render(Context({"matrix": data}))
    # then both draw the one row saying so, across the table
    assert drawn == expected
    assert 'colspan="3"' in drawn


@pytest.mark.parametrize("selected", ["", "12", "7", "abc"])
def test_the_service_options_drawn_in_python_are_the_templates(selected):
    # given services (one name to escape) and the request's service
    services = [(7, "Payroll"), (12, 'Shop <&> "web"'), (130, "Zeta's")]
    # when the options are drawn by matrix_service_options and by the template's loop
    drawn = matrix_service_options(services, selected)
    expected = Template(
        '{% for pk, name in services %}<option value="{{ pk }}"{% if selected_service == pk|stringformat:"s" %}'
        " selected{% endif %}>{{ name }}</option>{% endfor %}"
    ).render(Context({"services": services, "selected_service": selected}))
    # then they are the same
    assert drawn == expected
