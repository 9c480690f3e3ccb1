"""Widgets that stay fast on long lists: a <select> rendered in Python rather than one template per option."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


class FastSelect(forms.Select):
    """Renders the same markup as Django's Select, without including a template for each of hundreds of options
    (the register's service and people filters)."""

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        selected = {str(v) for v in (value if isinstance(value, list | tuple) else [value]) if v not in (None, "")}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(v), mark_safe(" selected") if str(v) in selected else "", label)  # noqa: S308 (a constant)
                for v, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)
