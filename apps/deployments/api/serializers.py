"""API shapes of deployments and what the process records on them (DESIGN.md §5); input is parsed here and
written by the services."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.catalog.models import ComponentVersion, Service, ServiceComponent, Supplier
from apps.core.permissions import is_signed_in, objects_for_user
from apps.deployment_models.models import DeploymentModel
from apps.deployments.api.risk import RiskFactorsField
from apps.deployments.models import (
    MAX_KNOWLEDGE_LINKS,
    Check,
    CheckResult,
    Deployment,
    DeploymentEvent,
    DeploymentProblem,
    Feedback,
    IncidentLink,
    Severity,
)
from apps.deployments.services.planning import BULK_LIMIT
from apps.environments.models import Environment

MAX_ID = 2**63 - 1  # larger ids cannot exist; DRF would pass them to the database
MAX_TEXT = 20_000  # a generous bound for free-text fields, so a huge body is a 400 rather than a stored megabyte

DEPLOYMENT_FIELDS = [
    "id",
    "reference",
    "title",
    "action",
    "trigger",
    "model",
    "service",
    "component_versions",
    "environment",
    "planned_start",
    "planned_end",
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
# what a client may write on POST (besides `component`/`version`/...) and on PATCH/PUT
WRITABLE_FIELDS = [
    "title",
    "action",
    "trigger",
    "model",
    "service",
    "component_versions",
    "environment",
    "planned_start",
    "planned_end",
    "change_ref",
    "release_ref",
    "manager",
    "practitioners",
    "supplier",
    "requirements",
    "acceptance_criteria",
    "is_rollback",
    "handover_note",
    "knowledge_links",
    "outcome",
    "back_out_plan",
]


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
        if isinstance(data, str) and parse_id(data) is None:
            self.fail("incorrect_type", data_type="str")
        if not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        # one lookup per id and request: the items of a bulk call often name the same service and environment
        memo = self.context.setdefault("_id_lookups", {}) if isinstance(self.context, dict) else {}
        key = (self.scope, str(data))
        if key not in memo:
            memo[key] = super().to_internal_value(data)
        return memo[key]


def _scope(model, view_perm: str | None = None):
    def scope(user):
        if not is_signed_in(user):
            return model.objects.none()
        qs = model.objects.all()
        return objects_for_user(user, view_perm, qs) if view_perm else qs

    return scope


services = _scope(Service)
environments = _scope(Environment)
suppliers = _scope(Supplier)
components = _scope(ServiceComponent)


def component_versions(user):
    return _scope(ComponentVersion)(user).select_related("component")  # the plan checks each version's service


deployment_models = _scope(DeploymentModel, "deployment_models.view_deploymentmodel")


def users(user):
    if not is_signed_in(user):
        return get_user_model().objects.none()
    return get_user_model().objects.filter(is_active=True)


@extend_schema_field(
    {"type": "string", "pattern": f"^({'|'.join(Severity.values)})$", "description": ", ".join(Severity.values)}
)
class SeverityField(serializers.ChoiceField):
    """Documented as a pattern, not an enum: the same values as a service's criticality would otherwise give two
    names to one OpenAPI enum."""


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

    A page of the register is 50 of these: each row is written by per-field readers built once per serializer
    (same values as DRF's field machinery, which the tests compare), not by DRF's per-field `get_attribute`."""

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
        readers = self.__dict__.get("_readers")
        if readers is None:
            readers = self._readers = [(name, _reader(Deployment, name, field)) for name, field in self.fields.items()]
        zone = _DATETIME.default_timezone()
        return {name: read(instance, zone) for name, read in readers}


class _DeploymentWriteSerializer(serializers.ModelSerializer):
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


class DeploymentEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeploymentEvent
        fields = ["id", "at", "actor", "channel", "token_name", "kind", "from_status", "to_status", "comment", "data"]
        read_only_fields = fields


class CheckSerializer(serializers.ModelSerializer):
    class Meta:
        model = Check
        fields = [
            "id",
            "kind",
            "description",
            "result",
            "evidence",
            "component_version",
            "observed_checksum",
            "required",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class CheckRecordInputSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=[c for c in CheckResult.choices if c[0] != CheckResult.PENDING])
    evidence = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_TEXT,
        default="",
        help_text="Needed to pass a required check (what was verified, and how); for `n_a`, the reason.",
    )
    observed_checksum = serializers.CharField(
        required=False, allow_blank=True, max_length=100, default="", help_text="SHA-256, 64 hex digits."
    )


class FeedbackSerializer(serializers.ModelSerializer):
    rating_lead_time = serializers.IntegerField(min_value=1, max_value=5)
    rating_quality = serializers.IntegerField(min_value=1, max_value=5)
    rating_rate_of_change = serializers.IntegerField(
        min_value=1,
        max_value=5,
        required=False,
        allow_null=True,
        default=None,
        help_text="Satisfaction with the rate of change, 1–5; optional (null when not answered).",
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")

    class Meta:
        model = Feedback
        fields = ["id", "user", "rating_lead_time", "rating_quality", "rating_rate_of_change", "comment", "at"]
        read_only_fields = ["id", "user", "at"]


class IncidentLinkSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(
        choices=["open", "resolved", "withdrawn"], read_only=True, help_text="Withdrawn links count nowhere."
    )

    class Meta:
        model = IncidentLink
        fields = [
            "id",
            "incident_ref",
            "title",
            "severity",
            "opened_at",
            "resolved_at",
            "resolved_by",
            "state",
            "withdrawn_at",
            "withdrawn_by",
            "withdrawn_reason",
            "created_by",
        ]
        read_only_fields = [
            "id",
            "resolved_at",
            "resolved_by",
            "withdrawn_at",
            "withdrawn_by",
            "withdrawn_reason",
            "created_by",
        ]
        extra_kwargs = {"opened_at": {"required": False}}


class IncidentResolveInputSerializer(serializers.Serializer):
    resolved_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When the service was restored; now when left out."
    )


class IncidentWithdrawInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, help_text="Why the incident is not the deployment's.")


class ProblemSerializer(serializers.ModelSerializer):
    description = serializers.CharField(max_length=MAX_TEXT)
    severity = SeverityField(choices=Severity.choices, default=Severity.MEDIUM)

    class Meta:
        model = DeploymentProblem
        fields = ["id", "description", "severity", "resolved", "created_by", "created_at", "resolved_at"]
        read_only_fields = ["id", "resolved", "created_by", "created_at", "resolved_at"]
