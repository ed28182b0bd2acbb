"""Fixtures of the webhook tests (imported by each tests/interop/test_webhooks*.py as `<name>_fixture`, each named `<name>`): a partner of the test district,
a running receiver, a subscription whose secret the receiver knows, and tickets driven through the real machine."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from interop.delivery import deliveries_due, delivery_send
from interop.models import Partner, WebhookEvent, WebhookSubscription
from tests.dashboard.conftest import celery_conf
from tests.interop.webhook_receiver import Receiver
from tests.issues.conftest import Tickets


@pytest.fixture(name="webhook_settings", autouse=True)
def webhook_settings_fixture(request, settings) -> Iterator[None]:
    """Loopback targets allowed (the receiver is on 127.0.0.1); fast password hashing; Celery eager unless the test
    runs a real worker (then nothing is queued from here: the sweep and the worker send)."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if request.node.get_closest_marker("worker"):
        yield
        return
    with celery_conf(CELERY_TASK_ALWAYS_EAGER=True, CELERY_TASK_EAGER_PROPAGATES=True):
        yield


@pytest.fixture(name="tickets")
def tickets_fixture(org, cadre, dispatcher, handler, campaign_obj) -> Tickets:
    return Tickets(org, cadre, dispatcher, handler, campaign_obj)


@pytest.fixture(name="partner")
def partner_fixture(org) -> Partner:
    partner = Partner(name="市12345热线", district=org.district)
    partner.set_key()
    partner.save()
    return partner


@pytest.fixture(name="receiver")
def receiver_fixture() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


def subscribe(partner: Partner, receiver: Receiver, events: list[str] | None = None, **kw: Any) -> WebhookSubscription:
    subscription = WebhookSubscription(
        partner=partner, district=partner.district, url=receiver.url, events=events or list(WebhookEvent.values), **kw
    )
    receiver.secret = subscription.set_secret()
    subscription.full_clean()
    subscription.save()
    return subscription


def send_due() -> list[str | None]:
    """What beat's sweep and the workers do, in this process: one attempt at each due row."""
    return [delivery_send(pk) for pk in deliveries_due()]
