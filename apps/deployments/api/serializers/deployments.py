"""API shapes of a deployment: as clients read it, what they write to plan and edit one (one or many at once), and
what a transition takes."""

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


def _reader(model, name: str, field):
    """A function of (row, current time zone) reading one field of `model` straight into its JSON value, as `field`
    would. The time zone is looked up once a row: per datetime it was a tenth of an API list."""
    source = field.source
    if isinstance(field, RiskFactorsField):
        return lambda obj, zone: field.read(obj)
    if isinstance(field, serializers.ManyRelatedField):  # ids read by deployment_linked_ids if the list did

        def related_ids(obj, zone):
            linked = obj.__dict__.get("linked_ids")
            return linked[source] if linked is not None else [related.pk for related in getattr(obj, source).all()]

        return related_ids
    if isinstance(field, serializers.PrimaryKeyRelatedField):
        attname = model._meta.get_field(source).attname
        return lambda obj, zone: getattr(obj, attname)
    if isinstance(field, serializers.DateTimeField):
        return lambda obj, zone: _iso(getattr(obj, source), zone)
    if type(field) in (serializers.CharField, serializers.ChoiceField, serializers.IntegerField):
        return lambda obj, zone: getattr(obj, source)  # str and int columns, already what the JSON needs
    if isinstance(field, serializers.BooleanField):
        return lambda obj, zone: getattr(obj, source)

    def generic(obj, zone):
        value = getattr(obj, source)
        return None if value is None else field.to_representation(value)

    return generic


class DeploymentSerializer(serializers.ModelSerializer):
    """A deployment as clients read it. `version` is the optimistic-locking counter to send back on edits.

    A page of the register is 50 of these: each row is written by per-field readers built once per process from
    the declared fields (same values as DRF's field machinery, which the tests compare), not by DRF's per-field
    `get_attribute`; building the fields themselves on every request was a tenth of an API list."""

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

    def to_representation(self, instance):
        readers = type(self).__dict__.get("_readers")
        if readers is None:  # once per process: the fields are the class's declaration, the same for every request
            readers = [(name, _reader(Deployment, name, field)) for name, field in self.fields.items()]
            type(self)._readers = readers
        zone = _DATETIME.default_timezone()
        return {name: read(instance, zone) for name, read in readers}


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
