"""Select widgets written in Python rather than through the form templates.

Django renders each <option> of a Select through a template include: the inbox's filter bar (a district's units
twice, up to 300 each, and the categories) spent about half of its page's rendering there. These widgets write the
same HTML — the same name, id and attributes, every value escaped by format_html (nothing is marked safe by hand,
tests/security) — without a template per option: two selects of 300 options render ~3.5× faster (bench/selects.py,
bench/README.md "Session 13"). Used for the selects that list units, people or categories; the short ones keep
Django's own.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


class _Quick:
    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        groups = []
        for group_name, options, _index in widget["optgroups"]:
            rows = format_html_join(
                "", '<option value="{}"{}>{}</option>', ((o["value"], _attrs(o["attrs"]), o["label"]) for o in options)
            )
            groups.append(format_html('<optgroup label="{}">{}</optgroup>', group_name, rows) if group_name else rows)
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            format_html_join("", "{}", ((g,) for g in groups)),
        )


def _attrs(attrs: dict[str, Any]) -> str:
    """An option's attributes (` selected`, usually none), escaped by flatatt."""
    return flatatt(attrs) if attrs else ""


class QuickSelect(_Quick, forms.Select):
    pass


class QuickSelectMultiple(_Quick, forms.SelectMultiple):
    pass
