"""The officials' inbox at 10,000 and 1,000,000 tickets (issue 14, item 1): is it flat?

    .venv/bin/python bench/inbox_scale.py [--repeat 30] [--sizes 10000,1000000]

For each size, in a database of its own (zf_inbox_10k, zf_inbox_1m on the local PostgreSQL; built once by
bench/inbox_data.py in SQL — the same shape at both sizes — and kept between runs), a child process migrates,
builds if needed, then times through Django's test Client in-process (the whole middleware stack, a logged-in
session, no network) the page /tickets/ and the API list /api/v1/tickets/ for the default order and each filter,
as a district dispatcher, a department handler and a street leader: `--repeat` requests each after 2 warm-ups,
p50 and p95 in ms. The parent prints one table with both sizes and the ratio 1M/10k of p95 (target ≤ 1.5).
Touches nothing outside its two databases.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import ensure_database, throwaway_keys  # noqa: E402

BASE = "postgres://postgres@127.0.0.1:5432/"
DATABASES = {10_000: "zf_inbox_10k", 1_000_000: "zf_inbox_1m"}
ROLES = ("bench_dispatcher", "bench_handler", "bench_leader")
PATHS = {"page": "/tickets/", "api": "/api/v1/tickets/"}


def cases(username: str) -> list[tuple[str, dict[str, str]]]:
    """(label, query) per filter (bench.inbox_data.filter_cases), then a second page."""
    from bench import inbox_data

    return [*inbox_data.filter_cases(username, _days_ago(60), _days_ago(30)), ("next page", {"cursor": "next"})]


def _days_ago(n: int) -> str:
    import datetime as dt

    return (dt.date.today() - dt.timedelta(days=n)).isoformat()


def measure(size: int, repeat: int) -> dict[str, list[float]]:
    """In the child: build if needed, then p50/p95 and the rows shown per (role, path, case)."""
    os.environ["DATABASE_URL"] = BASE + DATABASES[size]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    throwaway_keys()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from bench import inbox_data
    from campaign.models import User

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    inbox_data.build(size)
    print(f"{size} tickets built in {time.monotonic() - started:.0f} s (0: kept)", file=sys.stderr)
    results: dict[str, list[float]] = {}
    for username in ROLES:
        client = Client()
        client.force_login(User.objects.get(username=username))
        for label, query in cases(username):
            for kind, path in PATHS.items():
                if query.get("cursor") == "next":  # the second page of the default order
                    first = client.get(path, {"ordering": "priority"} if kind == "api" else {})
                    query = {"cursor": _next_cursor(first, kind)}
                params = {**query, **({"ordering": "priority"} if kind == "api" and label != "default" else {})}
                times = []
                for i in range(repeat + 2):
                    t0 = time.perf_counter()
                    response = client.get(path, params)
                    if i >= 2:
                        times.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200, (username, path, params, response.status_code)
                times.sort()
                p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
                results[f"{username}|{kind}|{label}"] = [statistics.median(times), p95, _rows(response, kind)]
    return results


def _rows(response, kind: str) -> int:  # type: ignore[no-untyped-def]
    """The tickets the answer shows: the API's results, the page's table rows (each `<tr class=…>` of its body)."""
    return len(response.json()["results"]) if kind == "api" else response.content.decode().count('<tr class="')


def _next_cursor(response, kind: str) -> str:  # type: ignore[no-untyped-def]
    from urllib.parse import parse_qs, urlsplit

    if kind == "api":
        link = response.json()["next"]
    else:
        html = response.content.decode()
        start = html.index("?cursor=") if "?cursor=" in html else html.index("cursor=")
        link = html[start : html.index('"', start)].replace("&amp;", "&")
    return parse_qs(urlsplit(link).query)["cursor"][0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.repeat)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    figures = {}
    for size in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(size), "--repeat", str(args.repeat)],
            check=True,
            capture_output=True,
            text=True,
        )
        sys.stderr.write(out.stderr[-2000:])
        figures[size] = json.loads(out.stdout.strip().splitlines()[-1])
    small, big = sizes[0], sizes[-1]
    print(f"Django test Client in-process; {args.repeat} requests each; ms; load: {os.getloadavg()}")
    print(
        f"{'role':<17} {'path':<5} {'case':<19} {'p50 10k':>8} {'p95 10k':>8} {'p50 1M':>8} {'p95 1M':>8} {'1M/10k':>7}"
        f" {'rows':>9}"
    )
    worst, worst_same, over, over_same = 0.0, 0.0, 0, 0
    for key, (p50s, p95s, rows_s) in figures[small].items():
        role, kind, label = key.split("|")
        p50b, p95b, rows_b = figures[big][key]
        ratio, same = p95b / p95s, rows_s == rows_b
        worst, over = max(worst, ratio), over + (ratio > 1.5)
        if same:  # the same number of tickets on the page at both sizes: a like-for-like comparison
            worst_same, over_same = max(worst_same, ratio), over_same + (ratio > 1.5)
        print(
            f"{role:<17} {kind:<5} {label:<19} {p50s:>8.1f} {p95s:>8.1f} {p50b:>8.1f} {p95b:>8.1f} {ratio:>7.2f}"
            f" {rows_s:>4}/{rows_b:<4}{'' if same else ' *'}"
        )
    print(f"worst p95 ratio 1M/10k: {worst:.2f}, {over} cases over 1.5 (target ≤ 1.5)")
    print(f"  where both sizes show the same number of tickets: worst {worst_same:.2f}, {over_same} cases over 1.5")
    print("  * the 10k answer shows fewer tickets than the 1M one: its time is partly a smaller page to render")


if __name__ == "__main__":
    main()
