"""Page load of the leaders' dashboard in headless Chromium (issue 7 item 6: under 2 s on this machine).

    .venv/bin/python bench/dashboard_load.py [--base http://127.0.0.1:8000] [--repeat 10] [--user leader]

Against a server already running on 127.0.0.1 (`make demo`, or `manage.py runserver` / gunicorn on a seeded
database): logs in through the login page as the demo leader, then loads /dashboard/ for each period `--repeat`
times and prints the median and p95 of the time from navigation until the charts and the map are drawn (each
sets data-ready="1"), with the requests the page made. Uses Debian's Chromium (/usr/bin/chromium); reaches no
address but the one given, which must be on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DRAWN = ("#chart-volume[data-ready='1']", "#chart-rates[data-ready='1']", "#dash-map[data-ready='1']")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--user", default="leader")
    parser.add_argument("--password", default="zoufang-demo")
    parser.add_argument("--periods", default="today,7d,30d,all")
    args = parser.parse_args()
    if urlsplit(args.base).hostname != "127.0.0.1":
        sys.exit("--base must be on 127.0.0.1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
        page.goto(f"{args.base}/accounts/login/?next=/dashboard/")
        page.fill("input[name=username]", args.user)
        page.fill("input[name=password]", args.password)
        page.click("button[type=submit].primary")
        page.wait_for_url(lambda url: "/dashboard/" in url)
        print(f"dashboard load in headless Chromium, {args.base}, user {args.user}, {args.repeat} loads each")
        for period in args.periods.split(","):
            times, requests = [], []
            for i in range(args.repeat + 1):  # the first load warms caches and is not counted
                seen: list[str] = []

                def listen(request: object, seen: list[str] = seen) -> None:
                    seen.append(str(request))

                page.on("request", listen)
                started = time.perf_counter()
                page.goto(f"{args.base}/dashboard/?period={period}")
                for selector in DRAWN:
                    page.wait_for_selector(selector, state="attached", timeout=60_000)
                elapsed = time.perf_counter() - started
                page.remove_listener("request", listen)
                if i:
                    times.append(elapsed)
                    requests = seen
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            print(f"  period={period:<6} median {statistics.median(times):.2f} s, p95 {p95:.2f} s, "
                  f"{len(requests)} requests")  # fmt: skip
        browser.close()


if __name__ == "__main__":
    main()
