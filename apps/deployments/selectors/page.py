"""The reads of one deployment's page (and of its printable report and its API lists): the deployment with what the
page shows joined in or read beside it, the lists it shows, and the related ids of the many-to-many links, each query
made once per process."""

import functools

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.db.models import Exists, F, IntegerField, OuterRef, QuerySet, Value, Window
from django.db.models.functions import RowNumber

from apps.catalog.models import ComponentVersion, Supplier
from apps.core.compiled import CompiledQuery
from apps.deployments.models import Approval, Check, CheckKind, Deployment, DeploymentEvent, DeploymentStep
from apps.deployments.selectors.visibility import deployment_visible_q_by_id, sees_all_deployments


def deployment_get(*, user, pk: int) -> Deployment:
    """One deployment the user may see, with what its page and its printable report show joined in or read beside
    it (four queries: the deployment, its manager and pilot confirmer, its versions, its practitioners; five with a
    supplier); `Deployment.DoesNotExist` (→ 404) otherwise. The manager and the (seldom set) supplier are read
    apart rather than joined: past five tables each outer join costs PostgreSQL more to plan than a query of its own
    costs to run (5 ms against 3 ms for the whole read at 1,000,000 deployments). Each query's text is made once per
    process (`_page_queries`): building and compiling the deployment's (eight `EXISTS`) took 6 ms a request, far
    more than PostgreSQL took to run all four."""
    if not user.is_authenticated:
        raise Deployment.DoesNotExist("Deployment matching query does not exist.")
    queries = _page_queries(router.db_for_read(Deployment), sees_all_deployments(user=user))
    found = queries["deployment"].fetch(pk=pk, user=user.pk)
    if not found:
        raise Deployment.DoesNotExist("Deployment matching query does not exist.")
    deployment = found[0]
    people = {p.pk: p for p in _people(queries, deployment)}
    for name in ("manager", "pilot_confirmed_by"):
        field = Deployment._meta.get_field(name)
        if (pk_ := getattr(deployment, field.attname)) is not None:
            field.set_cached_value(deployment, people.get(pk_))
    if deployment.supplier_id is not None:
        supplier = queries["supplier"].fetch(pk=deployment.supplier_id)
        Deployment._meta.get_field("supplier").set_cached_value(deployment, supplier[0] if supplier else None)
    cache = deployment.__dict__.setdefault("_prefetched_objects_cache", {})
    for name in LINKED:
        related = getattr(deployment, name).get_queryset()
        related._result_cache = queries[name].fetch(pk=deployment.pk)
        related._prefetch_done = True
        cache[name] = related
    return deployment


def _people(queries: dict, deployment: Deployment) -> list:
    """The deployment's manager and pilot confirmer, in one query (none when neither is set)."""
    ids = [i for i in (deployment.manager_id, deployment.pilot_confirmed_by_id) if i is not None]
    if not ids:
        return []
    return queries["people"].fetch(a=ids[0], b=ids[-1])


# stand-ins for the values of deployment_get's queries, bound on each call (none is a value a filter here names)
_PK, _USER, _OTHER = -7_000_001, -7_000_002, -7_000_003


@functools.cache
def _page_queries(using: str, sees_all: bool) -> dict[str, CompiledQuery]:
    """deployment_get's queries, compiled once per process and database (two texts of the deployment's: for those who
    see every deployment, and for the others with their visibility filter)."""
    deployments = Deployment.objects.all() if sees_all else Deployment.objects.filter(deployment_visible_q_by_id(_USER))
    deployment = (
        deployments.select_related("environment", "service", "model", "stage", "requester")
        .annotate(
            **{f"has_{name}": _any_related(name) for name in PAGE_LISTS},
            # what the readiness panel's acceptance gate asks (rules.checks.acceptance_gap), read here, not again
            has_acceptance_check=Exists(
                Check.objects.filter(deployment=OuterRef("pk"), kind=CheckKind.ACCEPTANCE, required=True)
            ),
        )
        .filter(pk=_PK)
    )
    marks = {"pk": _PK} if sees_all else {"pk": _PK, "user": _USER}
    return {
        "deployment": CompiledQuery(deployment, marks=marks, using=using, prepare=True),
        "people": CompiledQuery(
            get_user_model().objects.filter(pk__in=[_PK, _OTHER]),
            marks={"a": _PK, "b": _OTHER},
            using=using,
            prepare=True,
        ),
        "supplier": CompiledQuery(Supplier.objects.filter(pk=_PK), marks={"pk": _PK}, using=using, prepare=True),
        # as the prefetches of `.all()` read them: in the related model's order
        "component_versions": CompiledQuery(
            ComponentVersion.objects.select_related("component").filter(deployments__in=[_PK]),
            marks={"pk": _PK},
            using=using,
            prepare=True,
        ),
        "practitioners": CompiledQuery(
            get_user_model().objects.filter(assigned_deployments__in=[_PK]),
            marks={"pk": _PK},
            using=using,
            prepare=True,
        ),
    }


# the lists a deployment's page shows; deployment_get tells which have rows (has_<name>), so the page reads only those
PAGE_LISTS = ("checks", "approvals", "events", "incidents", "problems", "feedback", "steps")


@functools.cache
def _any_related(name: str) -> Exists:
    """Whether a deployment has a row in its list `name`: built once per process (annotate resolves a copy of it
    against each query), not seven querysets on every view of a deployment's page."""
    related = Deployment._meta.get_field(name).related_model
    return Exists(related.objects.filter(deployment=OuterRef("pk")))


def deployment_page_rows(*, deployment: Deployment, name: str) -> list:
    """The deployment's list `name` (one of PAGE_LISTS) as its page shows it, or [] without a query when
    deployment_get found no such row: a draft's page then reads its timeline and not five empty lists. Each list's
    query text is made once per process; each row knows its deployment, as a related manager's rows do."""
    if not getattr(deployment, f"has_{name}", True):
        return []
    rows = _page_list_query(router.db_for_read(Deployment), name).fetch(pk=deployment.pk)
    field = rows[0]._meta.get_field("deployment") if rows else None
    for row in rows:
        field.set_cached_value(row, deployment)
    return rows


def _page_list(name: str, queryset: QuerySet) -> QuerySet:
    """A deployment's list `name` in the order, and with the related rows, its page and printable report show."""
    shape = {
        "checks": lambda qs: qs.select_related("recorded_by", "component_version__component").order_by("kind", "id"),
        "approvals": lambda qs: qs.select_related("user", "on_behalf_of").order_by("at", "id"),
        "events": lambda qs: qs.select_related("actor").order_by("at", "id"),
        "steps": lambda qs: qs.select_related("owner", "done_by").order_by("order", "id"),
        "feedback": lambda qs: qs.select_related("user"),
    }.get(name)
    return shape(queryset) if shape else queryset


@functools.cache
def _page_list_query(using: str, name: str) -> CompiledQuery:
    related = Deployment._meta.get_field(name).related_model
    query = _page_list(name, related.objects.filter(deployment=_PK))
    return CompiledQuery(query, marks={"pk": _PK}, using=using, prepare=True)


LINKED = ("component_versions", "practitioners")


def deployment_linked_ids(*, deployments: list[Deployment], names: tuple[str, ...] = LINKED) -> None:
    """Each deployment's related ids for the many-to-many `names`, in the order `.all()` gives them, as
    `linked_ids[name]`: read on the link tables, without making the related rows (a list of 50 for the API spent
    more on building users and versions it only reads the ids of than on its SQL), in one query for all the
    relations (a UNION ALL, each row numbered in its relation's order)."""
    linked: dict[int, dict[str, list[int]]] = {d.pk: {name: [] for name in names} for d in deployments}
    if not linked or not names:
        return
    sql, params = _linked_ids_sql(names, len(linked))
    ids = list(linked)
    with connections[router.db_for_read(Deployment)].cursor() as cursor:
        cursor.execute(sql, [ids[-p - 1] if isinstance(p, int) and p < 0 else p for p in params])
        for kind, deployment_id, related_id, _ in cursor.fetchall():
            linked[deployment_id][names[kind]].append(related_id)
    for d in deployments:
        d.linked_ids = linked[d.pk]


@functools.lru_cache(maxsize=256)
def _linked_ids_sql(names: tuple[str, ...], count: int) -> tuple[str, tuple]:
    """deployment_linked_ids' query for `count` deployments, compiled once per process and page size: the ORM took
    longer to build and compile it than PostgreSQL to run it. The ids are placeholders -1 … -count in the params,
    which the caller replaces (the other params are the relations' numbers, 0 and up)."""
    placeholders = [-(i + 1) for i in range(count)]
    parts = []
    for kind, name in enumerate(names):
        field = Deployment._meta.get_field(name)
        mine, theirs = field.m2m_field_name(), field.m2m_reverse_field_name()
        ordering = [
            F(f"{theirs}__{key[1:]}").desc() if key.startswith("-") else F(f"{theirs}__{key}").asc()
            for key in field.related_model._meta.ordering
        ]
        parts.append(
            field.remote_field.through.objects.filter(**{f"{mine}_id__in": placeholders})
            .annotate(
                c_kind=Value(kind, output_field=IntegerField()),
                c_mine=F(f"{mine}_id"),
                c_theirs=F(f"{theirs}_id"),
                c_n=Window(RowNumber(), order_by=[*ordering, F(f"{theirs}_id").asc()]),
            )
            .values_list("c_kind", "c_mine", "c_theirs", "c_n")
        )
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    sql, params = rows.order_by("c_kind", "c_n").query.sql_with_params()
    return sql, tuple(params)


def deployment_events(*, deployment: Deployment) -> QuerySet[DeploymentEvent]:
    return _page_list("events", deployment.events.all())


def deployment_checks(*, deployment: Deployment) -> QuerySet[Check]:
    return _page_list("checks", deployment.checks.all())


def deployment_steps(*, deployment: Deployment) -> QuerySet[DeploymentStep]:
    """The step plan in its order, with who owns and who ticked off each step."""
    return _page_list("steps", deployment.steps.all())


def deployment_approvals(*, deployment: Deployment) -> QuerySet[Approval]:
    return _page_list("approvals", deployment.approvals.all())
