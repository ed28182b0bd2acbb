"""Server render of the leaders' dashboard (/dashboard/, issue 7): time and queries per period and unit level.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zf_bench_dashpage .venv/bin/python bench/dashboard_page.py \
        [--size district] [--repeat 10]

Creates its database if missing, migrates, seeds the demo (`seed_demo --size …`, skipped when already seeded),
then renders the page through the view (RequestFactory, the demo `leader`; no session, nothing written) for each
period at the district, a street and a community, and the export once. Prints median time and query count.
Touches nothing outside its database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import ensure_database, throwaway_keys  # noqa: E402

throwaway_keys()

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zf_bench_dashpage")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="district")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from campaign.models import OrgUnit, User
    from dashboard import views

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    call_command("seed_demo", size=args.size, verbosity=0)
    print(f"seed_demo --size {args.size}: {time.monotonic() - started:.1f} s (0 if already seeded)")
    leader = User.objects.select_related("unit").get(username="leader")
    street = OrgUnit.objects.filter(kind="street").order_by("path").first()
    community = OrgUnit.objects.filter(kind="community").order_by("path").first()
    factory = RequestFactory()
    print(f"{'unit':<10} {'period':<7} {'median ms':>9} {'queries':>7} {'bytes':>8}")
    cases = [("district", {}), ("street", {"unit": street.pk}), ("community", {"unit": community.pk})]  # type: ignore[union-attr]
    for label, base in cases:
        for period in ("today", "7d", "30d", "all"):
            params = {**base, "period": period}
            times, queries, size = [], 0, 0
            for _ in range(args.repeat):
                request = factory.get("/dashboard/", params)
                request.user = leader
                with CaptureQueriesContext(connection) as captured:
                    t0 = time.perf_counter()
                    response = views.dashboard_page(request)
                    times.append((time.perf_counter() - t0) * 1000)
                queries, size = len(captured.captured_queries), len(response.content)
            print(f"{label:<10} {period:<7} {statistics.median(times):>9.1f} {queries:>7} {size:>8}")
    request = factory.get("/dashboard/export.xlsx", {"period": "30d"})
    request.user = leader
    t0 = time.perf_counter()
    content = b"".join(views.export_xlsx(request))  # a FileResponse: streamed from a temporary file
    print(f"export.xlsx 30d (district): {(time.perf_counter() - t0) * 1000:.1f} ms, {len(content)} bytes")


if __name__ == "__main__":
    main()
