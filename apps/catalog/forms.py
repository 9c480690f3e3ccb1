"""Forms of the catalog pages: they parse input; saving goes through apps.catalog.services."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.contrib.auth import get_user_model

from apps.catalog.models import (
    ComponentSource,
    ComponentType,
    Criticality,
    ServiceComponent,
    Supplier,
    SupplierKind,
)
from apps.roles.definitions import SUPPLIER_CONTACT

User = get_user_model()


def _helper(submit_label: str) -> FormHelper:
    helper = FormHelper()
    helper.form_method = "post"
    helper.attrs = {"novalidate": "novalidate", "data-testid": "catalog-form"}
    helper.add_input(Submit("save", submit_label))
    return helper


def filter_helper(form: forms.Form) -> FormHelper:
    """A one-row GET form for the filters above a list."""
    helper = FormHelper(form)
    helper.form_method = "get"
    helper.form_tag = True
    helper.disable_csrf = True
    helper.attrs = {"data-testid": "filters", "role": "search"}
    helper.layout = Layout(
        Row(*[Column(name, css_class="col-sm-6 col-lg") for name in form.fields if name != "ordering"]),
    )
    helper.add_input(Submit("filter", "Filter", css_class="btn-secondary"))
    return helper


def _users():
    return User.objects.filter(is_active=True).order_by("username")


class ServiceForm(forms.Form):
    name = forms.CharField(max_length=150)
    criticality = forms.ChoiceField(choices=Criticality.choices, initial=Criticality.MEDIUM)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    owners = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, help_text="Service owners: they manage its components."
    )
    product_owners = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, help_text="They may request deployments for it."
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args, submit_label="Save service", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owners"].queryset = _users()
        self.fields["product_owners"].queryset = _users()
        self.helper = _helper(submit_label)


class ServiceStakeholdersForm(forms.Form):
    """The groups the worker tells about the service's deployments; contact lists one address a line."""

    service_desk_email = forms.EmailField(
        required=False, label="Service desk e-mail", help_text="Gets the notices and the handover notes."
    )
    consumer_contacts = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Consumers' e-mail addresses, one a line: told of planned, started and finished deployments.",
    )
    supplier_contacts = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Suppliers' contacts, one a line: told of planned and finished deployments and asked to rate them.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Save stakeholders")


class ComponentForm(forms.Form):
    name = forms.CharField(max_length=150)
    type = forms.ChoiceField(choices=ComponentType.choices)
    source = forms.ChoiceField(choices=ComponentSource.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    suppliers = forms.ModelMultipleChoiceField(queryset=Supplier.objects.none(), required=False)

    def __init__(self, *args, submit_label="Save component", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["suppliers"].queryset = Supplier.objects.order_by("name")
        self.helper = _helper(submit_label)


class ComponentVersionForm(forms.Form):
    version = forms.CharField(max_length=100, help_text="e.g. 2.4.1")
    repository_ref = forms.CharField(
        max_length=500,
        label="Repository reference",
        help_text="URI in the definitive media library or IT asset register, e.g. dml://software/shop-web/2.4.1",
    )
    # longer than 64 so a wrong length reaches the service and gets its clear message
    checksum = forms.CharField(
        max_length=200, required=False, label="SHA-256 checksum", help_text="64 hexadecimal characters."
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, submit_label="Save version", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit_label)


class SupplierForm(forms.Form):
    name = forms.CharField(max_length=150)
    kind = forms.ChoiceField(choices=SupplierKind.choices)
    contract_ref = forms.CharField(max_length=150, required=False, label="Contract reference")
    contacts = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="Names, e-mail addresses and phones."
    )
    components = forms.ModelMultipleChoiceField(
        queryset=ServiceComponent.objects.none(), required=False, help_text="The components it supplies."
    )
    contact_users = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        label="Contact users",
        help_text="People with the Supplier contact role who see and check this supplier's deployments.",
    )

    def __init__(self, *args, submit_label="Save supplier", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["components"].queryset = ServiceComponent.objects.select_related("service").order_by(
            "service__name", "name"
        )
        self.fields["contact_users"].queryset = (
            get_user_model().objects.filter(groups__name=SUPPLIER_CONTACT, is_active=True).order_by("username")
        )
        self.helper = _helper(submit_label)
