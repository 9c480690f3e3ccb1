"""Fast form rendering: FastSelect markup and the per-process memory of rendered filter fields."""

from django import forms

from apps.core.widgets import FastSelect, rendered_fields


class PickForm(forms.Form):
    name = forms.CharField(required=False)
    colour = forms.ChoiceField(required=False, widget=FastSelect)


def _form(data=None, choices=(("", "---------"), ("1", "Red"), ("2", "Blue"))):
    form = PickForm(data)
    form.fields["colour"].choices = list(choices)
    form.is_valid()
    return form


def _counting():
    calls = []

    def render(field):
        calls.append(field.name)
        return str(field)

    return render, calls


def test_fast_select_renders_the_options_and_the_selection():
    html = str(_form({"colour": "2"})["colour"])
    assert html == (
        '<select id="id_colour" name="colour"><option value="">---------</option><option value="1">Red</option>'
        '<option value="2" selected>Blue</option></select>'
    )


def test_a_field_is_rendered_once_per_value_and_choices():
    render, calls = _counting()
    # given a form drawn once
    first = rendered_fields(_form({"colour": "1", "name": "x"}), render)
    # when it is drawn again with the same values, nothing is rendered again and the markup is the same
    again = rendered_fields(_form({"colour": "1", "name": "x"}), render)
    assert again == first and calls == ["name", "colour"]
    # and another value, or other choices, are drawn afresh
    rendered_fields(_form({"colour": "2", "name": "x"}), render)
    renamed = rendered_fields(_form({"colour": "2", "name": "x"}, choices=(("1", "Red"), ("2", "Navy"))), render)
    assert calls == ["name", "colour", "colour", "colour"]
    assert '<option value="2" selected>Navy</option>' in renamed[1]


def test_fields_with_errors_are_always_rendered_and_excluded_fields_never():
    class StrictForm(PickForm):
        colour = forms.ChoiceField(required=True, widget=FastSelect)

    render, calls = _counting()
    for _ in range(2):
        form = StrictForm({"name": "x"})
        form.fields["colour"].choices = [("1", "Red")]
        form.is_valid()
        rendered_fields(form, render, exclude=("name",))
    assert calls == ["colour", "colour"]


def test_fast_select_escapes_as_django_select_does():
    # given labels and values with markup, quotes and ampersands
    choices = [("", "Any"), ('a"b', "<b>Tom & 'Jerry'</b>"), ("3", "plain")]
    fast, plain = FastSelect(attrs={"class": "form-select"}), forms.Select(attrs={"class": "form-select"})
    fast.choices = plain.choices = choices
    # then FastSelect's options, drawn without a template per option, read as Django's (newlines aside)
    expected = plain.render("pick", 'a"b').replace("\n", "").replace("  ", "")
    ours = fast.render("pick", 'a"b')
    assert ours[ours.index("<option") :] == expected[expected.index("<option") :]
    assert "&lt;b&gt;Tom &amp; &#x27;Jerry&#x27;&lt;/b&gt;" in expected


def test_fast_select_reads_options_given_as_a_function_once_and_only_when_drawn():
    reads = []

    def options():
        reads.append(1)
        return [("", "Any"), (1, "Red")]

    widget = FastSelect()
    widget.choices = options
    # nothing is read until the options are needed (the KPI API validates the KPI filter but never draws it)
    assert reads == []
    assert widget.render("colour", "1") == '<select name="colour"><option value="">Any</option>' + (
        '<option value="1" selected>Red</option></select>'
    )
    widget.render("colour", "")
    assert list(widget.choices) == [("", "Any"), (1, "Red")] and reads == [1]
