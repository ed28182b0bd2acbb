"""Shared fixtures: a small district with named people (STYLE 11).

district 高新区 (GX)
├── street1 丈八街道 ── community1 ── grid1 (34.190, 108.880)
├── street2 鱼化寨街道 ── community2 ── grid2 (34.230, 108.850)
├── dept1 城管局, dept2 人社局
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest
from django.test import Client as DjangoClient
from rest_framework.test import APIClient

from campaign.models import OrgUnit, Role, UnitKind, User
from tests.factories import CampaignFactory, UserFactory, square

CHROMIUM = "/usr/bin/chromium"


@dataclass
class Org:
    district: OrgUnit
    street1: OrgUnit
    street2: OrgUnit
    community1: OrgUnit
    community2: OrgUnit
    grid1: OrgUnit
    grid2: OrgUnit
    dept1: OrgUnit
    dept2: OrgUnit


def _unit(name: str, kind: str, parent: OrgUnit | None = None, **kw: object) -> OrgUnit:
    return OrgUnit.objects.create(name=name, kind=kind, parent=parent, **kw)


@pytest.fixture
def org(db) -> Org:
    district = _unit("高新区", UnitKind.DISTRICT, code="GX", lat=34.19, lng=108.88)
    street1 = _unit("丈八街道", UnitKind.STREET, district)
    street2 = _unit("鱼化寨街道", UnitKind.STREET, district)
    community1 = _unit("丈八社区", UnitKind.COMMUNITY, street1)
    community2 = _unit("鱼化社区", UnitKind.COMMUNITY, street2)
    grid1 = _unit("丈八一网格", UnitKind.GRID, community1, boundary=square(34.19, 108.88), lat=34.19, lng=108.88)
    grid2 = _unit("鱼化一网格", UnitKind.GRID, community2, boundary=square(34.23, 108.85), lat=34.23, lng=108.85)
    dept1 = _unit("城管局", UnitKind.DEPARTMENT, district)
    dept2 = _unit("人社局", UnitKind.DEPARTMENT, district)
    return Org(district, street1, street2, community1, community2, grid1, grid2, dept1, dept2)


@pytest.fixture
def campaign_obj(org: Org):
    campaign = CampaignFactory()
    campaign.units.add(org.district)
    return campaign


def _user(username: str, role: str, unit: OrgUnit) -> User:
    return UserFactory(username=username, role=role, unit=unit)


@pytest.fixture
def admin_user(org: Org) -> User:
    return _user("admin", Role.ADMIN, org.district)


@pytest.fixture
def leader(org: Org) -> User:
    return _user("leader", Role.LEADER, org.district)


@pytest.fixture
def street_leader(org: Org) -> User:
    return _user("streetleader", Role.LEADER, org.street1)


@pytest.fixture
def dispatcher(org: Org) -> User:
    return _user("dispatcher", Role.DISPATCHER, org.district)


@pytest.fixture
def handler(org: Org) -> User:
    return _user("handler", Role.HANDLER, org.dept1)


@pytest.fixture
def handler2(org: Org) -> User:
    return _user("handler2", Role.HANDLER, org.dept2)


@pytest.fixture
def cadre(org: Org) -> User:
    return _user("cadre", Role.CADRE, org.grid1)


@pytest.fixture
def cadre2(org: Org) -> User:
    return _user("cadre2", Role.CADRE, org.grid2)


@pytest.fixture
def api():
    """An API client; `api.as_user(u)` authenticates it as u."""

    class Client(APIClient):
        def as_user(self, user: User) -> Client:
            self.force_authenticate(user)
            return self

    return Client()


@pytest.fixture
def web(client):
    """The pages' test client: `web(u)` is Django's client logged in as u."""

    def as_user(user: User) -> DjangoClient:
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def chromium_path() -> str:
    if not (os.path.exists(CHROMIUM) and shutil.which("chromium")):
        pytest.skip("browser test skipped: Debian's chromium is not installed (/usr/bin/chromium)")
    return CHROMIUM


def pytest_configure(config: pytest.Config) -> None:
    """Celery runs tasks eagerly in tests; worker tests (marked `worker`) start a real worker instead."""
    from django.conf import settings

    from config.celery import app

    # Fast password hashing: fixtures create many users; production keeps Django's PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The app reads Django settings under the CELERY_ namespace, so the namespaced keys are the ones that count.
    app.conf.update(CELERY_TASK_ALWAYS_EAGER=True, CELERY_TASK_EAGER_PROPAGATES=True)
    # Background exports run as the Celery task (eager here) unless a test asks for the embedded default's thread.
    settings.EXPORTS_IN_THREAD = False


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and cached figures never leak between tests (the cache is Redis when REDIS_URL is set)."""
    from django.core.cache import cache

    cache.clear()
    yield
