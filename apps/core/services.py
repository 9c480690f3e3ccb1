"""The write helpers every app's services share: save after full_clean, and update the fields a caller gives."""

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

CLASH = "This clashes with a change saved at the same time; reload and try again."


def reject_unknown(fields: dict[str, Any], allowed: Iterable[str]) -> None:
    """A ValidationError on every field a caller may not set here (an API body, a service's **fields)."""
    if unknown := sorted(set(fields) - set(allowed)):
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed here."))


def model_save(
    instance: models.Model,
    *,
    update_fields: list[str] | None = None,
    actor=None,
    clash: Callable[[], Exception] | None = None,
) -> None:
    """full_clean() then save. A unique value lost to a concurrent write (IntegrityError) becomes the error that
    `clash` makes (by default a ValidationError): the answer the uniqueness check gives, never a 500. `actor` is
    recorded as the history user."""
    instance.full_clean()
    if actor is not None:
        instance._history_user = actor
    try:
        with transaction.atomic():
            instance.save(update_fields=update_fields)
    except IntegrityError as exc:
        raise (clash() if clash else ValidationError(CLASH)) from exc


def model_update(
    *,
    instance: models.Model,
    fields: dict[str, Any],
    allowed: Iterable[str],
    actor=None,
    check: Callable[[models.Model], None] | None = None,
    clash: Callable[[], Exception] | None = None,
) -> models.Model:
    """Set the given fields (each must be in `allowed`), run `check` on the result (a rule across rows, such as a
    case-blind unique name), full_clean() and save only those fields and the model's auto-updated timestamps
    (HackSoft's model_update); a row not saved yet is inserted whole. A field outside `allowed` is a
    ValidationError on that field, and nothing is written."""
    reject_unknown(fields, allowed)
    for name, value in fields.items():
        setattr(instance, name, value)
    if check is not None:
        check(instance)
    update_fields = None
    if not instance._state.adding:
        auto = [f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)]
        update_fields = list(dict.fromkeys([*fields, *auto]))
    model_save(instance, update_fields=update_fields, actor=actor, clash=clash)
    return instance
