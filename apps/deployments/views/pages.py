"""The deployment pages: the register, planning and editing, a deployment's page, my work and my approvals."""

import datetime as dt
import hashlib

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views import View

from apps.core.exceptions import ConflictError
from apps.core.pagination import COUNT_CAP, CappedPaginator, capped_count, keyset_page
from apps.core.permissions import user_can
from apps.core.widgets import FastSelect, rendered_fields
from apps.deployments import rules, selectors, workflow
from apps.deployments.filters import DeploymentFilterSet
from apps.deployments.forms import DateTimeLocalInput, DeploymentEditForm, DeploymentForm
from apps.deployments.models import Deployment
from apps.deployments.permissions import may_edit
from apps.deployments.services import Context, deployment_create, deployment_update
from apps.deployments.views.common import detail_context, visible_deployment

PAGE_SIZE = 50
COLUMNS = [
    ("reference", "Reference"),
    ("title", "Title"),
    ("status", "Status"),
    ("environment", "Environment"),
    ("service", "Service"),
    (None, "Model"),
    ("planned_start", "Planned window"),
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
)


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _filter_choices() -> dict[str, list]:
    """The register's long filter lists as (id, label) rows read straight from the database (no model objects)."""
    from django.contrib.auth import get_user_model

    from apps.catalog.models import Service
    from apps.deployment_models.models import DeploymentModel
    from apps.environments.models import Environment

    people = [
        (pk, f"{first} {last}".strip() or username)
        for pk, first, last, username in get_user_model()
        .objects.filter(is_active=True)
        .order_by("first_name", "last_name", "username")
        .values_list("pk", "first_name", "last_name", "username")
    ]
    return {
        "environment": list(Environment.objects.order_by("order", "name").values_list("pk", "name")),
        "service": list(Service.objects.order_by("name").values_list("pk", "name")),
        "model": [
            (pk, f"{n} v{v}")
            for pk, n, v in DeploymentModel.objects.order_by("name", "-version").values_list("pk", "name", "version")
        ],
        "requester": people,
        "practitioner": people,
    }


KEYSET_ORDERINGS = {"": True, "-planned_start": True, "planned_start": False}  # ordering → descending


OVER_CAP_SECONDS = 60


def _register_count(qs) -> tuple[int, bool]:
    """The capped count of the register's rows. That a filter matches more than COUNT_CAP rows is remembered for a
    minute (per filter and user scope: the key is the count's SQL): reaching the cap reads a thousand rows, which costs
    more than the page itself for a text search or a broad filter, and "more than 1,000" stays true. Exact counts
    are read every time."""
    sql, params = qs.order_by().query.sql_with_params()
    key = "deployments:register-over-cap:" + hashlib.sha256(repr((sql, params)).encode()).hexdigest()
    if cache.get(key):
        return COUNT_CAP, False
    count, exact = capped_count(qs)
    if not exact:
        cache.set(key, True, OVER_CAP_SECONDS)
    return count, exact


def _register_page(request, qs, ordering: str):
    """Keyset pages for the planned-window orders (fast at any depth), a capped offset paginator for the others;
    the count stops at COUNT_CAP so a million rows are not counted on every view, and a first page that holds every
    row is its own count."""
    if ordering in KEYSET_ORDERINGS:
        after, before = request.GET.get("after", ""), request.GET.get("before", "")
        page = keyset_page(
            qs,
            key="planned_start",
            descending=KEYSET_ORDERINGS[ordering],
            after=after,
            before=before,
            size=PAGE_SIZE,
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
        filterset = DeploymentFilterSet(request.GET or None, queryset=selectors.deployment_list(user=request.user))
        for name in ("planned_from", "planned_to"):
            filterset.form.fields[name].widget = DateTimeLocalInput()
        for name, choices in _filter_choices().items():
            field = filterset.form.fields[name]
            field.widget = FastSelect(attrs=field.widget.attrs)
            field.widget.choices = [("", "---------"), *choices]
        qs = filterset.qs.select_related(None).select_related("environment", "service", "model").only(*ROW_FIELDS)
        ordering = request.GET.get("ordering", "")
        if ordering:
            qs = qs.order_by(*qs.query.order_by, "-id")
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
        page, pager = _register_page(request, qs, ordering)
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


class _SimpleListView(LoginRequiredMixin, View):
    template_name = "deployments/deployment_queue.html"
    heading = ""
    empty = ""
    testid = ""

    def queryset(self, user):
        raise NotImplementedError

    def get(self, request):
        page = _page(request, self.queryset(request.user))
        return render(
            request,
            self.template_name,
            {
                "heading": self.heading,
                "empty": self.empty,
                "testid": self.testid,
                "page": page,
                "deployments": page.object_list,
                "page_query": "",
            },
        )


class MyWorkView(_SimpleListView):
    heading = "My work"
    empty = "No open deployments are assigned to you."
    testid = "my-work"

    def queryset(self, user):
        return selectors.my_work(user=user)


class ApprovalsView(_SimpleListView):
    heading = "Awaiting my approval"
    empty = "Nothing is waiting for your approval."
    testid = "approvals"

    def queryset(self, user):
        return selectors.awaiting_approval(user=user)


def _plan_check(form) -> dict:
    """The conflicts of the plan in the form, and the next free window of its length in its environment."""
    data = form.cleaned_data
    environment, start, end = data.get("environment"), data.get("planned_start"), data.get("planned_end")
    if environment is None or start is None or end is None or end <= start:
        return {"plan_checked": True, "plan_conflicts": [], "free_slot": None, "plan_incomplete": True}
    exclude = form.deployment.pk if form.deployment is not None else None
    conflicts = rules.plan_conflicts(
        environment=environment,
        start=start,
        end=end,
        versions=list(data.get("component_versions") or []),
        practitioners=list(data.get("practitioners") or []),
        is_rollback=data.get("is_rollback", False),
        action=data.get("action"),
        exclude_pk=exclude,
    )
    free_slot, slot_error = None, ""
    if conflicts:
        from apps.environments.selectors import next_free_slot

        busy = []
        if not environment.allows_parallel_deployments:
            others = Deployment.objects.filter(
                environment=environment,
                status__in=workflow.PLANNED,
                planned_end__gt=start,
                planned_start__lt=start + dt.timedelta(days=92),
            )
            if exclude:
                others = others.exclude(pk=exclude)
            busy = list(others.values_list("planned_start", "planned_end")[:500])
        try:
            free_slot = next_free_slot(environment=environment, duration=end - start, after=start, busy=busy)
        except ConflictError as exc:
            slot_error = exc.message
    return {"plan_checked": True, "plan_conflicts": conflicts, "free_slot": free_slot, "slot_error": slot_error}


class DeploymentCreateView(LoginRequiredMixin, View):
    """Plan a deployment; "Check plan" shows its conflicts and the next free window without saving."""

    template_name = "deployments/deployment_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_can(request.user, "deployments.add_deployment"):
            raise PermissionDenied("You may not request deployments.")
        return super().dispatch(request, *args, **kwargs)

    def _render(self, request, form, status=200, **extra):
        return render(request, self.template_name, {"form": form, "creating": True, **extra}, status=status)

    def get(self, request):
        initial = {}
        for name in ("service", "environment", "model"):
            if request.GET.get(name, "").isdigit():
                initial[name] = request.GET[name]
        return self._render(request, DeploymentForm(user=request.user, initial=initial))

    def post(self, request):
        form = DeploymentForm(request.POST, user=request.user)
        if not form.is_valid():
            return self._render(request, form, status=400)
        if "check" in request.POST:
            return self._render(request, form, **_plan_check(form))
        try:
            deployment = deployment_create(ctx=Context.from_request(request), data=form.service_data())
        except ValidationError as exc:
            form.apply_errors(exc)
            return self._render(request, form, status=400)
        except PermissionDenied as exc:
            form.add_error("service", str(exc) or "You may not request deployments for this service.")
            return self._render(request, form, status=403)
        messages.success(request, f"{deployment.reference} planned as a draft. Submit it for approval when ready.")
        return redirect("deployments:deployment_detail", pk=deployment.pk)


class DeploymentUpdateView(LoginRequiredMixin, View):
    """Edit the plan; the hidden version makes a concurrent second save fail instead of overwriting the first."""

    template_name = "deployments/deployment_form.html"

    def _deployment(self, request, pk):
        deployment = visible_deployment(request, pk)
        if not may_edit(request.user, deployment):
            raise PermissionDenied(f"{deployment.reference} cannot be edited by you in its current state.")
        return deployment

    def _render(self, request, form, deployment, status=200, **extra):
        ctx = {"form": form, "deployment": deployment, "creating": False, **extra}
        return render(request, self.template_name, ctx, status=status)

    def get(self, request, pk: int):
        deployment = self._deployment(request, pk)
        form = DeploymentEditForm(
            user=request.user, deployment=deployment, initial=DeploymentEditForm.initial_for(deployment)
        )
        return self._render(request, form, deployment)

    def post(self, request, pk: int):
        deployment = self._deployment(request, pk)
        form = DeploymentEditForm(request.POST, user=request.user, deployment=deployment)
        if not form.is_valid():
            return self._render(request, form, deployment, status=400)
        if "check" in request.POST:
            return self._render(request, form, deployment, **_plan_check(form))
        try:
            deployment = deployment_update(
                ctx=Context.from_request(request),
                deployment=deployment,
                data=form.service_data(),
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            form.apply_errors(exc)
            return self._render(request, form, deployment, status=400)
        except ConflictError as exc:
            stale = exc.code == "stale_version"
            form.add_error(None, exc.message)
            return self._render(request, form, deployment, status=409, stale=stale)
        messages.success(request, f"{deployment.reference} saved.")
        return redirect("deployments:deployment_detail", pk=deployment.pk)


class DeploymentDetailView(LoginRequiredMixin, View):
    """A deployment's page: plan, checks, approvals, timeline, and only the actions the user may take."""

    def get(self, request, pk: int):
        deployment = visible_deployment(request, pk)
        return render(request, "deployments/deployment_detail.html", detail_context(request, deployment))
