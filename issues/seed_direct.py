"""The demo's tickets answered at once: on site by the cadre who raised it (现场解决), or at intake by a dispatcher
(直办, SPEC §5 answer_directly; issue 16 item 5) — the hotline, the window and the website answer many questions on
the spot (Jieshou's 12345: 直办 7,021 against 转办 6,590), most of all consultations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from issues.models import Kind, Mode, Status
from issues.rules.handling import DIRECT_SOURCES

ON_SITE_SHARE = 0.15  # of the tickets a cadre raised
# of the hotline, window and online tickets, by kind: a question is answered, a complaint rarely
DIRECT_SHARE = {Kind.CONSULTATION: 0.9, Kind.SUGGESTION: 0.3, Kind.REQUEST: 0.2, Kind.COMPLAINT: 0.1}
DIRECT_ANSWER = "已当场答复诉求人，解释相关政策和办理渠道，诉求人表示理解"
DIRECT_REPLY = "您咨询的事项已当场答复：请按告知的渠道办理，如有疑问可再次来电。"


def answered_at_once(s: Any, d: Any) -> bool:
    """Whether the draft `d` of the demo's Seeder `s` was answered at once (then its callback follows, as any
    resolution's): on site by its cadre, or directly by the dispatcher. False: it takes the dispatch's way."""
    rng, t = s.rng, d.ticket
    if t.created_by_id in s.cadre_ids and rng.random() < ON_SITE_SHARE:
        at = t.created_at + dt.timedelta(minutes=rng.randint(5, 40))
        if d.step(at, s.now, "resolve_on_site", t.created_by, Status.RESOLVED):
            t.mode, t.resolved_on_site, t.result, t.resolved_at = Mode.IMMEDIATE, True, "现场解答/处理，群众认可", at
        return True
    if t.source in DIRECT_SOURCES and rng.random() < DIRECT_SHARE.get(t.kind, 0.0):
        at = t.created_at + dt.timedelta(minutes=rng.randint(3, 25))
        if d.step(at, s.now, "answer_directly", s.dispatcher, Status.RESOLVED):
            t.answered_directly, t.result, t.public_reply, t.resolved_at = True, DIRECT_ANSWER, DIRECT_REPLY, at
        return True
    return False
