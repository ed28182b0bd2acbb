"""The household head's ID number (身份证号): GB 11643 validated, encrypted at rest with the PII keys (MultiFernet),
found by exact value through a keyed hash, re-encrypted by `manage.py rotate_pii`."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from campaign.importer import registry_import
from campaign.models import Household
from campaign.validators import validate_id_number
from tests.factories import HouseholdFactory

NUMBER = "610113199001011230"
OTHER = "11010519491231002X"


def raw_row(pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT head_id_number, head_id_number_hash FROM campaign_household WHERE id = %s", [pk])
        return cursor.fetchone()


def decrypts_with(key: str, token: str) -> bool:
    try:
        Fernet(key).decrypt(token.encode())
    except Exception:
        return False
    return True


@pytest.mark.parametrize("number", [NUMBER, OTHER, "11010519491231002x"])
def test_valid_numbers_pass(number):
    validate_id_number(number)


@pytest.mark.parametrize(
    "number",
    ["610113199001011231", "61011319900101123", "6101131990010112301", "610113199002301234", "61011319900101123Y"],
)
def test_a_wrong_check_character_length_or_birth_date_is_refused(number):
    with pytest.raises(ValidationError):
        validate_id_number(number)


def test_the_number_is_encrypted_in_the_row_and_decrypts_back(org, settings):
    home = HouseholdFactory(unit=org.grid1, head_id_number=NUMBER)

    token, digest = raw_row(home.pk)
    assert NUMBER not in token and "19900101" not in token and NUMBER not in digest
    assert decrypts_with(settings.PII_KEYS[0], token)
    assert Household.objects.get(pk=home.pk).head_id_number == NUMBER


def test_exact_lookup_by_the_keyed_hash(org):
    home = HouseholdFactory(unit=org.grid1, head_id_number=OTHER)
    HouseholdFactory(unit=org.grid1, head_id_number=NUMBER)
    HouseholdFactory(unit=org.grid1)

    assert list(Household.objects.with_id_number(OTHER.lower())) == [home]
    assert not Household.objects.with_id_number("").exists()
    assert not Household.objects.with_id_number("110105194912310011").exists()


def test_rotate_pii_re_encrypts_with_the_first_key_and_keeps_lookups(org, settings):
    old_key = settings.PII_KEYS[0]
    home = HouseholdFactory(unit=org.grid1, head_id_number=NUMBER)
    blank = HouseholdFactory(unit=org.grid1)
    new_key = Fernet.generate_key().decode()
    settings.PII_KEYS = [new_key, old_key]  # the new key first; the old one still decrypts (and keeps the hash key)

    assert Household.objects.get(pk=home.pk).head_id_number == NUMBER
    call_command("rotate_pii", stdout=open("/dev/null", "w"))

    token, _ = raw_row(home.pk)
    assert decrypts_with(new_key, token) and not decrypts_with(old_key, token)
    assert raw_row(blank.pk) == ("", "")
    settings.PII_KEYS = [new_key]  # the old key dropped: values still read; rotate again recomputes the hashes
    call_command("rotate_pii", stdout=open("/dev/null", "w"))
    assert Household.objects.get(pk=home.pk).head_id_number == NUMBER
    assert list(Household.objects.with_id_number(NUMBER)) == [home]


def test_the_registry_api_refuses_a_bad_number_and_stores_nothing(api, dispatcher, org):
    before = Household.objects.count()
    body = {"address": "锦业路1号", "unit": org.grid1.pk, "head_name": "李四", "head_id_number": "610113199001011231"}

    response = api.as_user(dispatcher).post("/api/v1/households/", body, format="json")

    assert response.status_code == 400 and "head_id_number" in response.json()
    assert Household.objects.count() == before


def test_the_registry_api_stores_a_valid_number_encrypted(api, dispatcher, org):
    body = {"address": "锦业路1号", "unit": org.grid1.pk, "head_name": "李四", "head_id_number": OTHER.lower()}

    response = api.as_user(dispatcher).post("/api/v1/households/", body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["head_id_number"] == "110105**********2X"
    home = Household.objects.get(pk=response.json()["id"])
    assert home.head_id_number == OTHER and OTHER not in raw_row(home.pk)[0]


def test_the_import_validates_encrypts_and_hashes_the_number(org):
    def row(address, name, number):
        return {"地址": address, "网格": "丈八一网格", "户主姓名": name, "身份证号": number}

    bad = registry_import(kind="households", rows_or_file=[row("锦业路1号", "李四", "610113199001011231")])
    assert not bad.ok and "身份证号" in str(bad.errors) and "610113199001011231" not in str(bad.errors)
    assert not Household.objects.exists()

    good = registry_import(
        kind="households", rows_or_file=[row("锦业路1号", "李四", OTHER.lower()), row("锦业路2号", "王五", "")]
    )

    assert good.ok, good.errors
    home = Household.objects.get(head_name="李四")
    assert home.head_id_number == OTHER and OTHER not in raw_row(home.pk)[0]
    assert list(Household.objects.with_id_number(OTHER)) == [home]
    assert raw_row(Household.objects.get(head_name="王五").pk) == ("", "")
