"""The one adapter from a service's typed errors to a form, used by every page that saves through a service."""

from django import forms
from django.core.exceptions import ValidationError

from apps.core.exceptions import ConflictError


def add_service_error(form: forms.Form, exc: ValidationError | ConflictError) -> None:
    """Put a service's ValidationError or ConflictError on the form: each message on the field it names when the
    form has that field, otherwise on the whole form (a conflict is always about the whole form)."""
    if isinstance(exc, ConflictError):
        form.add_error(None, exc.message)
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)
