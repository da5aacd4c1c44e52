"""Subscriptions: subscribers of a policy's categories hear of it once, in the inbox and by email."""

import pytest
from django.core import mail
from django.urls import reverse

from policies import services, tasks
from policies.models import Subscription
from portal.accounts.models import Notification
from tests.factories import EnterpriseUserFactory, StaffFactory
from tests.policies.factories import CategoryFactory, PolicyFactory


@pytest.fixture
def tech(db):
    return CategoryFactory(name="科技创新", slug="tech")


@pytest.fixture
def talent(db):
    return CategoryFactory(name="人才", slug="talent")


def _subscriber(*categories, email="owner@example.com"):
    user = EnterpriseUserFactory(email=email)
    services.subscriptions_set(user=user, categories=categories)
    return user


@pytest.mark.django_db
def test_subscribers_of_the_policys_categories_get_one_message_and_one_email(
    tech, talent, django_capture_on_commit_callbacks
):
    owner = _subscriber(tech, talent, email="a@example.com")
    other = _subscriber(talent, email="b@example.com")
    policy = PolicyFactory(title="研发投入补助办法", categories=[tech])

    with django_capture_on_commit_callbacks(execute=True):
        services.policy_publish(policy=policy)

    notes = list(Notification.objects.all())
    assert [(n.recipient, n.key, n.title, n.url) for n in notes] == [
        (owner, f"policy-published:{policy.pk}", "新政策发布：研发投入补助办法", f"/policies/{policy.code}/")
    ]
    assert [m.to for m in mail.outbox] == [["a@example.com"]]
    assert other.notifications.count() == 0


@pytest.mark.django_db
def test_a_publish_task_delivered_twice_tells_each_subscriber_once(tech, django_capture_on_commit_callbacks):
    owner = _subscriber(tech)
    policy = PolicyFactory(categories=[tech])
    with django_capture_on_commit_callbacks(execute=True):
        services.policy_publish(policy=policy)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.notify_policy_subscribers.delay(policy.pk)
        tasks.notify_policy_subscribers.delay(policy.pk)

    assert owner.notifications.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_nothing_is_sent_when_the_publication_is_rolled_back(tech, django_capture_on_commit_callbacks):
    from django.db import transaction

    _subscriber(tech)
    policy = PolicyFactory(categories=[tech])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                services.policy_publish(policy=policy)
                raise RuntimeError("后续步骤失败")
        except RuntimeError:
            pass

    assert callbacks == []
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_a_subscriber_of_two_of_the_categories_is_told_once(tech, talent, django_capture_on_commit_callbacks):
    owner = _subscriber(tech, talent)
    with django_capture_on_commit_callbacks(execute=True):
        services.policy_publish(policy=PolicyFactory(categories=[tech, talent]))

    assert owner.notifications.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_subscription_made_after_publication_does_not_get_that_policys_notice(tech):
    import datetime as dt

    import time_machine

    policy = PolicyFactory(categories=[tech])
    with time_machine.travel(dt.datetime(2023, 6, 1, 10, tzinfo=dt.UTC)):
        services.policy_publish(policy=policy)
    with time_machine.travel(dt.datetime(2023, 6, 1, 11, tzinfo=dt.UTC)):
        late = _subscriber(tech)

    services.policy_subscribers_notify(policy_id=policy.pk)

    assert late.notifications.count() == 0


@pytest.mark.django_db
def test_setting_subscriptions_replaces_the_previous_choice(tech, talent):
    user = _subscriber(tech)

    services.subscriptions_set(user=user, categories=[talent])

    assert list(Subscription.objects.filter(user=user).values_list("category__slug", flat=True)) == ["talent"]


@pytest.mark.django_db
def test_staff_cannot_subscribe(tech):
    with pytest.raises(services.PolicyError, match="只有企业用户可以订阅政策"):
        services.subscriptions_set(user=StaffFactory(), categories=[tech])


@pytest.mark.django_db
def test_an_enterprise_user_subscribes_on_the_subscriptions_page(client, owner, tech, talent):
    client.force_login(owner)

    response = client.post(reverse("policies:subscriptions"), {"categories": [tech.pk]}, follow=True)

    assert response.status_code == 200
    assert "已订阅：科技创新。" in response.content.decode()
    assert list(owner.policy_subscriptions.values_list("category__name", flat=True)) == ["科技创新"]


@pytest.mark.django_db
def test_the_subscriptions_page_asks_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("policies:subscriptions"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_the_dashboard_shows_the_newest_policies_of_the_subscribed_categories(client, owner, tech):
    services.subscriptions_set(user=owner, categories=[tech])
    PolicyFactory(title="科技贷款贴息细则", categories=[tech], status="published")
    PolicyFactory(title="人才住房办法", status="published")
    client.force_login(owner)

    page = client.get(reverse("accounts:dashboard")).content.decode()

    assert "我订阅的政策" in page
    assert "科技贷款贴息细则" in page
    assert "人才住房办法" not in page


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_the_publication_notice_once(celery_worker):
    import time

    tech = CategoryFactory(name="科技创新", slug="tech")
    owner = _subscriber(tech)
    policy = PolicyFactory(categories=[tech])

    services.policy_publish(policy=policy)
    # A second delivery of the same work.
    assert tasks.notify_policy_subscribers.delay(policy.pk).get(timeout=30) == 1
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not Notification.objects.filter(emailed_at__isnull=False).exists():
        time.sleep(0.2)

    assert owner.notifications.count() == 1
    assert Notification.objects.get().emailed_at is not None
