"""The Python-written selects (campaign/widgets.py) give the same HTML as Django's template-rendered ones."""

from __future__ import annotations

from django import forms
from django.test.html import parse_html

from campaign.widgets import QuickSelect, QuickSelectMultiple

CHOICES = [
    ("", "全部单位"),
    ("1", "丈八街道"),
    ("2", '\u3000<b>一号</b> & "网格"'),  # escaped, not markup
    ("老城", [("3", "东关"), ("4", "西关")]),  # an optgroup
]


def _same(theirs: forms.Widget, ours: forms.Widget, value: object) -> None:
    attrs = {"id": "id_unit", "class": "wide", "required": True, "disabled": False, "data-x": 'a"b'}
    expected = theirs.render("unit", value, attrs=attrs)
    got = ours.render("unit", value, attrs=attrs)
    assert parse_html(got) == parse_html(expected)
    assert "<b>" not in got


def test_select_matches_django() -> None:
    for value in ("", "2", "4", None, "missing"):
        _same(forms.Select(choices=CHOICES), QuickSelect(choices=CHOICES), value)


def test_select_multiple_matches_django() -> None:
    for value in ([], ["1", "3"], ["2"]):
        _same(forms.SelectMultiple(choices=CHOICES), QuickSelectMultiple(choices=CHOICES), value)


def test_a_field_with_the_widget_renders_its_choices_and_selection() -> None:
    class F(forms.Form):
        unit = forms.ChoiceField(choices=CHOICES[:3], widget=QuickSelect)

    html = str(F(data={"unit": "1"})["unit"])
    assert '<option value="1" selected>丈八街道</option>' in html
    assert 'name="unit"' in html and 'id="id_unit"' in html
