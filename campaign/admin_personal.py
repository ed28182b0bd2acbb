"""Personal data in the admin: masked on list and change pages unless a logged reveal, searchable in full only by
roles that may reveal (issue 12 item 4).

- List pages show `<field>_masked` columns (the masks of campaign/validators.py).
- A change page shows the personal fields as masked read-only values. `?reveal=1&reason=核实` (a reason of
  RevealReason) on it, for a role that may reveal, shows the real (editable) fields and writes an AccessLog row, as a
  reveal through the API does (campaign/reveal.py).
- Search on personal fields is exact (`=field`: a full name or phone, never a fragment such as a phone's last four
  digits) and offered only to roles that may reveal; others search the non-personal fields alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from campaign import reveal
from campaign.errors import Invalid
from campaign.models import User
from campaign.scope import may_reveal_personal_data

REVEALED = "_pii_revealed"


def _masked_display(field: str, mask: Callable[[str], str], label: str) -> Callable[[Any], str]:
    @admin.display(description=label, ordering=field)
    def display(obj: Any) -> str:
        return mask(getattr(obj, field) or "") or "-"

    return display


class PersonalDataAdmin(admin.ModelAdmin):
    """Mix into a ModelAdmin and name `personal_fields = {field: mask}`; list `<field>_masked` in list_display."""

    personal_fields: dict[str, Callable[[str], str]] = {}

    def __init__(self, model: Any, admin_site: Any) -> None:
        super().__init__(model, admin_site)
        for field, mask in self.personal_fields.items():
            label = model._meta.get_field(field).verbose_name
            setattr(self, f"{field}_masked", _masked_display(field, mask, label))

    def _user(self, request: HttpRequest) -> User:
        return request.user  # type: ignore[return-value]

    def revealed(self, request: HttpRequest, obj: Any) -> bool:
        """Whether this request shows `obj`'s full values; decided (and a GET logged) once per request."""
        if obj is None:
            return True  # the add page: nothing stored to hide
        if hasattr(request, REVEALED):
            return bool(getattr(request, REVEALED))
        try:
            reason = reveal.requested_reason(request.GET)
        except Invalid:
            messages.error(request, _("查看完整信息须说明原因。"))
            reason = None
        shown = reason is not None and may_reveal_personal_data(self._user(request))
        if shown and request.method == "GET":
            fields = list(self.personal_fields)
            reveal.record(request=request, user=self._user(request), obj=obj, fields=fields, reason=str(reason))
        setattr(request, REVEALED, shown)
        return shown

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> list[str]:
        exclude = list(super().get_exclude(request, obj) or ())
        if not self.revealed(request, obj):
            exclude += list(self.personal_fields)
        return exclude

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        if not self.revealed(request, obj):
            readonly += [f"{field}_masked" for field in self.personal_fields]
        return readonly

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        fields = list(super().get_search_fields(request))
        if may_reveal_personal_data(self._user(request)):
            fields += [f"={field}" for field in self.personal_fields if not field.endswith("_id_number")]
        return fields
