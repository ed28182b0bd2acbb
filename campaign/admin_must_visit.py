"""The campaign's admin form: its must-visit tags (四门必敲, issue 16 item 2) chosen from the known household tags
(checkboxes) rather than typed as JSON; Campaign.clean() (campaign.models.must_visit) holds the rest. The checklist's
help says the questionnaire's shape (campaign.models.questions, issue 16 item 6), which clean() holds too."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from campaign.models import HOUSEHOLD_TAGS

CHECKLIST_HELP = _(
    '走访问卷：每项 {"key", "label"} 为文字题；可加 "type": "choice" 与 "choices": [选项…]（单选），或 "type": "number" 与 '
    '"min"/"max"/"integer"（数字）；"required": true 为入户走访必答。例如 {"key": "satisfaction", "label": "满意度", '
    '"type": "choice", "choices": ["满意", "基本满意", "不满意"]}。'
)


class CampaignForm(forms.ModelForm):
    """The base of CampaignAdmin's form: the admin makes it a form of every field of Campaign (no Meta here)."""

    must_visit_tags = forms.MultipleChoiceField(
        label=_("必访对象标签"),
        choices=[(tag, tag) for tag in HOUSEHOLD_TAGS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("带有所选标签的住户须每隔“必访周期”天至少走访一次；不选则无必访名单。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "checklist" in self.fields:  # the questionnaire's shape (campaign.models.questions), said where it is typed
            self.fields["checklist"].help_text = CHECKLIST_HELP
