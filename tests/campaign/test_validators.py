import pytest
from django.core.exceptions import ValidationError

from campaign.validators import mask_name, mask_phone, validate_credit_code, validate_mobile

# Published, real unified social credit codes (company registry) and ones with one character changed.
GOOD_CODES = ["91350100M000100Y43", "91110000802100433B", "91440300708461136T", "91310000775785552L"]
BAD_CODES = {
    "91350100M000100Y44": "check",  # wrong check character
    "91350100M00010": "length",
    "91350100M000100YI3": "charset",  # I is not in the alphabet
    "9135A100M000100Y43": "division",
}


@pytest.mark.parametrize("code", GOOD_CODES)
def test_valid_credit_codes_pass(code):
    validate_credit_code(code)


@pytest.mark.parametrize(("code", "reason"), BAD_CODES.items())
def test_invalid_credit_codes_are_refused_with_the_reason(code, reason):
    with pytest.raises(ValidationError) as err:
        validate_credit_code(code)
    assert err.value.code == reason


@pytest.mark.parametrize("phone", ["13812345678", "19912345678", "16612345678"])
def test_mainland_mobiles_pass(phone):
    validate_mobile(phone)


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "138123456789", "02988887777", "1381234567a"])
def test_other_numbers_are_refused(phone):
    with pytest.raises(ValidationError):
        validate_mobile(phone)


def test_masking_keeps_only_what_identifies_nothing():
    assert mask_phone("13812345678") == "138******78"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧**娜"
