"""The register's filters as the API lists take them: validated by a form whose fields are copied shallowly, and
whose related ids (environment, service, model, supplier, requester, practitioner) are looked up only when the page
they filter comes back empty.

A related id filters the list by its foreign key (`environment_id = 15`), and a row found under that filter proves
the related row exists (the foreign key's constraint): looking it up first cost a query of its own on every
filtered list. Only an empty page (or another error) needs the lookup, to answer a 400 for an unknown id exactly as
the register's form does: `DeploymentFilterBackend.verify` then validates the query with that form.
"""

import copy

from django_filters import fields as filter_fields
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation

from apps.deployments.api.serializers.fields import parse_id
from apps.deployments.filters import DeploymentFilterSet


class _ShallowFields(dict):
    """A form's declared fields that each form copies shallowly (Django deep-copies them: widgets, choices and
    querysets, a third of validating an API list's filters). For forms that are validated, never changed or
    rendered with changes: cleaning a value only reads its field."""

    def __deepcopy__(self, memo):
        return {name: copy.copy(field) for name, field in self.items()}


def _defers(field) -> bool:
    """A related id among every row of its model (an unrestricted queryset), by primary key."""
    return (
        type(field) is filter_fields.ModelChoiceField
        and field.to_field_name is None
        and field.null_label is None
        and not field.queryset.query.where
    )


class _UnlookedModelChoiceField(filter_fields.ModelChoiceField):
    """A related id cleaned to an instance that holds only its primary key, not looked up (see the module's
    docstring); anything but plain digits in range is cleaned as the register's form cleans it."""

    def to_python(self, value):
        pk = None if value in self.empty_values else parse_id(value)
        if pk is None:
            return super().to_python(value)
        instance = self.queryset.model(pk=pk)
        instance._state.adding = False
        instance.unlooked = True
        return instance


def _unlooked(field):
    """`field`, or a copy of it that does not look its id up when it is a related id that may go unlooked."""
    if not _defers(field):
        return field
    copied = copy.copy(field)
    copied.__class__ = _UnlookedModelChoiceField  # the same field (its queryset, choices, messages), cleaned so
    return copied


class DeploymentApiFilterSet(DeploymentFilterSet):
    """The register's FilterSet without `ordering`: API lists are in keyset order (newest first)."""

    ordering = None

    def get_form_class(self):
        """The register's filter form, its fields copied shallowly by each form and its related ids not looked up
        (the API only validates it); `register_form_class` is the one that looks them up."""
        cls = type(self)
        form_class = cls.__dict__.get("_api_form_class")
        if form_class is None:
            register = super().get_form_class()
            form_class = type(register.__name__, (register,), {})
            form_class.base_fields = _ShallowFields(
                {name: _unlooked(field) for name, field in form_class.base_fields.items()}
            )
            cls._api_form_class = form_class
        return form_class

    def register_form_class(self):
        return super().get_form_class()

    def unlooked(self) -> bool:
        """Whether a related id of the query was taken without being looked up."""
        cleaned = getattr(self.form, "cleaned_data", {})
        return any(getattr(value, "unlooked", False) for value in cleaned.values())

    def verify(self) -> None:
        """Validates the query as the register's form does (looking related ids up): its errors as a 400."""
        form = self.register_form_class()(self.data, prefix=self.form_prefix)
        if not form.is_valid():
            raise translate_validation(form.errors)


class DeploymentFilterBackend(DjangoFilterBackend):
    """django-filter's backend keeping the filter set on the view (`view.filterset`), so that the list can verify
    the related ids it took unlooked (`verify_filters`) once it knows its page; an invalid query is answered with
    the register's form's errors."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        view.filterset = filterset
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            filterset.verify()  # the register's form's errors (an unknown id among them), in its order
            raise translate_validation(filterset.errors)
        return filterset.qs


def verify_filters(view) -> None:
    """Validates the list's query with its related ids looked up, when one was taken without being looked up."""
    filterset = getattr(view, "filterset", None)
    if filterset is not None and filterset.unlooked():
        filterset.verify()
