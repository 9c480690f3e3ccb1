"""API shapes of a deployment: as clients read it, what they write to plan and edit one (one or many at once), and
what a transition takes."""

import operator

from django.db import models
from rest_framework import serializers

from apps.core.api.serializers import FieldsOnceMixin
from apps.deployments.api.serializers.fields import (
    MAX_ID,
    MAX_TEXT,
    IdField,
    IdLookupsAtOnceMixin,
    component_versions,
    components,
    deployment_models,
    environments,
    knowledge_links_field,
    services,
    suppliers,
    users,
)
from apps.deployments.api.serializers.risk import RiskFactorsField
from apps.deployments.models import Deployment
from apps.deployments.services.planning import BULK_LIMIT, EDITABLE_FIELDS, PLANNED_FIELDS

DEPLOYMENT_FIELDS = [
    "id",
    "reference",
    *PLANNED_FIELDS,
    "actual_start",
    "actual_end",
    "status",
    "requester",
    "practitioners",
    "version",
    "change_ref",
    "release_ref",
    "manager",
    "supplier",
    "requirements",
    "acceptance_criteria",
    "is_rollback",
    "outcome",
    "handover_note",
    "knowledge_links",
    "external_id",
    "stage",
    "created_at",
    "updated_at",
    "submitted_at",
    "approved_at",
    "override_count",
    "released_at",
    "released_by",
    "back_out_plan",
    "pilot_confirmed_by",
    "pilot_confirmed_at",
    "pilot_comment",
    "risk_score",
    "risk_factors",
]
# what a client may write on POST (besides `component`/`version`/...) and on PATCH/PUT: what the services let edit
WRITABLE_FIELDS = list(EDITABLE_FIELDS)


_DATETIME = serializers.DateTimeField()  # made once: a field made per value (8 a row) was a third of an API list


def _iso(value, zone) -> str | None:
    """A datetime as DRF's DateTimeField writes it (in the current time zone `zone`, UTC as `Z`)."""
    if value is None:
        return None
    if zone is not None and value.tzinfo is not None:  # what the database gives: as DRF's enforce_timezone does
        value = value.astimezone(zone).isoformat()
    else:
        value = _DATETIME.enforce_timezone(value).isoformat()
    return value[:-6] + "Z" if value.endswith("+00:00") else value


def _reader(model, field) -> tuple[str, object]:
    """(the attribute `field` reads on a row, a function of (that attribute's value, row, current time zone) making
    its JSON value, or None when the value is already it), as `field` would write it. The time zone is looked up
    once a row: per datetime it was a tenth of an API list."""
    source = field.source
    if isinstance(field, RiskFactorsField):
        return "pk", lambda value, obj, zone: field.read(obj)
    if isinstance(field, serializers.ManyRelatedField):  # ids read by deployment_linked_ids if the list did

        def related_ids(value, obj, zone):
            linked = obj.__dict__.get("linked_ids")
            return linked[source] if linked is not None else [related.pk for related in getattr(obj, source).all()]

        return "pk", related_ids
    if isinstance(field, serializers.PrimaryKeyRelatedField):
        return model._meta.get_field(source).attname, None
    if isinstance(field, serializers.DateTimeField):
        return source, lambda value, obj, zone: _iso(value, zone)
    if type(field) in (serializers.CharField, serializers.ChoiceField, serializers.IntegerField):
        return source, None  # str and int columns, already what the JSON needs
    if isinstance(field, serializers.BooleanField):
        return source, None
    return source, lambda value, obj, zone: None if value is None else field.to_representation(value)


class _RowWriter:
    """Writes a row's representation: every field's attribute read at once (`attrgetter`, in C), then only the
    values that are not yet their JSON value (times, related ids, risk factors) made so; the names zipped onto the
    values in the declared order. A Python function call per field was most of serializing a list."""

    def __init__(self, model, fields: dict):
        self.names = tuple(fields)
        readers = [_reader(model, field) for field in fields.values()]
        self.getter = operator.attrgetter(*(attribute for attribute, _ in readers), "pk")  # a tuple even for one
        self.fixes = tuple((i, make) for i, (_, make) in enumerate(readers) if make is not None)

    def write(self, obj, zone) -> dict:
        values = list(self.getter(obj))
        for i, make in self.fixes:
            values[i] = make(values[i], obj, zone)
        return dict(zip(self.names, values, strict=False))  # the getter's last value ("pk") is left off


class _DeploymentListSerializer(serializers.ListSerializer):
    """Many deployments: each row by the child's writer, the current time zone looked up once for all of them."""

    def to_representation(self, data):
        iterable = data.all() if isinstance(data, models.manager.BaseManager) else data
        writer, zone = self.child.writer(), _DATETIME.default_timezone()
        return [writer.write(item, zone) for item in iterable]


class DeploymentSerializer(serializers.ModelSerializer):
    """A deployment as clients read it. `version` is the optimistic-locking counter to send back on edits.

    A page of the register is 50 of these: each row is written by per-field readers built once per process from
    the declared fields (same values as DRF's field machinery, which the tests compare), not by DRF's per-field
    `get_attribute`; building the fields themselves on every request was a tenth of an API list."""

    # the docstring above is the schema's description of a deployment: the readers are a `_RowWriter`

    component_versions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    practitioners = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    knowledge_links = serializers.ListField(
        child=serializers.URLField(), read_only=True, help_text="Knowledge articles the handover note links."
    )
    risk_score = serializers.IntegerField(
        read_only=True, help_text="0–100: the sum of the risk factors' contributions."
    )
    risk_factors = RiskFactorsField(help_text="Each factor of the risk score with the number behind it.")

    class Meta:
        model = Deployment
        fields = DEPLOYMENT_FIELDS
        read_only_fields = DEPLOYMENT_FIELDS
        list_serializer_class = _DeploymentListSerializer

    def writer(self) -> _RowWriter:
        """The row writer of this class, built once per process: its fields are the class's declaration, the same
        for every request."""
        writer = type(self).__dict__.get("_writer")
        if writer is None:
            writer = _RowWriter(Deployment, self.fields)
            type(self)._writer = writer
        return writer

    def to_representation(self, instance):
        return self.writer().write(instance, _DATETIME.default_timezone())


class _DeploymentWriteSerializer(IdLookupsAtOnceMixin, FieldsOnceMixin, serializers.ModelSerializer):
    model = IdField(scope=deployment_models, required=False, allow_null=True)
    service = IdField(scope=services)
    environment = IdField(scope=environments)
    component_versions = IdField(scope=component_versions, many=True, required=False)
    manager = IdField(scope=users, required=False, allow_null=True)
    practitioners = IdField(scope=users, many=True, required=False)
    supplier = IdField(scope=suppliers, required=False, allow_null=True)
    requirements = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    acceptance_criteria = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    handover_note = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    knowledge_links = knowledge_links_field()
    outcome = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    back_out_plan = serializers.CharField(
        max_length=MAX_TEXT,
        required=False,
        allow_blank=True,
        help_text="How to undo it; prefilled from the model's rollback procedure. Editable until the deployment is "
        "final by its executors (a PATCH of `back_out_plan` alone).",
    )

    class Meta:
        model = Deployment
        fields = WRITABLE_FIELDS

    def validate(self, attrs):
        start = attrs.get("planned_start", getattr(self.instance, "planned_start", None))
        end = attrs.get("planned_end", getattr(self.instance, "planned_end", None))
        if start and end and end <= start:
            raise serializers.ValidationError({"planned_end": "The planned end must be after the planned start."})
        return attrs


class DeploymentCreateInputSerializer(_DeploymentWriteSerializer):
    """A new deployment. A pipeline may name one component version by `component` + `version` (the version
    string) + `repository_ref` + `checksum` instead of (or besides) `component_versions` ids: the version is
    registered in the catalog if it is not there yet."""

    external_id = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="The pipeline run that created it."
    )
    component = IdField(
        scope=components, required=False, write_only=True, help_text="A component of `service` (pipelines)."
    )
    version = serializers.CharField(
        max_length=100,
        required=False,
        write_only=True,
        help_text="With `component`: the component version string, e.g. `1.4.2` (not the locking version).",
    )
    repository_ref = serializers.CharField(max_length=500, required=False, allow_blank=True, write_only=True)
    checksum = serializers.CharField(max_length=100, required=False, allow_blank=True, write_only=True)

    class Meta(_DeploymentWriteSerializer.Meta):
        fields = [*WRITABLE_FIELDS, "external_id", "component", "version", "repository_ref", "checksum"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        component = attrs.get("component")
        if component is not None:
            if not (attrs.get("version") or "").strip():
                raise serializers.ValidationError({"version": "Give the component's version string."})
            if component.service_id != attrs["service"].pk:
                raise serializers.ValidationError(
                    {"component": f"“{component.name}” is a component of another service."}
                )
        else:
            for name in ("repository_ref", "checksum"):
                if attrs.get(name):
                    raise serializers.ValidationError({name: "Only with `component` and `version`."})
            attrs.pop("version", None)  # a copied representation's locking version means nothing on create
        return attrs


class DeploymentBulkInputSerializer(serializers.Serializer):
    """Several deployments planned in one call: each item as for a single POST."""

    deployments = DeploymentCreateInputSerializer(many=True, allow_empty=False, max_length=BULK_LIMIT)


class DeploymentBulkSerializer(serializers.Serializer):
    """The deployments a bulk call planned, in the order they were sent."""

    deployments = DeploymentSerializer(many=True, read_only=True)


class DeploymentUpdateInputSerializer(_DeploymentWriteSerializer):
    """An edit: `version` is the one the client read; a stale one is refused with 409."""

    version = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The `version` of the deployment as you read it."
    )

    class Meta(_DeploymentWriteSerializer.Meta):
        fields = [*WRITABLE_FIELDS, "version"]


class TransitionInputSerializer(serializers.Serializer):
    """`handover_note` and `knowledge_links` are taken by `complete` only (the handover written at completion)."""

    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_TEXT,
        default="",
        help_text="Deployment managers only: the justification for overriding a conflict, freeze or gate.",
    )
    version = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="If given, refused with 409 when stale."
    )
    handover_note = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_TEXT, help_text="`complete` only: the handover note."
    )
    knowledge_links = knowledge_links_field()
