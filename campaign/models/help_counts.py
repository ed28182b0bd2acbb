"""Help given, counted (帮扶成效, issue 16 item 8): the counts a campaign's resolutions may record.

Districts publish what their resolutions brought beside the ticket counts — "解决用工79人、申报项目57项、150万元".
A campaign names the counts it records (Campaign.help_counts): a slug-like `key` (the name in the API and the
statistics), a `label` and a `unit` as the page shows them, and `decimals` (0 for people and items, 2 for money in
万元). A resolution (`resolve`) may record a non-negative amount for each (issues.help); the rollups sum them per
(day, unit, campaign, key) (dashboard.help) and stats/summary answers the sums (`help`).

One rule for the shape, used by Campaign.clean() (the admin) and by every reader: a stored value it refuses is read
as "no counts" (issues.help.counts_of), never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from campaign.fields import text_error

DEFAULT_HELP_COUNTS: list[dict[str, Any]] = [
    {"key": "employed", "label": "解决用工", "unit": "人"},
    {"key": "projects", "label": "申报项目", "unit": "项"},
    {"key": "money", "label": "帮扶资金", "unit": "万元", "decimals": 2},
]
HELP_KEY = re.compile(r"[a-z][a-z0-9_]{0,29}")  # a slug: the API's and the rollups' name of the count
HELP_COUNTS_MAX = 10  # counts a campaign records; a longer list is a mistake, not a campaign
HELP_LABEL_MAX = 20
HELP_UNIT_MAX = 8
HELP_DECIMALS_MAX = 2
# The largest amount one resolution may record for one count (people, items, 万元: 100亿元 is no one ticket's help).
# The database holds it too (issues.TicketHelp's check constraint).
HELP_AMOUNT_MAX = Decimal(1_000_000)
_FIELDS = frozenset({"key", "label", "unit", "decimals"})


def default_help_counts() -> list[dict[str, Any]]:
    return [dict(item) for item in DEFAULT_HELP_COUNTS]


@dataclass(frozen=True)
class HelpCount:
    key: str
    label: str
    unit: str = ""
    decimals: int = 0

    @property
    def title(self) -> str:
        """The label with its unit, as a column or a card names it: 解决用工（人）."""
        return f"{self.label}（{self.unit}）" if self.unit else self.label


def _item_errors(item: Any, seen: set[str]) -> list[str]:
    if not isinstance(item, dict) or not isinstance(item.get("key"), str):
        return [_('每项应为对象，例如 {"key": "employed", "label": "解决用工", "unit": "人"}。')]
    key = item["key"]
    errors = []
    if unknown := sorted(str(name) for name in item if name not in _FIELDS):
        errors.append(
            _("%(key)s：未知的设置 %(names)s（可用：key, label, unit, decimals）。")
            % {"key": key[:30], "names": ", ".join(unknown)}
        )
    if not HELP_KEY.fullmatch(key):
        errors.append(
            _("%(key)s：key 应为小写字母开头、由小写字母、数字和下划线组成，最长 30 个字符。") % {"key": key[:30]}
        )
    elif key in seen:
        errors.append(_("%(key)s：key 重复。") % {"key": key})
    seen.add(key)
    label, unit = item.get("label"), item.get("unit", "")
    if not isinstance(label, str) or not label.strip() or len(label) > HELP_LABEL_MAX or text_error(label):
        errors.append(_("%(key)s：label 应为 1 到 %(n)d 个字的文字。") % {"key": key[:30], "n": HELP_LABEL_MAX})
    if not isinstance(unit, str) or len(unit) > HELP_UNIT_MAX or text_error(unit):
        errors.append(_("%(key)s：unit 应为不超过 %(n)d 个字的文字。") % {"key": key[:30], "n": HELP_UNIT_MAX})
    decimals = item.get("decimals", 0)
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= HELP_DECIMALS_MAX:
        errors.append(_("%(key)s：decimals 应为 0 到 %(n)d 的整数。") % {"key": key[:30], "n": HELP_DECIMALS_MAX})
    return errors


def help_counts_errors(value: Any) -> list[str]:
    """What is wrong with a campaign's `help_counts` (empty: nothing): a list of at most HELP_COUNTS_MAX objects with
    a unique slug `key`, a `label` (1..HELP_LABEL_MAX characters), an optional `unit` and `decimals` (0..2)."""
    if not isinstance(value, list):
        return [_('帮扶成效统计项应为列表，例如 [{"key": "employed", "label": "解决用工", "unit": "人"}]。')]
    if len(value) > HELP_COUNTS_MAX:
        return [_("帮扶成效统计项最多 %(n)d 项。") % {"n": HELP_COUNTS_MAX}]
    seen: set[str] = set()
    return [message for item in value for message in _item_errors(item, seen)]


def help_counts_of(value: Any) -> list[HelpCount]:
    """The counts of a stored `help_counts` value; none if the value is of another shape (the admin refuses it)."""
    if help_counts_errors(value):
        return []
    return [
        HelpCount(key=i["key"], label=i["label"].strip(), unit=i.get("unit", ""), decimals=i.get("decimals", 0))
        for i in value
    ]
