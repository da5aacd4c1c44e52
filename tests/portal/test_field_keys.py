"""Field encryption keys (等保 密码管理): several keys, rotation in resumable batches, and a wrong key that
degrades the pages to 无法解密 instead of a 500."""

import io

import pytest
from django.core.management import call_command
from django.db.models import TextField
from django.db.models.functions import Cast

from portal import fields
from subsidies.models import Award
from tests.subsidies.award_factories import PublicizedAwardFactory

pytestmark = pytest.mark.django_db

ACCOUNT = "6216610200016587"


def awarded(enterprise=None, n: int = 1) -> list[Award]:
    made = []
    for _ in range(n):
        award = PublicizedAwardFactory(
            status="confirmed", **({"enterprise": enterprise} if enterprise else {})
        )
        award.bank_name = "中国银行郑州高新区支行"
        award.bank_account = ACCOUNT
        award.save()
        made.append(award)
    return made


def tokens() -> list[str]:
    rows = (
        Award.objects.order_by("pk").annotate(t=Cast("bank_account", TextField())).values_list("t", flat=True)
    )
    return list(rows)


def test_the_newest_key_encrypts_and_every_configured_key_decrypts(settings):
    settings.FIELD_ENCRYPTION_KEY = "old-key"
    award = awarded()[0]

    settings.FIELD_ENCRYPTION_KEY = "new-key, old-key"
    read_with_both = Award.objects.get(pk=award.pk).bank_account
    settings.FIELD_ENCRYPTION_KEY = "new-key"
    read_with_new_only = Award.objects.get(pk=award.pk).bank_account

    assert read_with_both == ACCOUNT
    assert isinstance(read_with_new_only, fields.Unreadable)


def test_rotation_re_encrypts_every_value_so_the_old_key_can_be_dropped(settings):
    settings.FIELD_ENCRYPTION_KEY = "old-key"
    awarded(n=3)
    before = tokens()
    settings.FIELD_ENCRYPTION_KEY = "new-key,old-key"
    out, progress = io.StringIO(), io.StringIO()

    call_command("rotate_field_encryption", "--batch-size", "2", stdout=out, stderr=progress)
    settings.FIELD_ENCRYPTION_KEY = "new-key"

    assert out.getvalue().strip() == "重新加密 3 条，已是最新密钥 0 条，无法解密 0 条。"
    assert progress.getvalue().splitlines() == [
        f"subsidies.Award.bank_account: 2 条已处理（至 id {Award.objects.order_by('pk')[1].pk}）",
        f"subsidies.Award.bank_account: 3 条已处理（至 id {Award.objects.order_by('pk')[2].pk}）",
    ]
    assert set(tokens()).isdisjoint(before)
    assert [a.bank_account for a in Award.objects.order_by("pk")] == [ACCOUNT] * 3


def test_an_interrupted_rotation_resumes_where_it_stopped(settings):
    settings.FIELD_ENCRYPTION_KEY = "old-key"
    awarded(n=3)
    settings.FIELD_ENCRYPTION_KEY = "new-key,old-key"

    def crash(line):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fields.rotate(batch_size=2, report=crash)
    again = fields.rotate(batch_size=2)

    assert again == {"rotated": 1, "current": 2, "unreadable": 0}
    assert all(fields.is_current(token) for token in tokens())


def test_with_a_wrong_key_the_enterprise_pages_and_api_show_unreadable_instead_of_a_500(
    client, owner, settings
):
    settings.FIELD_ENCRYPTION_KEY = "the-key-it-was-stored-with"
    award = awarded(owner.enterprise)[0]
    settings.FIELD_ENCRYPTION_KEY = "a-wrong-key"
    client.force_login(owner)

    me = client.get("/me/")
    page = client.get(f"/me/awards/{award.pk}/")
    api = client.get("/api/v1/awards/")

    assert me.status_code == 200
    assert page.status_code == 200
    assert "无法解密" in page.content.decode()
    assert "收款账户信息暂时无法读取（系统密钥配置异常）" in page.content.decode()
    assert api.status_code == 200
    assert api.json()["results"][0]["bank_account"] == "无法解密"


def test_saving_a_record_under_a_wrong_key_keeps_the_stored_value(settings):
    settings.FIELD_ENCRYPTION_KEY = "right-key"
    award = awarded()[0]
    stored = tokens()
    settings.FIELD_ENCRYPTION_KEY = "wrong-key"

    Award.objects.get(pk=award.pk).save()
    settings.FIELD_ENCRYPTION_KEY = "right-key"

    assert tokens() == stored
    assert Award.objects.get(pk=award.pk).bank_account == ACCOUNT


def test_the_system_check_reports_values_the_keys_cannot_read(settings):
    settings.FIELD_ENCRYPTION_KEY = "right-key"
    awarded(n=2)
    assert fields.encrypted_values_readable() == []

    settings.FIELD_ENCRYPTION_KEY = "wrong-key"
    found = fields.encrypted_values_readable()

    assert [(w.id, w.msg) for w in found] == [
        (
            "portal.W001",
            "subsidies.Award.bank_account 有 2 条加密数据无法用当前 FIELD_ENCRYPTION_KEY 解密，"
            "页面将显示“无法解密”。",
        )
    ]
