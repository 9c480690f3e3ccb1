"""The deployment register: every deployment the user may see, filtered, sorted and paged, in a constant number of
queries and with its long filter lists drawn once per process."""

import hashlib

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import render
from django.views import View

from apps.catalog import selectors as catalog_selectors
from apps.core.pagination import COUNT_CAP, CappedPaginator, capped_count_sql, count_of, keyset_page
from apps.core.permissions import user_can
from apps.core.widgets import FastSelect, rendered_fields
from apps.deployments.filters import DeploymentFilterSet
from apps.deployments.forms import DateTimeLocalInput
from apps.deployments.models import Action
from apps.deployments.search import search_page
from apps.deployments.selectors.register import register_filter_choices
from apps.deployments.selectors.visibility import deployment_list

PAGE_SIZE = 50
COLUMNS = [
    ("reference", "Reference"),
    ("title", "Title"),
    ("status", "Status"),
    ("environment", "Environment"),
    ("service", "Service"),
    (None, "Model"),
    ("planned_start", "Planned window"),
    ("risk_score", "Risk"),
]
# what a register row shows (templatetags.deployments_tags.deployment_rows): no other column is read
ROW_FIELDS = (
    "id",
    "reference",
    "title",
    "status",
    "action",
    "planned_start",
    "planned_end",
    "environment__name",
    "service__name",
    "model__name",
    "model__version",
    "released_at",
    "risk_score",
    "risk_scored_at",
)


KEYSET_ORDERINGS = {"": True, "-planned_start": True, "planned_start": False}  # ordering → descending


class _Named:
    __slots__ = ("name", "version")

    def __init__(self, name: str, version: str = ""):
        self.name, self.version = name, version


class RegisterRow:
    """One register row as deployment_rows reads it (the attributes of a Deployment it shows), made from a
    `values()` dict: fifty Deployments with their environment, service and model as model instances (deferred
    fields and all) cost the register more than its query."""

    def __init__(self, values: dict):
        for name in ROW_FIELDS:
            if "__" not in name:
                setattr(self, name, values[name])
        self.pk = self.id
        self.is_removal = self.action == Action.REMOVE
        self.environment, self.service = _Named(values["environment__name"]), _Named(values["service__name"])
        model = values["model__name"]
        self.model = None if model is None else _Named(model, values["model__version"])


OVER_CAP_SECONDS = 300


def _register_count(qs) -> tuple[int, bool]:
    """The capped count of the register's rows. That a filter matches more than COUNT_CAP rows is remembered for five
    minutes (per filter and user scope: the key is the count's SQL): reaching the cap reads a thousand rows, which costs
    more than the page itself for a text search or a broad filter, and "more than 1,000" stays true. Exact counts
    are read every time."""
    sql, params = capped_count_sql(qs, COUNT_CAP)  # compiled once, for the key and the count
    key = "deployments:register-over-cap:" + hashlib.sha256(repr((sql, params)).encode()).hexdigest()
    if cache.get(key):
        return COUNT_CAP, False
    count, exact = count_of(sql, params, using=qs.db, cap=COUNT_CAP)
    if not exact:
        cache.set(key, True, OVER_CAP_SECONDS)
    return count, exact


def _register_page(request, qs, ordering: str, search=None):
    """Keyset pages for the planned-window orders (fast at any depth), a capped offset paginator for the others;
    the count stops at COUNT_CAP so a million rows are not counted on every view, and a first page that holds every
    row is its own count. A text search in the default order — `search`, (the rows but for the text, the text) — is
    read period by period (search.py), its rows' ROW_FIELDS read for the page's ids alone."""
    if ordering in KEYSET_ORDERINGS:
        after, before = request.GET.get("after", ""), request.GET.get("before", "")
        page = None
        if search is not None and search[1] and not before and KEYSET_ORDERINGS[ordering]:
            page = search_page(
                search[0], term=search[1], after=after, size=PAGE_SIZE, row=RegisterRow, fields=ROW_FIELDS
            )
        if page is None:
            page = keyset_page(
                qs,
                key="planned_start",
                descending=KEYSET_ORDERINGS[ordering],
                after=after,
                before=before,
                size=PAGE_SIZE,
                row=RegisterRow,
            )
        whole = not (after or before or page.has_next)
        count, exact = (len(page), True) if whole else _register_count(qs)
        total = f"{count:,}" if exact else f"more than {count:,}"
        link = lambda **kw: "?" + _querystring(request.GET, **{"after": None, "before": None, "page": None, **kw})  # noqa: E731
        pager = {
            "previous_url": link(before=page.previous_token) if page.has_previous else "",
            "next_url": link(after=page.next_token) if page.has_next else "",
            "label": f"{total} deployments",
            "count": count,
            "exact": exact,
        }
        return page, pager
    count, exact = _register_count(qs)
    total = f"{count:,}" if exact else f"more than {count:,}"
    paginator = CappedPaginator(qs, PAGE_SIZE)
    paginator.count = count  # counted above: not a second time
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = [RegisterRow(values) for values in page.object_list]
    link = lambda n: "?" + _querystring(request.GET, page=str(n))  # noqa: E731
    pager = {
        "previous_url": link(page.previous_page_number()) if page.has_previous() else "",
        "next_url": link(page.next_page_number()) if page.has_next() else "",
        "label": f"Page {page.number} of {page.paginator.num_pages} ({total} deployments)",
        "count": count,
        "exact": exact,
    }
    return page, pager


def _querystring(params, **changes) -> str:
    q = params.copy()
    for key, value in changes.items():
        q.pop(key, None)
        if value is not None:
            q[key] = value
    return q.urlencode()


class DeploymentListView(LoginRequiredMixin, View):
    """The register: every deployment the user may see, filtered, sorted and paginated (constant queries)."""

    def get(self, request):
        filterset = DeploymentFilterSet(request.GET or None, queryset=deployment_list(user=request.user, join=False))
        for name in ("planned_from", "planned_to"):
            filterset.form.fields[name].widget = DateTimeLocalInput()
        for name, choices in register_filter_choices().items():
            field = filterset.form.fields[name]
            field.widget = FastSelect(attrs=field.widget.attrs)
            field.widget.choices = [("", "---------"), *choices]
        qs = filterset.qs.values(*ROW_FIELDS)
        ordering = request.GET.get("ordering", "")
        if ordering:  # ties by id in the same direction, as the index on (key, id) reads them (dep_risk_id)
            qs = qs.order_by(*qs.query.order_by, "-id" if ordering.startswith("-") else "id")
        current = ordering.lstrip("-")
        columns = []
        for key, label in COLUMNS:
            if key is None:
                columns.append({"label": label})
                continue
            target = f"-{key}" if ordering == key else key
            columns.append(
                {
                    "label": label,
                    "url": "?" + _querystring(request.GET, ordering=target, page=None),
                    "sorted": ("desc" if ordering.startswith("-") else "asc") if current == key else "",
                }
            )
        base, term = filterset.text_search()
        page, pager = _register_page(request, qs, ordering, (base, term))
        total, total_exact = pager["count"], pager["exact"]
        return render(
            request,
            "deployments/deployment_list.html",
            {
                "filter": filterset,
                "filter_fields": rendered_fields(filterset.form, as_crispy_field, exclude=("ordering",)),
                "page": page,
                "pager": pager,
                "total": total,
                "total_exact": total_exact,
                "deployments": page.object_list,
                "columns": columns,
                "page_query": _querystring(request.GET, page=None),
                "may_create": user_can(request.user, "deployments.add_deployment"),
            },
        )


class SupplierDeploymentsView(LoginRequiredMixin, View):
    """A supplier's page of deployments: those it takes part in that the user may see, newest first, paginated in a
    constant number of queries (the register filtered by `supplier`, with the supplier's header)."""

    def get(self, request, pk: int):
        supplier = catalog_selectors.supplier_get(user=request.user, pk=pk)
        if supplier is None:
            raise Http404("No such supplier.")
        qs = (
            deployment_list(user=request.user, join=False)
            .filter(supplier=supplier)
            .select_related("environment", "service", "model")
            .only(*ROW_FIELDS)
            .order_by("-planned_start", "-id")
        )
        page = CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(
            request,
            "deployments/supplier_deployments.html",
            {
                "supplier": supplier,
                "page": page,
                "deployments": page.object_list,
                "empty": "No deployment of this supplier that you may see.",
                "may_see_kpis": user_can(request.user, "reports.view_kpis"),
            },
        )
