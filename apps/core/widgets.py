"""Form rendering that stays fast on long lists: a <select> rendered in Python rather than one template per option,
and filter fields rendered once per process for each value and set of choices they can show."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from html import escape as html_escape

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.choices import normalize_choices
from django.utils.safestring import SafeString, mark_safe


class FastSelect(forms.Select):
    """Renders the same markup as Django's Select, without including a template for each of hundreds of options
    (the register's service and people filters). A list of flat (value, label) pairs is kept as given rather than
    normalised pair by pair; a function returning such a list is called once, when the options are first needed."""

    _read = None

    @property
    def choices(self):
        if self._read is not None:  # options given as a function: read once, when first drawn
            self._choices, self._read = self._read(), None
        return self._choices

    @choices.setter
    def choices(self, value):
        if callable(value):  # e.g. the KPI filter's lists, which the API validates against but never draws
            self._read, self._choices = value, []
            return
        self._read = None
        flat = isinstance(value, list) and all(isinstance(label, str) for _, label in value)
        self._choices = value if flat else normalize_choices(value)

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        selected = {str(v) for v in (value if isinstance(value, list | tuple) else [value]) if v not in (None, "")}
        # the markup format_html would make, by plain escaping: hundreds of options through format_html cost more
        # than the rest of a KPI page
        options = "".join(
            f'<option value="{_escape(str(v))}"{" selected" if str(v) in selected else ""}>{_escape(label)}</option>'
            for v, label in self.choices
        )
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")  # noqa: S308 — every value is escaped


def _escape(text) -> str:
    """conditional_escape without its lazy-string wrapper: markup already safe is kept, any other text escaped as
    django.utils.html.escape does it (html.escape, quotes included)."""
    if hasattr(text, "__html__"):
        return text.__html__()
    return html_escape(str(text))


FIELD_CACHE_SIZE = 256
_field_html: OrderedDict[tuple, SafeString] = OrderedDict()
_field_lock = threading.Lock()


_choice_sets: dict[tuple, tuple] = {}


def _one_copy(choices: tuple) -> tuple:
    """The same tuple object for equal choices, so that the remembered fields of one list (say 500 services under
    each chosen value) share one copy of it."""
    found = _choice_sets.get(choices)
    if found is None:
        if len(_choice_sets) >= 64:
            _choice_sets.clear()
        _choice_sets[choices] = found = choices
    return found


def _class_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _frozen(value):
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return value if value is None or isinstance(value, str | int) else str(value)


def _field_key(field: forms.BoundField) -> tuple | None:
    """What a field's markup depends on, or None when that cannot be told cheaply (errors, choices from a query).
    The key holds the choices themselves, so a renamed service or a new environment is a new key, never stale."""
    if field.errors:
        return None
    widget = field.field.widget
    choices = getattr(widget, "choices", ())
    if isinstance(choices, ModelChoiceIterator):
        return None  # reading it would query; FastSelect fields carry their choices as a list
    return (
        _class_name(type(field.form)),  # by name: django-filter makes a new form class for each filter set
        type(field.field),
        field.form.is_bound,
        field.html_name,
        field.auto_id,
        str(field.label),
        str(field.help_text),
        field.field.required,
        field.field.disabled,
        field.form.use_required_attribute,
        type(widget),
        getattr(widget, "template_name", None),
        tuple(sorted((k, str(v)) for k, v in widget.attrs.items())),
        _one_copy(tuple(choices)),
        _frozen(field.value()),
    )


def _remembered(key: tuple | None, render: Callable[[], str]) -> SafeString:
    if key is None:
        return render()
    with _field_lock:
        html = _field_html.get(key)
        if html is not None:
            _field_html.move_to_end(key)
            return html
    html = render()
    with _field_lock:
        _field_html[key] = html
        while len(_field_html) > FIELD_CACHE_SIZE:
            _field_html.popitem(last=False)
    return html


def rendered_field(field: forms.BoundField, render: Callable[[forms.BoundField], str]) -> SafeString:
    """`render(field)`, remembered per process (a bounded LRU) under what the markup is a function of: the field's
    name, label, widget, choices and value. Fields with errors are always rendered afresh."""
    return _remembered(_field_key(field), lambda: render(field))


def rendered_fields(
    form: forms.Form, render: Callable[[forms.BoundField], str], *, exclude: Iterable[str] = ()
) -> list[SafeString]:
    """`rendered_field` for each field of `form` but the excluded ones: the register's filter form (700 options)
    would otherwise cost more than the rest of its page."""
    return [rendered_field(field, render) for field in form if field.name not in exclude]


def rendered_form(form: forms.Form, render: Callable[[forms.Form], str]) -> SafeString:
    """`render(form)` for an empty (unbound) form, remembered like `rendered_field`: the deployment page draws the
    same comment, incident and problem forms on every view. A bound form is always rendered afresh."""
    if form.is_bound:
        return render(form)
    keys = tuple(_field_key(field) for field in form)
    key = None if None in keys else ("form", _class_name(type(form)), form.prefix, str(form.auto_id), keys)
    return _remembered(key, lambda: render(form))
