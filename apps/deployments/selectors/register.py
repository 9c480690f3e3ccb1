"""The register's long filter lists (people, environments, services, models, suppliers) as (id, label) rows, read in
one query whose text is made once per process, and kept by each process until one of them changes."""

import functools

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.db.models import CharField, F, IntegerField, Value

from apps.catalog.models import Service, Supplier
from apps.core.generations import REFERENCE_GENERATION, remembered_while
from apps.deployment_models.models import DeploymentModel
from apps.environments.models import Environment


@remembered_while(REFERENCE_GENERATION)
def register_filter_choices() -> dict[str, list]:
    """The register's long filter lists as (id, label) rows, read in one query (a UNION ALL of the five tables, each
    row with its own sort keys) rather than five: on a page that costs a few milliseconds, every round trip counts.
    Each process keeps them until a person, environment, service, model or supplier is saved or deleted on any node
    (`remembered_while`: a Redis GET instead of the query and the rows' labels, some 2 ms at the benchmark's 771
    rows); the query's text is made once per process. The lists are shared: callers copy, never change them."""
    sql, params = _register_filter_choices_sql()
    with connections[router.db_for_read(Environment)].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    lists: dict[int, list] = {kind: [] for kind in range(5)}
    for kind, pk, a, b, c, _, last in rows:
        if kind == 0:
            label = f"{a} {b}".strip() or c
        elif kind == 3:
            label = DeploymentModel.label(a, -last)
        else:
            label = a
        lists[kind].append((pk, label))
    return {
        "environment": lists[1],
        "service": lists[2],
        "model": lists[3],
        "supplier": lists[4],
        "requester": lists[0],
        "practitioner": lists[0],
    }


@functools.cache
def _register_filter_choices_sql() -> tuple[str, tuple]:
    """register_filter_choices' query, built and compiled once per process (it has no parameter of its own): five
    annotated querysets and their UNION cost more to build and compile in Python than PostgreSQL takes to run it."""

    def part(kind: int, qs, a, b=None, c=None, first=0, last=0):
        text, number = (lambda v: Value(v, output_field=CharField())), (lambda v: Value(v, output_field=IntegerField()))
        return (
            qs.order_by()
            .annotate(
                c_kind=number(kind),
                c_a=F(a),
                c_b=F(b) if b else text(""),
                c_c=F(c) if c else text(""),
                c_first=F(first) if isinstance(first, str) else number(first),
                c_last=number(last) if isinstance(last, int) else last,
            )
            .values_list("c_kind", "pk", "c_a", "c_b", "c_c", "c_first", "c_last")
        )

    people = part(0, get_user_model().objects.filter(is_active=True), "first_name", "last_name", "username")
    rows = people.union(
        part(1, Environment.objects.all(), "name", first="order"),
        part(2, Service.objects.all(), "name"),
        part(3, DeploymentModel.objects.all(), "name", last=-F("version")),
        part(4, Supplier.objects.all(), "name"),
        all=True,
    ).order_by("c_kind", "c_first", "c_a", "c_b", "c_c", "c_last")
    sql, params = rows.query.sql_with_params()
    return sql, tuple(params)
