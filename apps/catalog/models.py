"""The service catalog: services and their owners, components, versions and the suppliers behind them."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from simple_history.models import HistoricalRecords

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


MAX_CONTACTS = 100


def validate_email_list(value) -> None:
    """A contact list is a list of e-mail addresses (at most MAX_CONTACTS)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("Give a list of e-mail addresses.")
    if len(value) > MAX_CONTACTS:
        raise ValidationError(f"At most {MAX_CONTACTS} addresses.")
    for address in value:
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ValidationError(f"“{address[:100]}” is not an e-mail address.") from exc


def validate_sha256(value: str) -> None:
    if value and not SHA256_RE.match(value):
        raise ValidationError("A SHA-256 checksum is 64 lowercase hexadecimal characters.")


class Criticality(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class ComponentType(models.TextChoices):
    HARDWARE = "hardware", "Hardware"
    SOFTWARE = "software", "Software"
    DOCUMENTATION = "documentation", "Documentation"
    LICENCE = "licence", "Licence"
    DATA = "data", "Data"
    PROCESS = "process", "Process"
    OTHER = "other", "Other"


class ComponentSource(models.TextChoices):
    IN_HOUSE = "in_house", "In-house"
    VENDOR = "vendor", "Vendor"
    PARTNER = "partner", "Partner"
    EXTERNAL_SERVICE = "external_service", "External service"


class SupplierKind(models.TextChoices):
    VENDOR = "vendor", "Vendor"
    PARTNER = "partner", "Partner"
    SHIPPING = "shipping", "Shipping provider"
    INSTALLATION = "installation", "Installation provider"
    OUTSOURCED_TEAM = "outsourced_team", "Outsourced deployment team"


class Supplier(models.Model):
    """A vendor, partner, shipping or installation provider, or outsourced deployment team."""

    name = models.CharField(max_length=150, unique=True)
    kind = models.CharField(max_length=20, choices=SupplierKind.choices)
    contract_ref = models.CharField(max_length=150, blank=True)
    contacts = models.TextField(blank=True, help_text="Names, e-mail addresses and phone numbers.")
    contact_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="supplier_contacts",
        blank=True,
        help_text="Users who hold the Supplier contact role for this supplier: they see and record checks on its "
        "deployments only.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[contact_users])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """A service in the catalog; its owners and product owners scope those roles to it."""

    name = models.CharField(max_length=150, unique=True)
    slug = models.SlugField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    criticality = models.CharField(max_length=10, choices=Criticality.choices, default=Criticality.MEDIUM)
    owners = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="owned_services", blank=True)
    product_owners = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="product_services", blank=True)
    is_active = models.BooleanField(default=True)
    # its stakeholders beyond the owners: who the worker tells what concerns them (DESIGN.md §5 `stakeholders`)
    service_desk_email = models.EmailField(blank=True, help_text="The service desk's address: handovers and notices.")
    consumer_contacts = models.JSONField(
        default=list, blank=True, validators=[validate_email_list], help_text="E-mail addresses of its consumers."
    )
    supplier_contacts = models.JSONField(
        default=list, blank=True, validators=[validate_email_list], help_text="E-mail addresses of its suppliers."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[owners, product_owners])

    class Meta:
        ordering = ["name"]
        permissions = [
            ("manage_service_components", "Can manage the components and versions of this service"),
            ("request_service_deployment", "Can request deployments for this service"),
            ("signoff_service_deployment", "Can sign off deployments of this service"),
        ]

    def __str__(self) -> str:
        return self.name


class ServiceComponent(models.Model):
    """A part of a service that is deployed: hardware, software, documentation, licence, data or process."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="components")
    name = models.CharField(max_length=150)
    type = models.CharField(max_length=20, choices=ComponentType.choices, db_index=True)
    source = models.CharField(max_length=20, choices=ComponentSource.choices)
    description = models.TextField(blank=True)
    suppliers = models.ManyToManyField(Supplier, related_name="components", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[suppliers])

    class Meta:
        ordering = ["service__name", "name"]
        constraints = [models.UniqueConstraint(fields=["service", "name"], name="unique_component_per_service")]

    def __str__(self) -> str:
        return f"{self.service.name} / {self.name}"


class ComponentVersion(models.Model):
    """A version of a component, referenced in the authorised repository (DML / asset register)."""

    component = models.ForeignKey(ServiceComponent, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=100)
    repository_ref = models.CharField(
        max_length=500, help_text="URI in the definitive media library or IT asset register."
    )
    checksum = models.CharField(max_length=64, blank=True, validators=[validate_sha256], help_text="SHA-256, hex.")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["component", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["component", "version"], name="unique_version_per_component")]

    def __str__(self) -> str:
        return f"{self.component.name} {self.version}"
