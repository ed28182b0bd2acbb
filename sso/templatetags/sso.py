"""{% sso_buttons next %}: the login page's "统一身份认证登录" button per configured provider
(templates/registration/login.html); nothing when none is configured."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse

from sso.providers import configured

register = template.Library()


@register.inclusion_tag("sso/buttons.html")
def sso_buttons(next_url: str = "") -> dict[str, Any]:
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    buttons = [
        {"label": p.button_label, "href": reverse("sso-start", kwargs={"provider": p.key}) + query}
        for p in configured()
    ]
    return {"buttons": buttons}
