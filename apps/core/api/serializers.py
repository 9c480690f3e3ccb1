"""Shapes shared by every API resource: the error body, documented once for the OpenAPI schema, and fields built
once per process."""

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="A sentence saying what went wrong.")
    code = serializers.CharField(help_text="A stable machine-readable code, e.g. `invalid`, `not_found`, `conflict`.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per-field messages for 400 answers.",
    )
    conflicts = serializers.ListField(child=serializers.CharField(), required=False)


class FieldsOnceMixin:
    """A serializer whose fields and validators are built once per process and class: each instance gets shallow
    copies of the fields (its own binding: name, parent, source), not the deep copy of the declared fields and the
    fields built from the model that DRF makes for every instance (most of validating one POST). For serializers of
    plain fields, whose state after `__init__` is read, never changed, by validation; a field's `child` or
    `child_relation` is copied with it (they reach the request through their parent)."""

    def get_fields(self):
        template = type(self).__dict__.get("_fields_once")
        if template is None:
            template = super().get_fields()
            type(self)._fields_once = template
        return {name: _shallow_copy(field) for name, field in template.items()}

    def get_validators(self):
        # a ModelSerializer works its validators out of the model's constraints for every instance; they take the
        # serializer when called (`requires_context`), so one list per class serves every request
        validators = type(self).__dict__.get("_validators_once")
        if validators is None:
            validators = list(super().get_validators())
            type(self)._validators_once = validators
        return list(validators)


def _shallow_copy(field):
    copied = _copy(field)
    for name in ("child_relation", "child"):
        child = field.__dict__.get(name)
        if child is not None:
            child = _copy(child)
            child.parent = copied
            setattr(copied, name, child)
    return copied


def _copy(field):
    """What `copy.copy(field)` makes of a DRF field (a new instance with the same attributes: fields define no
    `__copy__`, `__reduce__` or slots), without its detour through the pickling protocol (five times as long)."""
    copied = object.__new__(type(field))
    copied.__dict__.update(field.__dict__)
    return copied
