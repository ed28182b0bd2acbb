"""Error pages (issue 13 item 7): 400, 403, 404, 500 and a refused CSRF token answer a page in the app's style,
Chinese first (English once chosen), with a way back, under the same Content-Security-Policy as every page; the API
answers `{"detail": …}` as JSON for all of them, unknown API paths included. Tests run with DEBUG off, as production.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path

from config.urls import handler400, handler403, handler404, handler500  # the test urlconf below keeps them


def _boom(request: HttpRequest) -> None:
    raise RuntimeError("a bug in a view")


def _suspicious(request: HttpRequest) -> None:
    raise SuspiciousOperation("a request that makes no sense")


# Test-only URLs that fail, in front of the real ones (used by the tests marked urls(__name__)).
urlpatterns = [
    path("boom/", _boom),
    path("api/v1/boom/", _boom),
    path("suspicious/", _suspicious),
    path("", include("config.urls")),
]
__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

APP_CSS = 'href="/static/css/app.css"'
RAW = ("Not Found", "Server Error (500)", "Forbidden", "Bad Request", "Traceback", "CSRF verification failed")


def page_of(response) -> str:
    """The page, after checking what every error page shares: our stylesheet, the CSP header, the home link, and
    none of Django's bare or debug pages."""
    html = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert APP_CSS in html
    assert "default-src 'self'; script-src 'self'" in response.headers["Content-Security-Policy"]
    assert '<a href="/">返回首页</a>' in html or '<a href="/">Home page</a>' in html
    assert not any(raw in html for raw in RAW), html
    return html


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_an_unknown_page_is_a_chinese_404_with_the_way_home_and_to_the_login(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = page_of(response)
    assert "页面不存在" in html
    assert '<a href="/accounts/login/?next=/no-such-page/">登录</a>' in html


def test_the_404_is_english_once_the_user_chose_english(client, db):
    html = page_of(english(client).get("/no-such-page/"))

    assert "Page not found" in html and "页面不存在" not in html


def test_a_logged_in_user_gets_back_to_the_page_they_came_from_on_this_site_only(client, cadre):
    client.force_login(cadre)

    ours = page_of(client.get("/no-such-page/", HTTP_REFERER="http://testserver/m/"))
    theirs = page_of(client.get("/no-such-page/", HTTP_REFERER="https://evil.example/phish"))

    assert '<a href="http://testserver/m/" rel="nofollow">返回上一页</a>' in ours
    assert "返回上一页" not in theirs and "evil.example" not in theirs
    assert "退出" in ours and ">登录</a>" not in ours  # the header knows the user; no login link


def test_a_page_the_role_may_not_see_is_a_chinese_403(client, cadre):
    client.force_login(cadre)

    response = client.get("/audit/access/")

    assert response.status_code == 403
    assert "没有权限" in page_of(response)


@pytest.mark.urls(__name__)
def test_a_request_that_makes_no_sense_is_a_chinese_400(client, db):
    response = client.get("/suspicious/")

    assert response.status_code == 400
    assert "请求无效" in page_of(response)


def test_a_form_sent_without_its_token_explains_and_leads_back_to_the_form(db):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/lookup/", {"code": "GX-1", "last4": "1234"}, HTTP_REFERER="http://testserver/lookup/")

    assert response.status_code == 403
    html = page_of(response)
    assert "页面已过期" in html and "没有保存任何内容" in html
    assert '<a href="http://testserver/lookup/" rel="nofollow">返回上一页</a>' in html
    assert '<a href="/accounts/login/?next=/lookup/">登录</a>' in html


def test_a_logged_in_form_sent_with_a_stale_token_is_the_same_page_in_english(cadre):
    client = english(Client(enforce_csrf_checks=True))
    client.force_login(cadre)
    client.cookies[settings.CSRF_COOKIE_NAME] = "A" * 32  # a token from an older session

    response = client.post("/accounts/logout/", {"csrfmiddlewaretoken": "B" * 32})

    assert response.status_code == 403
    assert "The page has expired" in page_of(response)
    assert client.get("/m/").status_code == 200  # the refused logout did nothing


@pytest.mark.urls(__name__)
def test_a_bug_is_a_chinese_500_that_touches_no_database(db):
    client = Client(raise_request_exception=False)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/boom/")

    assert response.status_code == 500
    html = page_of(response)
    assert "服务器出错了" in html
    assert len(queries) == 0, [q["sql"] for q in queries]
    assert "English</button>" not in html  # no language form: it would need a CSRF token


@pytest.mark.urls(__name__)
def test_the_500_of_a_logged_in_user_reads_nothing_about_the_user(cadre):
    client = english(Client(raise_request_exception=False))
    client.force_login(cadre)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/boom/", HTTP_REFERER="http://testserver/m/")

    assert response.status_code == 500
    html = page_of(response)
    assert "Server error" in html and '<a href="http://testserver/m/" rel="nofollow">Back</a>' in html
    assert cadre.username not in html
    # Only Django's session middleware reads the session, after the page is made, for the cookie's expiry.
    assert [q["sql"] for q in queries if "django_session" not in q["sql"]] == []


def test_an_unknown_api_path_is_still_json(api, db):
    response = api.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"detail": "未找到。"}


@pytest.mark.urls(__name__)
def test_a_bug_under_the_api_is_a_json_500(db):
    response = Client(raise_request_exception=False).get("/api/v1/boom/")

    assert response.status_code == 500
    assert json.loads(response.content) == {"detail": "服务器内部错误，请稍后再试。"}


def test_the_apis_own_errors_keep_drfs_shape(api, cadre):
    # DRF answers these itself (campaign.errors.api_exception_handler); the handlers above are not involved.
    assert api.get("/api/v1/me/").json() == {"detail": "身份认证信息未提供。"}
    missing = api.as_user(cadre).get("/api/v1/households/999999/")
    assert missing.status_code == 404 and missing.json() == {"detail": "未找到。"}


def test_a_request_for_a_host_not_served_is_a_400_page_even_with_a_referer(db):
    client = Client(raise_request_exception=False)

    response = client.get("/", HTTP_HOST="evil.example", HTTP_REFERER="http://evil.example/")

    assert response.status_code == 400
    html = page_of(response)
    assert "请求无效" in html and "evil.example" not in html
