"""The SQL building blocks of the KPIs: seconds between two times, percentiles, and aggregates without the JIT."""

import math

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Value,
    Window,
)
from django.db.models.functions import Ceil, Floor, RowNumber

# --- SQL building blocks -------------------------------------------------------------------------------------


class SecondsBetween(Func):
    """`end - start` in seconds as a float, on PostgreSQL and SQLite (Django has no portable epoch difference)."""

    arity = 2
    output_field = FloatField()

    def _parts(self, compiler):
        end_sql, end_params = compiler.compile(self.source_expressions[0])
        start_sql, start_params = compiler.compile(self.source_expressions[1])
        return end_sql, start_sql, (*end_params, *start_params)

    def as_sql(self, compiler, connection, **extra):
        end_sql, start_sql, params = self._parts(compiler)
        return f"((julianday({end_sql}) - julianday({start_sql})) * 86400.0)", params

    def as_postgresql(self, compiler, connection, **extra):
        end_sql, start_sql, params = self._parts(compiler)
        return f"(EXTRACT(EPOCH FROM ({end_sql} - {start_sql}))::double precision)", params


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(p) WITHIN GROUP (ORDER BY expr)` — an ordered-set aggregate."""

    function = "percentile_cont"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentiles(qs: QuerySet, value, fractions: tuple[float, ...], group=None) -> dict:
    """{group key: (n, {fraction: value})} of `value` over `qs`, interpolated like percentile_cont.

    PostgreSQL computes them with percentile_cont; elsewhere (SQLite) the database numbers the ordered values per
    group with window functions and returns only the one or two rows each percentile falls between.
    """
    group = group if group is not None else Value(0)
    qs = qs.order_by().annotate(_g=group, _v=value).filter(_v__isnull=False)
    if connection.vendor == "postgresql":
        rows = qs.values("_g").annotate(
            _n=Count("pk"), **{f"_p{i}": PercentileCont("_v", p) for i, p in enumerate(fractions)}
        )
        return {r["_g"]: (r["_n"], {p: r[f"_p{i}"] for i, p in enumerate(fractions)}) for r in rows}
    qs = qs.annotate(
        _rn=Window(RowNumber(), partition_by=[F("_g")], order_by=[F("_v").asc(), F("pk").asc()]),
        _n=Window(Count("pk"), partition_by=[F("_g")]),
    )
    wanted = Q()
    for p in fractions:
        pos = (F("_n") - 1) * Value(float(p))
        wanted |= Q(_rn=Floor(pos) + 1) | Q(_rn=Ceil(pos) + 1)
    picked: dict = {}
    for g, v, rn, n in qs.filter(wanted).values_list("_g", "_v", "_rn", "_n"):
        picked.setdefault(g, (n, {}))[1][rn - 1] = v
    result = {}
    for g, (n, by_offset) in picked.items():
        values = {}
        for p in fractions:
            pos = (n - 1) * p
            lo, hi = math.floor(pos), math.ceil(pos)
            values[p] = by_offset[lo] + (by_offset[hi] - by_offset[lo]) * (pos - lo)
        result[g] = (n, values)
    return result
