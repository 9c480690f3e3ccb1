"""The fields and bounds the deployments API's shapes share: ids parsed strictly, related ids looked up among what
the requesting user may see, the text bounds, the knowledge links and the severity."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.catalog.models import ComponentVersion, Service, ServiceComponent, Supplier
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
