import csv
import datetime as dt
import io
import json

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse

from portal.fields import lookup_hash
from portal.residents import services
from portal.residents.models import AccessAction, HousePurchase, Person, PersonAccess, SmsCode
from tests.factories import StaffFactory
from tests.residents.factories import PersonFactory, PurchaseBuyerFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 6, 30, 12, 0, tzinfo=dt.UTC)
ID_NUMBER = "11010519491231002X"


def household(paid_at=None, **person):
    link = PurchaseBuyerFactory(purchase__paid_at=paid_at, **{f"person__{k}": v for k, v in person.items()})
    return link.purchase, link.person


# Retention


def test_the_purge_deletes_households_paid_more_than_three_years_ago_and_keeps_the_rest():
    _old, old_buyer = household(paid_at=NOW - dt.timedelta(days=3 * 365 + 1), mobile="13800000001")
    recent, recent_buyer = household(paid_at=NOW - dt.timedelta(days=2 * 365))
    unpaid, unpaid_buyer = household()
    services.person_record_open(person=old_buyer, user=None, purpose="核对契税补贴资格")
    SmsCode.objects.create(mobile_hash=lookup_hash("13800000001"), code_hash="x", sent_at=NOW, expires_at=NOW)

    counts = services.resident_data_purge(now=NOW)

    assert counts == {"purchases": 1, "purchases_cleared": 0, "persons": 1, "sms_codes": 1}
    assert set(HousePurchase.objects.values_list("pk", flat=True)) == {recent.pk, unpaid.pk}
    assert set(Person.objects.values_list("pk", flat=True)) == {recent_buyer.pk, unpaid_buyer.pk}
    assert SmsCode.objects.count() == 0
    # The access log outlives the record, holding only the masked label.
    access = PersonAccess.objects.get()
    assert (access.person, access.person_label) == (None, str(old_buyer))


def test_a_buyer_with_another_unpaid_purchase_is_kept_when_the_paid_one_goes():
    old, buyer = household(paid_at=NOW - dt.timedelta(days=4 * 365))
    other = PurchaseBuyerFactory(person=buyer, purchase__paid_at=None).purchase

    counts = services.resident_data_purge(now=NOW)

    assert (counts["purchases"], counts["persons"]) == (1, 0)
    assert list(buyer.purchases.all()) == [other]
    assert not HousePurchase.objects.filter(pk=old.pk).exists()


def test_the_retention_period_is_a_setting(settings):
    settings.RESIDENT_DATA_RETENTION_YEARS = 5
    household(paid_at=NOW - dt.timedelta(days=4 * 365))

    assert services.resident_data_purge(now=NOW)["purchases"] == 0


def test_sms_codes_older_than_thirty_days_are_purged():
    SmsCode.objects.create(
        mobile_hash="a",
        code_hash="x",
        sent_at=NOW - dt.timedelta(days=31),
        expires_at=NOW - dt.timedelta(days=31),
    )
    fresh = SmsCode.objects.create(mobile_hash="b", code_hash="x", sent_at=NOW, expires_at=NOW)

    services.resident_data_purge(now=NOW)

    assert list(SmsCode.objects.all()) == [fresh]


def test_the_purge_command_dry_run_counts_and_deletes_nothing():
    household(paid_at=NOW - dt.timedelta(days=4 * 365))
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("purge_resident_data", "--dry-run", stdout=out)
    assert (
        out.getvalue().strip()
        == "将删除：购房记录 1 条，居民 1 人，已发放补贴的购房记录中的个人信息 0 条，短信验证码 0 条"
        "（保存期限：补贴发放后 3 年）。"
    )
    assert HousePurchase.objects.count() == 1

    with time_machine.travel(NOW, tick=False):
        call_command("purge_resident_data", stdout=out)
    assert HousePurchase.objects.count() == 0


def test_the_purge_is_a_nightly_job():
    from portal.celery import app
    from portal.residents.schedule import BEAT
    from portal.residents.tasks import resident_data_purge

    entry = BEAT["residents-data-purge"]
    assert app.conf.beat_schedule["residents-data-purge"] == entry
    assert app.tasks[entry["task"]].name == resident_data_purge.name


# Staff access with a purpose, and exports


def test_opening_a_record_without_a_purpose_is_refused():
    person = PersonFactory()
    with pytest.raises(services.ResidentError, match="请填写查看或导出居民信息的用途"):
        services.person_record_open(person=person, user=None, purpose=" 看看 ")
    assert PersonAccess.objects.count() == 0


def test_opening_a_record_logs_who_and_why():
    staff = StaffFactory(username="clerk")
    person = PersonFactory(name="张三明", id_number=ID_NUMBER)

    services.person_record_open(person=person, user=staff, purpose="核对  契税补贴资格")

    access = PersonAccess.objects.get()
    assert (access.username, access.action, access.purpose, access.person_label) == (
        "clerk",
        AccessAction.VIEW,
        "核对 契税补贴资格",
        "张*明（1101**********002X）",
    )


def test_an_export_is_masked_and_logged_for_each_person():
    staff = StaffFactory(username="clerk")
    purchase, person = household(name="张三明", id_number=ID_NUMBER, mobile="13812345678")
    lonely = PersonFactory(name="李四", mobile="13900000000")

    body = (
        services.persons_export(persons=[person, lonely], user=staff, purpose="补贴资格抽查")
        .read()
        .decode("utf-8-sig")
    )

    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == list(services.EXPORT_HEADERS)
    assert rows[1] == [
        "张*明",
        "1101**********002X",
        "138****5678",
        purchase.contract_no,
        purchase.address,
        "2023-03-15",
        "12000.00",
    ]
    assert rows[2][:3] == ["李*", lonely.masked_id_number, "139****0000"]
    assert ID_NUMBER not in body and "13812345678" not in body
    assert sorted(PersonAccess.objects.values_list("person_id", "action", "purpose")) == [
        (person.pk, "export", "补贴资格抽查"),
        (lonely.pk, "export", "补贴资格抽查"),
    ]


def test_a_person_downloads_everything_held_about_them_unmasked_with_the_access_log():
    purchase, person = household(name="张三明", id_number=ID_NUMBER, mobile="13812345678")
    PurchaseBuyerFactory(purchase=purchase, position=2, person__name="王五芳")
    services.person_record_open(
        person=person, user=StaffFactory(username="clerk"), purpose="核对契税补贴资格"
    )

    with time_machine.travel(dt.datetime(2023, 7, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        document = json.loads(services.person_data_export(person=person))

    assert document["本人信息"]["居民身份证号"] == ID_NUMBER
    assert document["本人信息"]["手机号"] == "13812345678"
    assert document["本人信息"]["姓名"] == "张三明"
    assert [p["网签合同号"] for p in document["购房记录"]] == [purchase.contract_no]
    assert document["购房记录"][0]["契税税额（元）"] == "12000.00"
    co_buyer = Person.objects.get(name="王五芳")
    assert document["购房记录"][0]["共同购房人"] == [f"王*芳（{co_buyer.masked_id_number}）"]
    assert [(a["操作人"], a["操作"], a["用途"]) for a in document["访问记录"]] == [
        ("clerk", "查看", "核对契税补贴资格")
    ]
    assert document["保存期限"] == "补贴发放后 3 年删除"
    # The download itself is logged, as the person's own.
    assert PersonAccess.objects.filter(action=AccessAction.SUBJECT_EXPORT, username="本人").count() == 1


def test_the_download_is_also_offered_as_csv():
    purchase, person = household(name="张三明", id_number=ID_NUMBER, mobile="13812345678")

    text = services.person_data_export(person=person, fmt="csv")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))

    # The byte-order mark first, so a spreadsheet program reads the Chinese as UTF-8.
    assert text.startswith("\ufeff")
    assert rows[0] == ["类别", "项目", "内容"]
    assert ["本人信息", "居民身份证号", ID_NUMBER] in rows
    assert [f"购房记录 {purchase.contract_no}", "新建商品房", "是"] in rows


def test_an_id_number_of_digits_stays_whole_in_a_spreadsheet_program():
    digits = "410105198806011017"
    _purchase, person = household(name="王五", id_number=digits, mobile="13812345679")

    rows = list(csv.reader(io.StringIO(services.person_data_export(person=person, fmt="csv"))))

    # After a tab, which makes the spreadsheet program keep all 18 digits as text (not 4.10105E+17).
    assert ["本人信息", "居民身份证号", "\t" + digits] in rows


# Admin


@pytest.fixture
def clerk(db):
    user = StaffFactory(username="clerk")
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="residents"))
    return user


def test_the_admin_list_shows_only_masked_numbers(client, clerk):
    household(name="张三明", id_number=ID_NUMBER, mobile="13812345678")
    client.force_login(clerk)

    page = client.get(reverse("admin:residents_person_changelist")).content.decode()

    assert "张*明" in page and "1101**********002X" in page and "138****5678" in page
    assert ID_NUMBER not in page and "13812345678" not in page and "张三明" not in page


def test_the_admin_finds_a_person_by_a_whole_id_number(client, clerk):
    household(name="张三明", id_number=ID_NUMBER)
    PersonFactory(name="李四")
    client.force_login(clerk)

    page = client.get(reverse("admin:residents_person_changelist"), {"q": ID_NUMBER.lower()}).content.decode()

    assert "张*明" in page and "李*" not in page


def test_staff_give_a_purpose_before_a_record_opens(client, clerk):
    purchase, person = household(name="张三明", id_number=ID_NUMBER)
    client.force_login(clerk)
    change_url = reverse("admin:residents_person_change", args=[person.pk])
    purpose_url = reverse("admin:residents_person_purpose", args=[person.pk])

    first = client.get(change_url)
    assert first.status_code == 302 and first["Location"] == purpose_url
    refused = client.post(purpose_url, {"purpose": "看"})
    assert "请填写查看或导出居民信息的用途" in refused.content.decode()
    assert PersonAccess.objects.count() == 0

    given = client.post(purpose_url, {"purpose": "核对契税补贴资格"})
    assert given.status_code == 302 and given["Location"] == change_url
    page = client.get(change_url).content.decode()
    assert "1101**********002X" in page and purchase.contract_no in page
    assert ID_NUMBER not in page
    assert PersonAccess.objects.get().purpose == "核对契税补贴资格"


def test_the_admin_export_asks_for_a_purpose_then_sends_a_masked_csv(client, clerk):
    _purchase, person = household(name="张三明", id_number=ID_NUMBER)
    client.force_login(clerk)
    url = reverse("admin:residents_person_changelist")
    selected = {"action": "export_masked", "_selected_action": [person.pk]}

    asked = client.post(url, selected)
    assert "请说明用途" in asked.content.decode()
    assert PersonAccess.objects.count() == 0

    response = client.post(url, {**selected, "apply": "1", "purpose": "补贴资格抽查"})
    body = response.getvalue().decode("utf-8-sig")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "1101**********002X" in body and ID_NUMBER not in body
    assert PersonAccess.objects.get().action == AccessAction.EXPORT


def test_the_admin_upload_imports_the_deed_tax_file(client, clerk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.residents.test_imports import FILE_ROWS, HEADERS_ZH, as_csv

    client.force_login(clerk)
    upload = SimpleUploadedFile("deed.csv", as_csv(HEADERS_ZH, FILE_ROWS), content_type="text/csv")

    page = client.post(reverse("admin:residents_deed_tax_import"), {"file": upload}).content.decode()

    assert "导入完成：共 3 行，新增 2，更新 0，未变 0。" in page
    assert HousePurchase.objects.count() == 2


def test_opening_a_purchase_in_admin_also_needs_a_purpose_and_logs_each_buyer(client, clerk):
    purchase, person = household(name="张三明", id_number=ID_NUMBER)
    co_buyer = PurchaseBuyerFactory(purchase=purchase, position=2).person
    client.force_login(clerk)
    change_url = reverse("admin:residents_housepurchase_change", args=[purchase.pk])
    purpose_url = reverse("admin:residents_housepurchase_purpose", args=[purchase.pk])

    first = client.get(change_url)
    assert first.status_code == 302 and first["Location"] == purpose_url
    asked = client.get(purpose_url).content.decode()
    assert f"您将查看购房记录 {purchase.contract_no} 中的个人信息" in asked

    client.post(purpose_url, {"purpose": "核对契税补贴资格"})
    page = client.get(change_url).content.decode()
    assert "张*明（1101**********002X）" in page and ID_NUMBER not in page
    assert sorted(PersonAccess.objects.values_list("person_id", "purpose")) == [
        (person.pk, "核对契税补贴资格"),
        (co_buyer.pk, "核对契税补贴资格"),
    ]


def test_an_export_costs_the_same_queries_for_two_people_or_twenty(django_assert_num_queries):
    staff = StaffFactory()
    few = [household()[1] for _ in range(2)]
    many = [household()[1] for _ in range(20)]

    # The people and the access log in one insert, in a savepoint (2); then, as the file streams, the
    # people with their purchases (2).
    with django_assert_num_queries(6):
        services.persons_export(persons=few, user=staff, purpose="补贴资格抽查").read()
    with django_assert_num_queries(6):
        services.persons_export(persons=many, user=staff, purpose="补贴资格抽查").read()
