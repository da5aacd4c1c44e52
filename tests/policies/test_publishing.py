"""Publishing rules: a complete guide; status moves only draft -> published -> expired | repealed."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from policies import services
from policies.models import Policy, PolicyStatus
from tests.policies.factories import PolicyFactory

pytestmark = pytest.mark.django_db


def test_publishing_a_draft_with_a_complete_guide_makes_it_published(staff):
    policy = PolicyFactory(published_on=None, effective_from=None)

    with time_machine.travel(dt.datetime(2023, 6, 1, 10, tzinfo=dt.UTC)):
        services.policy_publish(policy=policy, user=staff)

    policy.refresh_from_db()
    assert policy.status == PolicyStatus.PUBLISHED
    assert policy.published_on == dt.date(2023, 6, 1)
    assert policy.effective_from == dt.date(2023, 6, 1)
    assert policy.published_by == staff


def test_publishing_without_a_complete_guide_is_refused_naming_the_missing_fields():
    policy = PolicyFactory(title="测试政策", guide_conditions="", guide_phone="  ", guide_how="")

    with pytest.raises(services.PolicyError) as error:
        services.policy_publish(policy=policy)

    assert str(error.value) == "《测试政策》的申兑指南不完整，不能发布。缺少：申报条件、兑现方式、咨询电话。"
    assert Policy.objects.get(pk=policy.pk).status == PolicyStatus.DRAFT


def test_a_published_policy_cannot_be_published_again():
    policy = PolicyFactory(status="published")

    with pytest.raises(services.PolicyError, match="只有草稿可以发布"):
        services.policy_publish(policy=policy)


def test_a_published_policys_guide_cannot_be_emptied():
    policy = PolicyFactory(status="published")
    policy.guide_office = ""

    with pytest.raises(services.PolicyError, match="缺少：受理地址"):
        services.policy_save(policy=policy)


def test_the_status_cannot_be_changed_by_saving():
    policy = PolicyFactory()
    policy.status = PolicyStatus.PUBLISHED

    with pytest.raises(services.PolicyError, match="只能通过"):
        services.policy_save(policy=policy)


def test_a_new_policy_starts_as_a_draft():
    policy = PolicyFactory.build(status=PolicyStatus.PUBLISHED, department=PolicyFactory().department)

    with pytest.raises(services.PolicyError, match="须先保存为草稿"):
        services.policy_save(policy=policy)


def test_repealing_needs_a_reason_and_records_it(staff):
    policy = PolicyFactory(status="published")

    with pytest.raises(services.PolicyError, match="须填写废止原因"):
        services.policy_repeal(policy=policy, reason="  ")
    services.policy_repeal(policy=policy, reason="已被新政策替代", user=staff)

    policy.refresh_from_db()
    assert (policy.status, policy.repeal_reason, policy.repealed_by) == (
        PolicyStatus.REPEALED,
        "已被新政策替代",
        staff,
    )


def test_a_draft_cannot_be_repealed():
    with pytest.raises(services.PolicyError, match="只有已发布或已失效的政策可以废止"):
        services.policy_repeal(policy=PolicyFactory(), reason="不再需要")


def test_a_policy_past_its_end_date_reads_as_expired_before_the_nightly_job_and_is_stored_so_by_it():
    with time_machine.travel(dt.datetime(2023, 6, 1, 10, tzinfo=dt.UTC)):
        policy = PolicyFactory(effective_to=dt.date(2023, 12, 31), status="published")

    # 00:30 on 1 January in Shanghai: the day after the end date, before the nightly job.
    with time_machine.travel(dt.datetime(2023, 12, 31, 16, 30, tzinfo=dt.UTC)):
        fresh = Policy.objects.with_status_now().get(pk=policy.pk)
        assert (fresh.status, fresh.status_now, fresh.current_status) == ("published", "expired", "expired")
        assert services.policies_expire() == 1
        assert services.policies_expire() == 0

    assert Policy.objects.get(pk=policy.pk).status == PolicyStatus.EXPIRED


def test_an_old_policy_entered_after_its_end_date_is_published_straight_to_expired_and_announced_to_no_one(
    enterprise,
):
    policy = PolicyFactory(effective_to=dt.date(2022, 12, 31), effective_from=dt.date(2021, 1, 1))

    services.policy_publish(policy=policy)

    assert Policy.objects.get(pk=policy.pk).status == PolicyStatus.EXPIRED
    assert mail.outbox == []


def test_an_expired_policy_can_still_be_repealed():
    policy = PolicyFactory(effective_to=dt.date(2022, 12, 31), effective_from=dt.date(2021, 1, 1))
    services.policy_publish(policy=policy)

    services.policy_repeal(policy=policy, reason="清理")

    assert Policy.objects.get(pk=policy.pk).status == PolicyStatus.REPEALED


def test_a_policy_cannot_be_superseded_by_itself_or_in_a_circle():
    old = PolicyFactory(status="published")
    new = PolicyFactory(status="published")
    old.superseded_by = new
    services.policy_save(policy=old)

    new.superseded_by = old
    with pytest.raises(services.PolicyError, match="循环"):
        services.policy_save(policy=new)
    old.superseded_by = old
    with pytest.raises(services.PolicyError, match="循环"):
        services.policy_save(policy=old)


def test_an_end_date_before_the_start_date_is_refused_in_chinese():
    policy = PolicyFactory.build(
        department=PolicyFactory().department,
        effective_from=dt.date(2023, 5, 1),
        effective_to=dt.date(2023, 4, 1),
    )

    with pytest.raises(services.PolicyError, match="失效日期不能早于生效日期。"):
        services.policy_save(policy=policy)


def test_a_code_that_names_a_catalogue_page_is_refused():
    policy = PolicyFactory.build(code="subscriptions", department=PolicyFactory().department)

    with pytest.raises(services.PolicyError, match="系统保留"):
        services.policy_save(policy=policy)


def test_publishing_makes_the_stats_read_the_records_again():
    from django.utils import timezone

    from portal import stats
    from subsidies.models import Award
    from tests.subsidies.award_factories import AwardFactory

    today = timezone.localdate()
    award = AwardFactory(status="candidate")
    before = stats.figures(start=today, end=today)
    # Approved behind the services' back, in bulk (no signal): the cache cannot know.
    Award.objects.filter(pk=award.pk).update(status="approved")
    assert stats.figures(start=today, end=today) == before

    services.policy_publish(policy=PolicyFactory())

    after = stats.figures(start=today, end=today)
    assert (before["auto_subsidy_policies"], before["auto_subsidy_amount"]) == (0, "0.00")
    assert (after["auto_subsidy_policies"], after["auto_subsidy_amount"]) == (1, "100000.00")
