"""The registries refuse hostile input before writing (issue 12 item 1): POST/PATCH of households and enterprises
answer 400 naming the field, never 500, and nothing is written."""

from __future__ import annotations

import json

import pytest

from campaign.models import Enterprise, Household
from tests.factories import HouseholdFactory


def _counts() -> tuple[int, int]:
    return Household.objects.count(), Enterprise.objects.count()


def _household(org, **change):
    return {"address": "幸福路1号", "unit": org.grid1.pk, "head_name": "张三", "members": 3, **change}


def _enterprise(org, **change):
    body = {"name": "示例公司", "credit_code": "91610113MA6U000000", "address": "科技路2号", "unit": org.grid1.pk}
    return {**body, **change}


HOUSEHOLD_ATTACKS = [
    ("address NUL", {"address": "幸福路\u00001号"}, "address"),
    ("address surrogate", {"address": "\ud800"}, "address"),
    ("head_name control", {"head_name": "张\u0007三"}, "head_name"),
    ("head_name C1", {"head_name": "张\u0085三"}, "head_name"),
    ("address very long", {"address": "路" * 100_000}, "address"),
    ("lat string NaN", {"lat": "NaN", "lng": 108.88}, "lat"),
    ("lng Infinity", {"lat": 34.19, "lng": "Infinity"}, "lng"),
    ("lat 1e308", {"lat": 1e308, "lng": 108.88}, "lat"),
    ("lat out of range", {"lat": 91, "lng": 108.88}, "lat"),
    ("members huge", {"members": 10**40}, "members"),
    ("tag control", {"tags": ["低保\u0000"]}, "tags"),
    ("tag surrogate", {"tags": ["\udc00"]}, "tags"),
]


@pytest.mark.parametrize(("case", "change", "field"), HOUSEHOLD_ATTACKS, ids=[c for c, _x, _f in HOUSEHOLD_ATTACKS])
def test_hostile_household_is_refused_naming_the_field(api, org, cadre, case, change, field):
    before = _counts()

    response = api.as_user(cadre).post(
        "/api/v1/households/", data=json.dumps(_household(org, **change)), content_type="application/json"
    )

    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert field in response.json(), response.json()
    assert _counts() == before


@pytest.mark.parametrize(("case", "change", "field"), HOUSEHOLD_ATTACKS, ids=[c for c, _x, _f in HOUSEHOLD_ATTACKS])
def test_hostile_household_change_changes_nothing(api, org, cadre, case, change, field):
    home = HouseholdFactory(unit=org.grid1, lat=34.19, lng=108.88)
    before = Household.objects.values().get(pk=home.pk)

    response = api.as_user(cadre).patch(
        f"/api/v1/households/{home.pk}/", data=json.dumps(change), content_type="application/json"
    )

    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert field in response.json(), response.json()
    assert Household.objects.values().get(pk=home.pk) == before


ENTERPRISE_ATTACKS = [
    ("name NUL", {"name": "公司\u0000"}, "name"),
    ("industry control", {"industry": "\u001b"}, "industry"),
    ("contact surrogate", {"contact_name": "\ud800"}, "contact_name"),
    ("credit code control", {"credit_code": "91610113MA6U00000\u0000"}, "credit_code"),
    ("lng NaN", {"lat": 34.19, "lng": "NaN"}, "lng"),
]


@pytest.mark.parametrize(("case", "change", "field"), ENTERPRISE_ATTACKS, ids=[c for c, _x, _f in ENTERPRISE_ATTACKS])
def test_hostile_enterprise_is_refused_naming_the_field(api, org, dispatcher, case, change, field):
    before = _counts()

    response = api.as_user(dispatcher).post(
        "/api/v1/enterprises/", data=json.dumps(_enterprise(org, **change)), content_type="application/json"
    )

    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert field in response.json(), response.json()
    assert _counts() == before
