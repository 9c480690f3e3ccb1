"""The values of a model instance's fields as an INSERT binds them, for the compiled inserts (apps/core/compiled.py)
and the audit chain's insert: what Django's `get_db_prep_save(pre_save(...))` gives, with the plain values of the
commonest fields passed through as they are."""

from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    Field,
    ForeignKey,
    IntegerField,
    Model,
    PositiveIntegerField,
    TextField,
)

# field classes (exactly these) whose get_db_prep_save gives back values of these types unchanged: such values are
# bound as they are (a call chain of four methods per value was most of binding a deployment's rows)
_AS_IS = {
    CharField: (str, type(None)),
    TextField: (str, type(None)),
    BooleanField: (bool, type(None)),
    ForeignKey: (type(None),),
    DateTimeField: (type(None),),
    IntegerField: (type(None),),
    PositiveIntegerField: (type(None),),
    BigIntegerField: (type(None),),
}


def field_binders(fields: list) -> list[tuple]:
    """For `db_values`: each field with its attribute, whether its `pre_save` only reads that attribute, and the
    types of value it binds as they are."""
    return [(f, f.attname, type(f).pre_save is Field.pre_save, _AS_IS.get(type(f), ())) for f in fields]


def db_values(binders: list[tuple], obj: Model, connection) -> list:
    """The values of `obj`'s fields as an insert binds them: what `field.get_db_prep_save(field.pre_save(obj, True))`
    gives, for each field of `field_binders`; an expression is refused."""
    values = []
    for field, attname, reads, as_is in binders:
        value = getattr(obj, attname) if reads else field.pre_save(obj, True)
        if type(value) in as_is:
            values.append(value)
            continue
        if hasattr(value, "resolve_expression"):
            raise ValueError(f"{field}: an expression, which the compiled insert does not bind")
        values.append(field.get_db_prep_save(value, connection))
    return values
