"""The Content-Security-Policy, now from django-csp 4 (issue 12 item 7): byte for byte the header the hand-written
middleware sent, Swagger UI's style hash on /api/docs/ only, and nonces for a page that asks for one."""

from __future__ import annotations

from django.http import HttpResponse
from django.test import RequestFactory

from campaign.middleware import ContentSecurityPolicyMiddleware
from tests.security.test_deploy import manage

# The hand-written middleware's header (campaign/middleware.py before django-csp), without MAP_TILES_URL.
BEFORE = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SWAGGER_STYLE = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"


def test_every_page_gets_the_same_policy_as_before(client, db):
    for path in ("/accounts/login/", "/lookup/", "/m/", "/no-such-page/"):
        assert client.get(path).headers["Content-Security-Policy"] == BEFORE, path


def test_the_api_docs_add_only_swagger_uis_style_hash(client, db):
    expected = BEFORE.replace("style-src 'self';", f"style-src 'self' {SWAGGER_STYLE};")

    assert client.get("/api/docs/").headers["Content-Security-Policy"] == expected


def test_map_tiles_may_come_from_the_host_of_map_tiles_url_only():
    code = (
        "from django.test import Client; from django.test.utils import setup_test_environment; "
        "setup_test_environment(); print(Client().get('/accounts/login/').headers['Content-Security-Policy'])"
    )
    done = manage("shell", "--no-imports", "-c", code, MAP_TILES_URL="https://tiles.gx.gov.cn:8443/{z}/{x}/{y}.png")

    assert done.returncode == 0, done.stderr
    header = done.stdout.strip().splitlines()[-1]
    assert header == BEFORE.replace("blob:;", "blob: https://tiles.gx.gov.cn:8443;")


def test_a_page_that_uses_a_nonce_gets_it_in_script_and_style_src():
    seen: list[str] = []

    def page(request):
        seen.append(str(request.csp_nonce))
        return HttpResponse(f'<script nonce="{request.csp_nonce}">start()</script>')

    response = ContentSecurityPolicyMiddleware(page)(RequestFactory().get("/somewhere/"))

    nonce = f"'nonce-{seen[0]}'"
    policy = response.headers["Content-Security-Policy"]
    assert f"script-src 'self' {nonce};" in policy and f"style-src 'self' {nonce};" in policy
    assert policy.replace(f" {nonce}", "") == BEFORE
