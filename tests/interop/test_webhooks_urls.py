"""Hostile subscription URLs are refused (the SSRF guard, interop/ssrf.py): other schemes, credentials, loopback and
private networks unless the setting allows them, link-local and reserved addresses always, in any spelling."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError

from interop.models import WebhookSubscription
from interop.ssrf import resolved_problem, url_problem

REFUSED_ALWAYS = [
    "",
    "file:///etc/passwd",
    "ftp://partner.example.com/hook",
    "gopher://partner.example.com:70/_x",
    "javascript:alert(1)",
    "//partner.example.com/hook",
    "partner.example.com/hook",
    "http:///no-host",
    "http://user:secret@partner.example.com/hook",
    "http://partner.example.com:0/hook",
    "http://partner.example.com:99999/hook",
    "http://partner example.com/hook",
    "http://partner.example.com/ho\x00ok",
    "http://partner.example.com/\nhook",
    "https://partner.example.com/" + "a" * 500,
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata: link-local
    "http://[fe80::1]/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
]
REFUSED_UNLESS_ALLOWED = [
    "http://127.0.0.1:8000/hook",
    "http://localhost/hook",
    "http://api.localhost/hook",
    "http://2130706433/hook",  # 127.0.0.1 as one number
    "http://0x7f.1/hook",
    "http://127.1/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://10.0.0.5/hook",
    "http://192.168.1.10/hook",
    "http://172.16.0.1/hook",
]


@pytest.mark.parametrize("url", REFUSED_ALWAYS)
def test_refused_whatever_the_setting(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert url_problem(url)


@pytest.mark.parametrize("url", REFUSED_UNLESS_ALLOWED)
def test_loopback_and_private_targets_need_the_setting(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    assert url_problem(url)
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert url_problem(url) is None


@pytest.mark.parametrize("url", ["https://partner.example.com/hooks/zoufang", "http://8.8.8.8:8080/x?y=1"])
def test_public_targets_pass(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    assert url_problem(url) is None


def test_the_model_refuses_a_hostile_url(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    subscription = WebhookSubscription(url="http://2130706433/hook", events=["created"], secret="s")
    with pytest.raises(ValidationError) as refused:
        subscription.full_clean(exclude=["partner", "district"])
    assert "url" in refused.value.message_dict


@pytest.mark.parametrize("events", [[], ["created", "created"], ["deleted"], "created", [None]])
def test_the_model_refuses_bad_event_lists(events):
    subscription = WebhookSubscription(url="https://partner.example.com/h", events=events, secret="s")
    with pytest.raises(ValidationError) as refused:
        subscription.full_clean(exclude=["partner", "district"])
    assert "events" in refused.value.message_dict


def test_a_name_that_resolves_to_loopback_is_refused_at_send_time(settings, monkeypatch):
    # given: a public-looking name whose DNS answer points at the metadata service, or at the host itself
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    url = "https://rebind.partner.example.com/hook"
    assert url_problem(url) is None  # a name is not resolved on save
    for address in ("169.254.169.254", "127.0.0.1", "::1", "10.1.2.3"):
        answer = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 443))]
        monkeypatch.setattr(socket, "getaddrinfo", lambda *a, answer=answer, **k: answer)
        # then: the check before each attempt refuses it
        assert resolved_problem(url), address
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, 1, 6, "", ("93.184.216.34", 443))])
    assert resolved_problem(url) is None
