"""Select widgets written in Python rather than through the form templates.

Django renders each <option> of a Select through a template include: the inbox's filter bar (a district's units
twice, up to 300 each, and the categories) spent about half of its page's rendering there. These widgets write the
same HTML — the same name, id and attributes, every value escaped — in one pass: two selects of 300 options render
in 2.3 ms against 18 ms (bench/README.md, "Session 13"). Used for the selects that list units, people or categories;
the short ones keep Django's own.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe


class _Quick:
    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        parts: list[str] = [format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('<optgroup label="{}">', group_name))
            parts.extend(
                f'<option value="{escape(str(o["value"]))}"{flatatt(o["attrs"]) if o["attrs"] else ""}>'
                f"{conditional_escape(o['label'])}</option>"
                for o in options
            )
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # every value above was escaped  # noqa: S308


class QuickSelect(_Quick, forms.Select):
    pass


class QuickSelectMultiple(_Quick, forms.SelectMultiple):
    pass
