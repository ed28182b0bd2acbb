"""What every browser test shares: Debian's Chromium flags, the local base URL, a watcher that collects console
errors and any request leaving 127.0.0.1, and logging in through the login page."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"]
TIMEOUT_MS = 15_000
SHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"


def base_url(live_server: Any) -> str:
    """The live server by its loopback address, so "nothing leaves 127.0.0.1" is checked literally."""
    return live_server.url.replace("//localhost:", "//127.0.0.1:")


class Watch:
    """Console errors, page errors and non-local requests of every page and context it is attached to."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.foreign: list[str] = []

    def context(self, context: Any) -> Any:
        context.on("request", self._request)
        return context

    def page(self, page: Any) -> Any:
        page.on(
            "console",
            lambda m: self.errors.append(f"{m.text} {m.location.get('url', '')}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        return page

    def _request(self, request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != "127.0.0.1":
            self.foreign.append(request.url)


def login(page: Any, base: str, username: str, next_url: str = "/", password: str = "pw") -> None:
    """Log in through the login page and wait until `next_url` has loaded."""
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}{next_url}")


def dispatch_form_submit(page: Any, *, mode: str, lead_unit_id: int, problem: str, measures: str, effect: str) -> None:
    """On an open ticket page, fill the dispatch form's mode and five clarities (责任人 王科长) and submit it."""
    page.click("details[data-action=dispatch] > summary")
    page.select_option("#id_dispatch_mode", mode)
    page.fill("#id_dispatch_problem", problem)
    page.select_option("#id_dispatch_lead_unit", str(lead_unit_id))
    page.fill("#id_dispatch_responsible_person", "王科长")
    page.fill("#id_dispatch_measures", measures)
    page.fill("#id_dispatch_expected_effect", effect)
    page.click("#act-dispatch button[type=submit]")


# Where the test phone stands: at the demo household of grid1 (tests/visits), within a verified visit's reach.
PHONE_AT = {"latitude": 34.1902, "longitude": 108.8802, "accuracy": 12}


def phone_context(browser: Any, *, size: tuple[int, int] = (360, 740), touch: bool = False) -> Any:
    """A phone (360 px unless `size` says) in Xi'an with its location shared (the phone page's tests), pages timing
    out at TIMEOUT_MS; `touch`: a touch screen of pixel ratio 2, as a real phone's."""
    screen = {"device_scale_factor": 2, "is_mobile": True, "has_touch": True} if touch else {}
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]},
        **screen,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        geolocation=PHONE_AT,
        permissions=["geolocation"],
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context
