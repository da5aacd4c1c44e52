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


def test_a_user_cannot_mark_anothers_message_read(client, owner):
    other = EnterpriseUserFactory()
    services.notify(recipients=[other], key="x", title="别人的消息")
    client.force_login(owner)

    client.post("/me/notifications/read/", {"id": Notification.objects.get().pk})

    assert Notification.objects.get().read_at is None
    assert "别人的消息" not in client.get("/me/notifications/").content.decode()
