"""The calendar's conflict check (DESIGN.md §2): the planned deployments a shown one can conflict with, read by its
service and its environment around its own window, and the conflicts found among them. A shown deployment's overlaps
in an environment that allows no parallel deployments are listed up to OVERLAPS_LISTED, the rest counted in one
reason ("Overlaps 37 more deployments in …"): in a busy environment a deployment overlaps dozens, which grow with the
deployments an hour, and the page lists what a person reads (a deployment's readiness panel names every booked one)."""

import datetime as dt
from bisect import bisect_left
from collections import Counter, defaultdict
from typing import NamedTuple

from django.db.models import Count, QuerySet, Window

from apps.core.for_each import CompiledForEach
from apps.deployments import workflow
from apps.deployments.models import Deployment
from apps.reports.selectors.calendar_days import ENVIRONMENT, overlapping, window

MAX_EVENTS = 5000  # a shown deployment's partners are read up to this many rows (a partner and component) a query
OVERLAPS_LISTED = 3  # a shown deployment's overlaps in its serial environment listed by reference; the rest counted
SHOWN, SHOWN_MARK = "shown", -8_000_006  # the shown deployment's id, left out of its own overlaps
SERVICE, SERVICE_MARK = "service", -8_000_005  # a service's stand-in while the partners' query is compiled
# a shown deployment's overlaps in its environment end before its end plus the longest window: bounded by their planned
# end too, they are read through the planned windows' own index (dep_planned_env_end: one descent a deployment, not one
# a status)
UNTIL, UNTIL_MARK = "until", dt.datetime(1901, 2, 3, 4, 5, 6, 444, tzinfo=dt.UTC)


class PlannedWindow(NamedTuple):
    """A planned deployment as the conflict check reads it (hundreds per month at scale: no model instances)."""

    pk: int
    reference: str
    environment_id: int
    planned_start: dt.datetime
    planned_end: dt.datetime
    components: frozenset | None = None  # its components' ids, when read with it


class Overlaps(NamedTuple):
    """A shown deployment's overlaps in its serial environment: the first OVERLAPS_LISTED by planned start, and how
    many more there are."""

    listed: list[PlannedWindow]
    more: int


def _overlap(a_start, a_end, b_start, b_end) -> bool:
    return a_start < b_end and b_start < a_end


class _ByStart:
    """Planned deployments in order of planned start, those starting in a range found by bisection: the partners
    of a shown deployment are the few of its environment or component whose windows can reach it, not all of them
    (at ten million, thousands a month)."""

    def __init__(self, ordered: list):
        self.ordered, self.starts = ordered, [d.planned_start for d in ordered]

    def starting(self, since: dt.datetime, before: dt.datetime) -> list:
        return self.ordered[bisect_left(self.starts, since) : bisect_left(self.starts, before)]


def calendar_conflicts(
    deployments: list[Deployment], freezes: list, planned: list | None = None, components=None, overlaps=None
) -> dict[int, list[str]]:
    """Conflicts of the shown deployments (DESIGN.md §2) with the planned deployments of the range (by default the
    shown ones): overlapping in an environment that allows no parallel deployments (the first OVERLAPS_LISTED by
    planned start, then how many more), the same component deployed in overlapping windows, or planned inside a freeze
    (`freezes`: the range's `calendar.Occurrence`s; this module sits below the calendar's). Partners are looked up per
    environment and per component. `components`: the shown planned deployments' components, when already read
    (`components_of`); `overlaps`: their overlaps in their serial environments, when read (`partners_of`), otherwise
    found among `planned`."""
    shown = [d for d in deployments if d.status in workflow.PLANNED]
    planned = shown if planned is None else planned
    found: dict[int, list[str]] = defaultdict(list)
    known: dict[int, set[int]] = dict(components or {})
    asked = {d.pk for d in shown} if components is not None else set()
    for b in planned:
        if getattr(b, "components", None) is not None:  # read with the partner (partners_of)
            known[b.pk] = set(b.components)
            asked.add(b.pk)
    missing = sorted(({d.pk for d in shown} | {d.pk for d in planned}) - asked)
    components = {**known, **components_of(missing)} if missing else known
    by_env: dict[int, list[Deployment]] = defaultdict(list)
    by_component: dict[int, list[Deployment]] = defaultdict(list)
    for b in sorted(planned, key=lambda d: (d.planned_start, d.pk)):
        by_env[b.environment_id].append(b)
        for component_id in components.get(b.pk, ()):
            by_component[component_id].append(b)
    longest = max((b.planned_end - b.planned_start for b in planned), default=dt.timedelta(0))
    envs = {key: _ByStart(group) for key, group in by_env.items()}
    parts = {key: _ByStart(group) for key, group in by_component.items()}
    for a in shown:
        mine = components.get(a.pk, set())
        serial = not a.environment.allows_parallel_deployments
        read = overlaps.get(a.pk) if serial and overlaps is not None else None
        groups = [parts[c] for c in mine if c in parts]
        if serial and read is None and a.environment_id in envs:
            groups.append(envs[a.environment_id])
        partners = {b.pk: b for group in groups for b in group.starting(a.planned_start - longest, a.planned_end)}
        overlapping = sorted(
            (
                b
                for b in partners.values()
                if b.pk != a.pk and _overlap(a.planned_start, a.planned_end, b.planned_start, b.planned_end)
            ),
            key=lambda d: (d.planned_start, d.pk),
        )
        if serial and read is None:
            in_env = [b for b in overlapping if b.environment_id == a.environment_id]
            read = Overlaps(in_env[:OVERLAPS_LISTED], max(len(in_env) - OVERLAPS_LISTED, 0))
        listed = {b.pk for b in read.listed} if read else set()
        ordered = {b.pk: b for b in (*overlapping, *(read.listed if read else ()))}
        for b in sorted(ordered.values(), key=lambda d: (d.planned_start, d.pk)):
            if b.pk in listed:
                found[a.pk].append(f"Overlaps {b.reference} in {a.environment}, which allows no parallel deployments.")
            if mine & components.get(b.pk, set()):
                found[a.pk].append(f"Deploys the same component as {b.reference} in an overlapping window.")
        if read and read.more:
            more = f"{read.more} more deployment{'s' if read.more > 1 else ''}"
            found[a.pk].append(f"Overlaps {more} in {a.environment}, which allows no parallel deployments.")
        for occ in freezes:
            applies = occ.window.environment_id in (None, a.environment_id)
            if applies and _overlap(a.planned_start, a.planned_end, occ.start, occ.end):
                found[a.pk].append(f"Inside the freeze “{occ.window.name}” ({occ.scope}).")
    return dict(found)


def partners_of(
    qs: QuerySet[Deployment], shown: list[Deployment], longest: dt.timedelta
) -> tuple[list[PlannedWindow], bool, dict[int, Overlaps]]:
    """The planned deployments (of `qs`, as filtered) a conflict of the shown ones can be with, whether some were cut
    at MAX_EVENTS rows a stretch, and the shown ones' overlaps in their serial environments. For each shown planned
    deployment: those of its service overlapping its window, with their components (a deployment's versions are its
    service's: planning refuses others, so only these can deploy one of its components), read through the service's
    index on the planned start, from its start less the longest window (`longest`), the overlapping windows of one
    service read as one stretch; and, when its environment allows no parallel deployments, the first OVERLAPS_LISTED
    of that environment overlapping it, by planned start, with how many there are (`Overlaps`; the rows read do not
    grow with the deployments an hour, only the count does). So a shown deployment costs the few its service plans
    around it and a few of its environment, not every deployment of the hours the shown ones cover (thousands at ten
    million). The shown ones are among their own partners, read with their components; the listed overlaps are
    partners too. Two queries (one when no shown one's environment is serial), each planned once."""
    mine = [d for d in shown if d.status in workflow.PLANNED and d.planned_start is not None and d.planned_end]
    found: dict[int, tuple] = {}
    parts: dict[int, set[int]] = defaultdict(set)
    sets = [{**window(start, end, longest), SERVICE: value} for value, start, end in _stretches(mine)]
    read: Counter = Counter()
    for i, *row in _partners_query(qs).rows(sets) if sets else ():
        read[i] += 1
        component_id = row.pop()  # a row a component
        found.setdefault(row[0], row)  # a partner of two stretches is read for each
        if component_id is not None:
            parts[row[0]].add(component_id)
    truncated = any(n > MAX_EVENTS for n in read.values())
    serial = [d for d in mine if not d.environment.allows_parallel_deployments]
    overlaps: dict[int, Overlaps] = {d.pk: Overlaps([], 0) for d in serial}
    sets = [
        {
            **window(d.planned_start, d.planned_end, longest),
            ENVIRONMENT: d.environment_id,
            SHOWN: d.pk,
            UNTIL: d.planned_end + longest,
        }
        for d in serial
    ]
    for i, *row, total in _overlaps_query(qs).rows(sets) if sets else ():
        pk = serial[i].pk
        partner = PlannedWindow(*row)
        overlaps[pk].listed.append(partner)
        overlaps[pk] = Overlaps(overlaps[pk].listed, total - len(overlaps[pk].listed))
        found.setdefault(partner.pk, row)
    for item in overlaps.values():
        item.listed.sort(key=lambda p: (p.planned_start, p.pk))
    partners = [PlannedWindow(*row, frozenset(parts[pk])) for pk, row in found.items()]
    return sorted(partners, key=lambda p: (p.planned_start, p.pk)), truncated, overlaps


def _stretches(deployments: list[Deployment]) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """(service id, start, end) of the deployments' planned windows, those of one service that overlap merged: a
    partner of one of them overlaps its stretch, and is read once for it."""
    stretches: list[list] = []
    for d in sorted(deployments, key=lambda d: (d.service_id, d.planned_start)):
        if stretches and stretches[-1][0] == d.service_id and d.planned_start < stretches[-1][2]:
            stretches[-1][2] = max(stretches[-1][2], d.planned_end)
        else:
            stretches.append([d.service_id, d.planned_start, d.planned_end])
    return [(value, start, end) for value, start, end in stretches]


def _partners_query(qs: QuerySet[Deployment]) -> CompiledForEach:
    """The planned deployments of `qs` of a service overlapping a window, a row per component, at most MAX_EVENTS + 1
    rows a window."""
    planned, marks = overlapping(qs.filter(status__in=workflow.PLANNED))
    planned, marks = planned.filter(service_id=SERVICE_MARK), {**marks, SERVICE: SERVICE_MARK}
    columns = ["pk", "reference", "environment_id", "planned_start", "planned_end", "component_versions__component_id"]
    rows = planned.order_by().values_list(*columns)
    return CompiledForEach(rows[: MAX_EVENTS + 1], marks=marks, using=qs.db)


def _overlaps_query(qs: QuerySet[Deployment]) -> CompiledForEach:
    """The planned deployments of `qs` of an environment overlapping a shown deployment's window, other than it: the
    first OVERLAPS_LISTED by planned start, each with how many there are (a window count, taken before the limit).
    Their planned end is also below the window's end plus the longest window (`UNTIL`), so they are read through the
    planned windows' own index (dep_planned_env_end: one descent a window, not one a status)."""
    planned, marks = overlapping(qs.filter(status__in=workflow.PLANNED), by_environment=True)
    planned = planned.filter(planned_end__lt=UNTIL_MARK).exclude(pk=SHOWN_MARK)
    marks = {**marks, UNTIL: UNTIL_MARK, SHOWN: SHOWN_MARK}
    rows = (
        planned.annotate(total=Window(Count("pk")))
        .order_by("planned_start", "pk")
        .values_list("pk", "reference", "environment_id", "planned_start", "planned_end", "total")
    )
    return CompiledForEach(rows[:OVERLAPS_LISTED], marks=marks, using=qs.db)


def components_of(deployment_ids: list[int]) -> dict[int, set[int]]:
    if not deployment_ids:
        return {}
    through = Deployment.component_versions.through
    result: dict[int, set[int]] = defaultdict(set)
    rows = through.objects.filter(deployment_id__in=deployment_ids).values_list(
        "deployment_id", "componentversion__component_id"
    )
    for deployment_id, component_id in rows:
        result[deployment_id].add(component_id)
    return result
