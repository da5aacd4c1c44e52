import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from portal.fields import lookup_hash
from portal.residents.masking import mask_id_number, mask_mobile, mask_name
from portal.residents.models import Person, make_id_number, normalize_id_number
from tests.residents.factories import PersonFactory


def test_a_three_character_name_keeps_its_first_and_last_character():
    assert mask_name("张三明") == "张*明"


def test_a_two_character_name_keeps_only_the_surname():
    assert mask_name("张三") == "张*"


def test_a_four_character_name_hides_the_middle_two():
    assert mask_name("欧阳娜娜") == "欧**娜"


def test_an_id_number_keeps_the_prefecture_and_the_last_four():
    assert mask_id_number("410105199001011234") == "4101**********1234"


def test_a_mobile_number_keeps_the_first_three_and_last_four_digits():
    assert mask_mobile("13812345678") == "138****5678"


def test_a_generated_id_number_passes_the_check_character():
    number = make_id_number("410105", dt.date(1990, 1, 1), 123)
    assert number[:17] == "41010519900101123"
    assert Person(id_number=number).masked_id_number == f"4101**********{number[-4:]}"


@pytest.mark.django_db
def test_id_and_mobile_numbers_are_ciphertext_in_the_database():
    person = PersonFactory(name="张三明", id_number="11010519491231002X", mobile="13812345678")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, mobile, id_number_hash, mobile_hash FROM residents_person WHERE id = %s",
            [person.pk],
        )
        id_number, mobile, id_hash, mobile_hash = cursor.fetchone()
    assert "11010519491231002X" not in id_number
    assert "13812345678" not in mobile
    assert id_number.startswith("gAAAA")  # a Fernet token
    assert id_hash == lookup_hash("11010519491231002X")
    assert mobile_hash == lookup_hash("13812345678")
    assert Person.objects.get(pk=person.pk).id_number == "11010519491231002X"


@pytest.mark.django_db
def test_a_person_is_found_by_the_keyed_hash_of_a_number_written_any_way():
    person = PersonFactory(id_number="11010519491231002X", mobile="13812345678")
    assert list(Person.objects.with_id_number("110105 19491231002x")) == [person]
    assert list(Person.objects.with_mobile("+86 138-1234-5678")) == [person]


@pytest.mark.django_db
def test_a_person_prints_masked():
    person = PersonFactory(name="张三明", id_number="11010519491231002X")
    assert str(person) == "张*明（1101**********002X）"


def test_the_lookup_hash_depends_on_the_encryption_key(settings):
    before = lookup_hash("13812345678")
    settings.FIELD_ENCRYPTION_KEY = "another-key"
    assert lookup_hash("13812345678") != before


def test_an_id_number_issued_in_an_area_created_after_the_birth_year_is_accepted():
    number = make_id_number("410105", dt.date(1979, 11, 30), 7)  # 金水区 dates from 1983
    assert normalize_id_number(number.lower()) == number


def test_an_id_number_with_an_unknown_area_code_is_refused():
    number = make_id_number("999999", dt.date(1990, 1, 1), 7)
    with pytest.raises(ValidationError) as caught:
        normalize_id_number(number)
    assert caught.value.messages == [
        f"身份证号无效：9999**********{number[-4:]}（请核对位数、出生日期和校验位）"
    ]


def test_an_id_number_with_a_wrong_check_character_is_refused():
    number = make_id_number("410105", dt.date(1990, 1, 1), 7)
    wrong = number[:-1] + ("1" if number[-1] != "1" else "2")
    with pytest.raises(ValidationError):
        normalize_id_number(wrong)
