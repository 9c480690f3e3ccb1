"""Tests of apps/core/forms.py: a service's ValidationError or ConflictError lands on the form."""

from django import forms
from django.core.exceptions import ValidationError

from apps.core.exceptions import ConflictError
from apps.core.forms import add_service_error


class NameForm(forms.Form):
    name = forms.CharField()


def _bound() -> NameForm:
    form = NameForm({"name": "Shop"})
    assert form.is_valid()
    return form


def test_a_field_error_lands_on_its_field_and_an_unknown_field_on_the_form():
    # given a valid form
    form = _bound()
    # when the service refuses with errors on a field of the form and on one it does not have
    add_service_error(form, ValidationError({"name": ["Taken.", "Too short."], "slug": "Reserved."}))
    # then each message lands where it belongs
    assert form.errors == {"name": ["Taken.", "Too short."], "__all__": ["Reserved."]}
    assert not form.is_valid()


def test_a_plain_validation_error_lands_on_the_form():
    form = _bound()
    add_service_error(form, ValidationError(["First.", "Second."]))
    assert form.non_field_errors() == ["First.", "Second."]


def test_a_conflict_lands_on_the_form_with_its_message():
    # given a valid form
    form = _bound()
    # when the service refuses with a conflict
    add_service_error(form, ConflictError("Production is frozen.", code="freeze", conflicts=["Quarter close"]))
    # then its message is the form's error, and only that
    assert form.errors == {"__all__": ["Production is frozen."]}
