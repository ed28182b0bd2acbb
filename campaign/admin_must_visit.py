"""The campaign's admin form: its must-visit tags (四门必敲, issue 16 item 2) chosen from the known household tags
(checkboxes) rather than typed as JSON; Campaign.clean() (campaign.models.must_visit) holds the rest."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from campaign.models import HOUSEHOLD_TAGS


class CampaignForm(forms.ModelForm):
    """The base of CampaignAdmin's form: the admin makes it a form of every field of Campaign (no Meta here)."""

    must_visit_tags = forms.MultipleChoiceField(
        label=_("必访对象标签"),
        choices=[(tag, tag) for tag in HOUSEHOLD_TAGS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("带有所选标签的住户须每隔“必访周期”天至少走访一次；不选则无必访名单。"),
    )
