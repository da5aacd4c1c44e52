import pytest
from django.core import mail

from portal.accounts import services
from portal.accounts.models import Notification
from tests.factories import EnterpriseUserFactory

pytestmark = pytest.mark.django_db


def test_notify_puts_one_message_per_recipient_and_key_however_often_called(owner):
    for _ in range(3):
        services.notify(recipients=[owner], key="policy-published:1", title="新政策发布")

    assert Notification.objects.filter(recipient=owner).count() == 1


def test_notify_emails_each_new_message_once(owner, django_capture_on_commit_callbacks):
    owner.email = "owner@example.com"
    owner.save()

    with django_capture_on_commit_callbacks(execute=True):
        services.notify(recipients=[owner], key="award:7", title="您有一项补贴", email=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(recipients=[owner], key="award:7", title="您有一项补贴", email=True)
    services.notification_emails_send(key="award:7")

    assert [m.subject for m in mail.outbox] == ["您有一项补贴"]
    assert mail.outbox[0].to == ["owner@example.com"]


def test_the_inbox_shows_the_unread_count_and_marks_read(client, owner):
    services.notify(recipients=[owner], key="a", title="第一条")
    services.notify(recipients=[owner], key="b", title="第二条")
    client.force_login(owner)

    page = client.get("/me/notifications/").content.decode()
    assert "第一条" in page and "第二条" in page
    assert '<span class="badge" aria-label="未读">2</span>' in page

    one = Notification.objects.get(key="a")
    client.post("/me/notifications/read/", {"id": one.pk})
    assert Notification.objects.filter(recipient=owner, read_at__isnull=True).count() == 1

    client.post("/me/notifications/read/")
    assert Notification.objects.filter(recipient=owner, read_at__isnull=True).count() == 0


def _badge(client) -> str | None:
    import re

    found = re.search(
        r'<span class="badge" aria-label="未读">(\d+)</span>', client.get("/me/").content.decode()
    )
    return found.group(1) if found else None


def test_the_unread_badge_is_kept_and_right_at_once_after_a_message_or_a_reading(client, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.notify(recipients=[owner], key="a", title="第一条")
    client.force_login(owner)
    assert _badge(client) == "1"
    with CaptureQueriesContext(connection) as queries:
        assert _badge(client) == "1"
    assert not [q for q in queries.captured_queries if "accounts_notification" in q["sql"]]

    services.notify(recipients=[owner, EnterpriseUserFactory()], key="b", title="第二条")
    assert _badge(client) == "2"

    client.post("/me/notifications/read/", {"id": Notification.objects.get(key="a").pk})
    assert _badge(client) == "1"
    client.post("/me/notifications/read/")
    assert _badge(client) is None


def test_the_unread_badge_is_counted_when_the_cache_cannot_be_reached(client, owner, settings):
    services.notify(recipients=[owner], key="a", title="第一条")
    client.force_login(owner)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    assert _badge(client) == "1"


def test_a_user_cannot_mark_anothers_message_read(client, owner):
    other = EnterpriseUserFactory()
    services.notify(recipients=[other], key="x", title="别人的消息")
    client.force_login(owner)

    client.post("/me/notifications/read/", {"id": Notification.objects.get().pk})

    assert Notification.objects.get().read_at is None
    assert "别人的消息" not in client.get("/me/notifications/").content.decode()
