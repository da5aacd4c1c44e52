import pytest
from django.core.exceptions import ValidationError

from portal.enterprises.models import make_uscc, validate_uscc

VALID = ["91350100M000100Y43", "91110000600037341L", make_uscc(1)]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass(code):
    validate_uscc(code)


def test_a_wrong_check_character_is_named():
    code = make_uscc(1)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")

    with pytest.raises(ValidationError) as error:
        validate_uscc(wrong)

    assert "校验码错误" in error.value.messages[0]
    assert wrong in error.value.messages[0]


@pytest.mark.parametrize("code", ["9135010", "91350100M000100Y431", ""])
def test_a_wrong_length_is_refused(code):
    with pytest.raises(ValidationError) as error:
        validate_uscc(code)

    assert "统一社会信用代码" in error.value.messages[0]


def test_lowercase_is_refused_with_a_message_about_case():
    with pytest.raises(ValidationError) as error:
        validate_uscc("91350100m000100y43")

    assert "大写" in error.value.messages[0]


def test_letters_where_digits_belong_are_refused():
    with pytest.raises(ValidationError) as error:
        validate_uscc("9A350100M000100Y43")

    assert "格式错误" in error.value.messages[0]


def test_make_uscc_gives_distinct_valid_codes():
    codes = {make_uscc(n) for n in range(1, 200)}

    assert len(codes) == 199
    for code in codes:
        validate_uscc(code)
