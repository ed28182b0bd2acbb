"""A local HTTP server standing in for the SMS provider (Alibaba Cloud SMS) and the WeChat API (the real ones cannot
be reached here): it records every request and answers from a script, then with a default answer per path."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    headers: dict[str, str]

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeProviders:
    """`scripted[path]`: answers (status, JSON) used first, in order; then `default[path]`."""

    seen: list[Seen] = field(default_factory=list)
    scripted: dict[str, list[tuple[int, Any]]] = field(default_factory=dict)
    default: dict[str, tuple[int, Any]] = field(default_factory=dict)
    tokens_issued: int = 0
    url: str = ""

    def to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def answer(self, path: str) -> tuple[int, Any]:
        if self.scripted.get(path):
            return self.scripted[path].pop(0)
        if path == "/cgi-bin/token":
            self.tokens_issued += 1
            return 200, {"access_token": f"TOKEN-{self.tokens_issued}", "expires_in": 7200}
        return self.default.get(path, (404, {"error": "no such path"}))


def start(fake: FakeProviders) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            fake.seen.append(Seen(self.command, parts.path, query, body, dict(self.headers.items())))
            status, payload = fake.answer(parts.path)
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:  # keep the test output quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def providers(settings):
    """The SMS provider and the WeChat API, served locally (tests/issues/fake_providers.py), and the channels
    configured to use them; the SMS answer is OK unless a test scripts another."""
    fake = FakeProviders()
    fake.default["/"] = (200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "R-1"})
    fake.default["/cgi-bin/message/template/send"] = (200, {"errcode": 0, "errmsg": "ok", "msgid": 200228332})
    server = start(fake)
    settings.SMS_API_URL = f"{fake.url}/"
    settings.SMS_ACCESS_KEY_ID = "testId"
    settings.SMS_ACCESS_KEY_SECRET = "testSecret"
    settings.SMS_SIGN_NAME = "走访测试"
    settings.SMS_TEMPLATE_CODES = ["dispatched:SMS_100001", "resolved:SMS_100002", "*:SMS_100009"]
    settings.WECHAT_API_URL = fake.url
    settings.WECHAT_APP_ID = "wx0123456789abcdef"
    settings.WECHAT_APP_SECRET = "appsecret"
    settings.WECHAT_TEMPLATE_IDS = ["*:TPL-generic"]
    yield fake
    server.shutdown()
    server.server_close()
