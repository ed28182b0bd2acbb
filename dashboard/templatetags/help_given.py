"""The dashboard's 帮扶成效 card (templates/dashboard/_help_given.html): the headline figures of kind "help"."""

from __future__ import annotations

from typing import Any

from django import template

from dashboard.help_given import KIND

register = template.Library()


@register.filter
def help_figures(figures: list[Any]) -> list[Any]:
    """The figures of kind "help" (dashboard.help_given), in their order."""
    return [figure for figure in figures if figure.kind == KIND]
