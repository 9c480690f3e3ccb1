"""The fields and bounds the deployments API's shapes share: ids parsed strictly, related ids looked up among what
the requesting user may see, the text bounds, the knowledge links and the severity."""

import functools
from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.db import router
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.catalog.models import ComponentVersion, Service, ServiceComponent, Supplier
from apps.core.compiled import CompiledQuery, CompiledUnion
from apps.core.permissions import is_signed_in, objects_for_user
from apps.deployment_models.models import DeploymentModel
from apps.deployments.models import MAX_KNOWLEDGE_LINKS, Severity
from apps.environments.models import Environment

MAX_ID = 2**63 - 1  # larger ids cannot exist; DRF would pass them to the database
MAX_TEXT = 20_000  # a generous bound for free-text fields, so a huge body is a 400 rather than a stored megabyte


def knowledge_links_field() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=2000),
        required=False,
        max_length=MAX_KNOWLEDGE_LINKS,
        help_text="http(s) addresses of knowledge articles the handover links.",
    )


def parse_id(raw) -> int | None:
    """`raw` as a positive id, or None. Only ASCII digits: `"²".isdigit()` is true but `int("²")` fails."""
    text = str(raw)
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


class IdField(serializers.PrimaryKeyRelatedField):
    """A related id, looked up only among the objects the requesting user may see; an unknown id is a 400."""

    def __init__(self, **kwargs):
        self.scope = kwargs.pop("scope")
        kwargs.setdefault("queryset", self.scope(None))
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return self.scope(getattr(request, "user", None))

    def to_internal_value(self, data):
        if isinstance(data, bool) or (isinstance(data, int) and not 0 < data <= MAX_ID):
            self.fail("does_not_exist", pk_value=data)
        if _valid_id(data) is None:
            if isinstance(data, str):
                self.fail("incorrect_type", data_type="str")
            self.fail("incorrect_type", data_type=type(data).__name__)
        # one lookup per id and request: the items of a bulk call often name the same service and environment
        memo = self.context.setdefault("_id_lookups", {}) if isinstance(self.context, dict) else {}
        key = (self.scope, str(data))
        if key not in memo:
            memo[key] = self._lookup(data)
        return memo[key]

    def _lookup(self, data):
        """The object `data` names, by a query compiled once per process when what a signed-in user may see of
        the scope does not depend on who they are (DRF's lookup built and compiled a queryset per id)."""
        everyone = getattr(self.scope, "everyone", None)
        if everyone is None or not is_signed_in(getattr(self.context.get("request"), "user", None)):
            return super().to_internal_value(data)
        rows = _lookup_query(everyone, router.db_for_read(everyone().model)).fetch(pk=int(data))
        if not rows:
            self.fail("does_not_exist", pk_value=data)
        return rows[0]


def _valid_id(data) -> int | None:
    """The id `data` names, when an IdField would look it up (an int in range, or a string of ASCII digits)."""
    if isinstance(data, bool) or not isinstance(data, int | str):
        return None
    if isinstance(data, int):
        return data if 0 < data <= MAX_ID else None
    return parse_id(data)


_PK = -8_000_001  # the stand-in for the id a lookup binds (no row has a negative id)


@functools.cache
def _lookup_query(everyone, using: str) -> CompiledQuery:
    # prepared: a look-up by primary key has one best plan, and PostgreSQL took longer to plan it than to run it
    return CompiledQuery(everyone().filter(pk=_PK), marks={"pk": _PK}, using=using, prepare=True)


LOOKUPS_AT_ONCE = 20  # past this many ids in one body, each is looked up by its field


@functools.lru_cache(maxsize=64)
def _lookups_query(shape: tuple, using: str) -> CompiledUnion:
    """The look-ups of `shape` ((everyone, number of ids), ...) in one statement, compiled once per process."""
    stand_ins = iter(range(_PK, _PK - LOOKUPS_AT_ONCE * len(shape), -1))
    parts, marks = [], {}
    for i, (everyone, count) in enumerate(shape):
        ids = {f"{i}_{k}": next(stand_ins) for k in range(count)}
        parts.append(everyone().filter(pk__in=list(ids.values())))
        marks |= ids
    return CompiledUnion(parts, marks=marks, using=using, prepare=True)  # look-ups by primary key, as above


class IdLookupsAtOnceMixin:
    """A serializer whose related ids, in the scopes every signed-in user may name, are looked up together in one
    query before its fields validate (a round trip instead of one per id): each IdField then finds its object in
    the request's memo. Malformed and unknown ids are left to the fields, which refuse them as before."""

    def to_internal_value(self, data):
        _look_up_at_once(self, data)
        return super().to_internal_value(data)


def _look_up_at_once(serializer, data) -> None:
    context = serializer.context
    if not isinstance(context, dict) or not isinstance(data, Mapping):
        return
    if not is_signed_in(getattr(context.get("request"), "user", None)):
        return
    memo = context.setdefault("_id_lookups", {})
    wanted: dict = {}  # everyone → {id: [memo keys]}
    for field in serializer._writable_fields:
        many = isinstance(field, serializers.ManyRelatedField)
        child = field.child_relation if many else field
        everyone = getattr(getattr(child, "scope", None), "everyone", None)
        if not isinstance(child, IdField) or everyone is None:
            continue
        value = field.get_value(data)
        for raw in (value if isinstance(value, list) else []) if many else [value]:
            pk, key = _valid_id(raw), (child.scope, str(raw))
            if pk is not None and key not in memo:
                wanted.setdefault(everyone, {}).setdefault(pk, []).append(key)
    using = {router.db_for_read(_model_of(everyone)) for everyone in wanted}
    if len(using) != 1 or sum(len(ids) for ids in wanted.values()) > LOOKUPS_AT_ONCE:
        return
    scopes = list(wanted.items())
    query = _lookups_query(tuple((everyone, len(ids)) for everyone, ids in scopes), using.pop())
    values = {f"{i}_{k}": pk for i, (_everyone, ids) in enumerate(scopes) for k, pk in enumerate(ids)}
    for (_everyone, ids), found in zip(scopes, query.fetch(**values), strict=True):
        for obj in found:
            for key in ids.get(obj.pk, []):
                memo[key] = obj


@functools.cache
def _model_of(everyone):
    """The model of a scope's objects, found once per process rather than by making the scope's queryset on every
    request."""
    return everyone().model


def _scope(model, view_perm: str | None = None, everyone=None):
    """The objects of `model` `user` may name: none when not signed in; those they hold `view_perm` on, or
    `everyone()` (all of them by default). Without `view_perm` the scope keeps `everyone`: what every signed-in
    user may name, the same for all of them."""
    everyone = everyone or model.objects.all

    def scope(user):
        if not is_signed_in(user):
            return model.objects.none()
        return objects_for_user(user, view_perm, everyone()) if view_perm else everyone()

    scope.everyone = None if view_perm else everyone
    return scope


services = _scope(Service)
environments = _scope(Environment)
suppliers = _scope(Supplier)
components = _scope(ServiceComponent)
# the plan checks each version's service
component_versions = _scope(ComponentVersion, everyone=lambda: ComponentVersion.objects.select_related("component"))
deployment_models = _scope(DeploymentModel, "deployment_models.view_deploymentmodel")
users = _scope(get_user_model(), everyone=lambda: get_user_model().objects.filter(is_active=True))


@extend_schema_field(
    {"type": "string", "pattern": f"^({'|'.join(Severity.values)})$", "description": ", ".join(Severity.values)}
)
class SeverityField(serializers.ChoiceField):
    """Documented as a pattern, not an enum: the same values as a service's criticality would otherwise give two
    names to one OpenAPI enum."""
