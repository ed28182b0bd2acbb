"""Masks hide at least half of any value and never show a phone's last four digits (SPEC §2, issue 12 item 4)."""

import pytest

from campaign.validators import mask_id_number, mask_name, mask_phone


def _shown(masked: str) -> int:
    return sum(1 for ch in masked if ch.isalnum())


def _hidden(masked: str) -> int:
    return masked.count("*")


def test_a_mobile_keeps_its_first_three_and_last_two_digits():
    assert mask_phone("13812345678") == "138******78"


def test_a_landline_is_masked_the_same_way():
    assert mask_phone("029-88886666") == "029-******66"
    assert mask_phone("02988886666") == "029******66"


@pytest.mark.parametrize(
    "phone", ["13812345678", "029-88886666", "0298888666", "88886666", "12345", "1234", "12", "+86 138 1234 5678"]
)
def test_a_phone_mask_hides_half_and_never_the_last_four_digits(phone):
    masked = mask_phone(phone)
    digits = [ch for ch in phone if ch.isalnum()]

    assert _hidden(masked) * 2 >= len(digits)
    assert "".join(digits[-4:]) not in masked.replace("-", "").replace(" ", "")
    assert len(masked) == len(phone)


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张", "*"), ("张三", "张*"), ("王小明", "王**"), ("欧阳娜娜", "欧**娜"), ("爱新觉罗溥仪", "爱****仪")],
)
def test_names_keep_the_first_character_and_hide_at_least_half(name, masked):
    assert mask_name(name) == masked
    assert _hidden(masked) * 2 >= len(name)


@pytest.mark.parametrize("number", ["610113199001011230", "11010519491231002X"])
def test_id_numbers_hide_the_birth_date_and_more_than_half(number):
    masked = mask_id_number(number)

    assert masked == number[:6] + "*" * 10 + number[-2:]
    assert _hidden(masked) * 2 >= len(number) and number[6:14] not in masked


def test_empty_values_stay_empty():
    assert mask_phone("") == mask_name("") == mask_id_number("") == ""


def test_a_household_is_found_by_its_heads_name_only_by_roles_that_may_reveal(api, org, leader, dispatcher):
    from tests.factories import HouseholdFactory

    home = HouseholdFactory(unit=org.grid1, head_name="欧阳明娜", address="丈八街道锦业路1号")

    def found(user, q):
        rows = api.as_user(user).get(f"/api/v1/households/?q={q}").json()["results"]
        return {row["id"] for row in rows}

    assert found(dispatcher, "欧阳明娜") == {home.pk}  # a dispatcher contacts residents
    assert found(leader, "欧阳明娜") == set()  # a leader reads figures: a match alone would tell who lives where
    assert found(leader, "锦业路1号") == {home.pk}  # the address stays searchable
