"""API shapes of the catalog; writes are validated here for shape only, the rules live in apps.catalog.services."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from apps.catalog.models import MAX_CONTACTS, ComponentVersion, Service, ServiceComponent, Supplier

User = get_user_model()


class ServiceStakeholdersSerializer(serializers.Serializer):
    """Who the worker tells about the service's deployments, beyond its owners (DESIGN.md §5 `stakeholders`)."""

    service_desk_email = serializers.EmailField(
        required=False, allow_blank=True, max_length=254, help_text="The service desk's address."
    )
    consumer_contacts = serializers.ListField(
        child=serializers.EmailField(max_length=254),
        required=False,
        max_length=MAX_CONTACTS,
        help_text="E-mail addresses of the service's consumers.",
    )
    supplier_contacts = serializers.ListField(
        child=serializers.EmailField(max_length=254),
        required=False,
        max_length=MAX_CONTACTS,
        help_text="E-mail addresses of the service's suppliers.",
    )


class ServiceSerializer(serializers.ModelSerializer):
    owners = serializers.PrimaryKeyRelatedField(
        many=True, queryset=User.objects.all(), required=False, help_text="User ids of the service owners."
    )
    product_owners = serializers.PrimaryKeyRelatedField(
        many=True, queryset=User.objects.all(), required=False, help_text="User ids of the product owners."
    )
    stakeholders = ServiceStakeholdersSerializer(source="*", required=False)

    class Meta:
        model = Service
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "criticality",
            "is_active",
            "owners",
            "product_owners",
            "stakeholders",
        ]
        read_only_fields = ["slug"]
        extra_kwargs = {"name": {"validators": []}}  # the service gives the clearer duplicate-name message


class ComponentSerializer(serializers.ModelSerializer):
    suppliers = serializers.PrimaryKeyRelatedField(many=True, queryset=Supplier.objects.all(), required=False)

    class Meta:
        model = ServiceComponent
        fields = ["id", "service", "name", "type", "source", "description", "suppliers"]
        validators = []  # unique (service, name) is checked by the service, with a clearer message


class ComponentVersionSerializer(serializers.ModelSerializer):
    # wider than the model so uppercase or malformed input reaches the service and gets its message
    checksum = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="SHA-256, 64 hexadecimal characters."
    )

    class Meta:
        model = ComponentVersion
        fields = ["id", "component", "version", "repository_ref", "checksum", "notes", "created_at"]
        read_only_fields = ["created_at"]
        validators = []  # unique (component, version) is checked by the service, with a clearer message


class ComponentVersionRegisterInputSerializer(serializers.Serializer):
    """What a pipeline sends to register the version it built (or find it, if registered with the same checksum)."""

    component = serializers.PrimaryKeyRelatedField(queryset=ServiceComponent.objects.select_related("service"))
    version = serializers.CharField(max_length=100)
    repository_ref = serializers.CharField(max_length=500)
    checksum = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class SupplierSerializer(serializers.ModelSerializer):
    components = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=ServiceComponent.objects.all(),
        required=False,
        help_text="Ids of the components it supplies.",
    )
    contact_users = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=get_user_model().objects.all(),
        required=False,
        help_text="Ids of the users with the Supplier contact role who see and check its deployments.",
    )

    class Meta:
        model = Supplier
        fields = ["id", "name", "kind", "contract_ref", "contacts", "components", "contact_users"]
        extra_kwargs = {"name": {"validators": []}}
