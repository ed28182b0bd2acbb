"""The whole demo district: the campaign core, then visits, then tickets (each app seeds its own rows)."""

from __future__ import annotations

from typing import Any

import issues.seed
import visits.seed
from campaign.seed import SeedContext, build_core


def build_demo(*, size: str, seed: int, stdout: Any) -> SeedContext:
    """Build the whole demo. Call inside transaction.atomic() on an empty database (see campaign.seed.already_seeded)."""
    ctx = build_core(size=size, seed=seed, stdout=stdout)
    for name, seed_app in (("visits", visits.seed.seed), ("issues", issues.seed.seed)):
        ctx.stdout.write(f"==> {name}\n")
        seed_app(ctx)
    return ctx
