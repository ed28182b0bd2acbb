"""The whole demo district: the campaign core, then visits, then tickets (each app seeds its own rows)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import interop.open311.seed
import issues.seed
import visits.seed
import visits.seed_assignments
import visits.seed_campaign_work
import visits.seed_meetings
from campaign.partitions import partitions_between
from campaign.seed import SeedContext, build_core

HISTORY_DAYS = 120  # the seeds write at most 90 days back (visits.seed.DAYS, issues.seed)


def build_demo(*, size: str, seed: int, stdout: Any) -> SeedContext:
    """Build the whole demo. Call inside transaction.atomic() on an empty database (see campaign.seed.already_seeded)."""
    ctx = build_core(size=size, seed=seed, stdout=stdout)
    # PostgreSQL: the months of the history seeded below get their partitions first (not the default ones).
    partitions_between(ctx.now - dt.timedelta(days=HISTORY_DAYS), ctx.now)
    apps = (
        ("visits", visits.seed.seed),
        ("issues", issues.seed.seed),
        ("assignments", visits.seed_assignments.seed),
        ("campaign work", visits.seed_campaign_work.seed),  # 四门必敲, 户区 and 户长, messages and tasks
        ("meetings", visits.seed_meetings.seed),  # 座谈会 and a key project's visit (issue 16 item 6)
        ("open311", interop.open311.seed.seed),  # the demo partner system (key zoufang-demo-open311), two requests
    )
    for name, seed_app in apps:
        ctx.stdout.write(f"==> {name}\n")
        seed_app(ctx)
    return ctx
