"""Raw rows for statistics tests, written straight through the ORM (the rollups only read them)."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import uuid
from collections.abc import Iterator
from typing import Any, cast

import pytest
from django.utils import timezone

from campaign.models import Household, OrgUnit
from issues.models import Ticket
from tests.factories import EnterpriseFactory, HouseholdFactory
from visits.models import Visit

TZ = timezone.get_default_timezone()
_codes = itertools.count(1)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@contextlib.contextmanager
def celery_conf(**values: Any) -> Iterator[None]:
    """Override Celery settings by their Django names (CELERY_…): with the "CELERY" namespace, a Django setting
    wins over `app.conf.task_always_eager = …`, so only the prefixed key really overrides it."""
    from config.celery import app

    missing = object()
    saved = {key: app.conf.changes.get(key, missing) for key in values}
    app.conf.update(values)
    _reset_connections(app)  # a changed broker URL needs new connection and producer pools
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is missing:
                app.conf.changes.pop(key, None)
            else:
                app.conf.changes[key] = value
        _reset_connections(app)


def _reset_connections(app: Any) -> None:
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture(autouse=True)
def eager_celery(request):
    """Tasks run in-process, whatever REDIS_URL says (worker tests switch this off themselves)."""
    if request.node.get_closest_marker("worker"):
        yield
        return
    with celery_conf(CELERY_TASK_ALWAYS_EAGER=True, CELERY_TASK_EAGER_PROPAGATES=True):
        yield


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An Asia/Shanghai moment of `day`."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)), TZ)


def household(unit: OrgUnit, members: int = 3) -> Household:
    return cast(Household, HouseholdFactory(unit=unit, members=members))


def enterprise(unit: OrgUnit) -> Any:
    return EnterpriseFactory(unit=unit)


def visit_row(*, cadre: Any, target: Any, when: dt.datetime, campaign: Any = None) -> Visit:
    """An unsaved visit of `target` (a household or an enterprise) at `when`."""
    is_household = isinstance(target, Household)
    return Visit(
        id=uuid.uuid4(),
        cadre=cadre,
        target_type="household" if is_household else "enterprise",
        household=target if is_household else None,
        enterprise=None if is_household else target,
        campaign=campaign,
        unit=target.unit,
        visited_at=when,
        geo_status="no_fix",
        body_hash="x" * 64,
    )


def ticket_row(*, unit: OrgUnit, created_at: dt.datetime, campaign: Any = None, **fields: Any) -> Ticket:
    """An unsaved ticket; `fields` set its latest state (status, dispatched_at, satisfaction, …). Its place keys are
    set here, as Ticket.save() does, so that bulk_create works on SQLite too (PostgreSQL's trigger would set them)."""
    values: dict[str, Any] = {"source": "hotline", "kind": "complaint", "category": "城市管理", "description": "诉求"}
    values.update(fields)
    keys = {"district_id": unit.district_id, "branch_id": unit.branch_id}
    return Ticket(code=f"T-{next(_codes):08d}", unit=unit, campaign=campaign, created_at=created_at, **keys, **values)
