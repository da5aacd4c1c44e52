"""An award's shown status follows from its dates: past its publicity, it moves on (nightly and on read)."""

import datetime as dt

import pytest
import time_machine

from portal.accounts.models import Notification
from subsidies.models import AwardStatus
from subsidies.services import award_confirm, awards_publicity_end, awards_release
from subsidies.tasks import match_nightly
from tests.factories import EnterpriseUserFactory
from tests.subsidies.award_factories import (
    AwardFactory,
    PublicizedAwardFactory,
    bank_details,
    fast_passwords,  # noqa: F401 - a fixture
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

# PublicizedAwardFactory's publicity runs 2023-03-01 to 2023-03-07.
DURING = dt.datetime(2023, 3, 7, 10, tzinfo=dt.UTC)
AFTER = dt.datetime(2023, 3, 8, 10, tzinfo=dt.UTC)


@time_machine.travel(AFTER, tick=False)
def test_the_nightly_service_moves_awards_whose_publicity_ended_and_records_the_move():
    ended = PublicizedAwardFactory()
    running = PublicizedAwardFactory(publicity_to=dt.date(2023, 3, 8))

    assert awards_publicity_end() == 1

    ended.refresh_from_db()
    running.refresh_from_db()
    assert ended.status == AwardStatus.AWAITING
    assert running.status == AwardStatus.PUBLICIZED
    event = ended.events.get()
    assert (event.from_status, event.to_status, event.actor, event.note) == (
        "publicized",
        "awaiting",
        None,
        "公示期至 2023-03-07 届满，等待企业确认",
    )
    assert awards_publicity_end() == 0


@time_machine.travel(AFTER, tick=False)
def test_the_nightly_job_moves_awards_whose_publicity_ended():
    award = PublicizedAwardFactory()

    match_nightly()

    award.refresh_from_db()
    assert award.status == AwardStatus.AWAITING


def test_the_award_page_says_publicity_is_over_and_offers_the_form_before_the_nightly_job(client):
    award = PublicizedAwardFactory(scheme__title="研发费用后补助")
    owner = EnterpriseUserFactory(enterprise=award.enterprise)
    client.force_login(owner)

    with time_machine.travel(DURING, tick=False):
        during = client.get(f"/me/awards/{award.pk}/").content.decode()
        dashboard_during = client.get("/me/").content.decode()
    with time_machine.travel(AFTER, tick=False):
        after = client.get(f"/me/awards/{award.pk}/").content.decode()
        listing = client.get("/me/awards/").content.decode()
        dashboard = client.get("/me/").content.decode()

    assert '<span class="status s-publicized">公示中</span>' in during
    assert 'id="confirm-form"' not in during
    assert "公示中 1 ·" in dashboard_during
    assert '<span class="status s-awaiting">公示期满待确认</span>' in after
    assert "公示中</span>" not in after
    assert 'id="confirm-form"' in after
    assert '<span class="status s-awaiting">公示期满待确认</span>' in listing
    assert "确认并填写收款账户" in listing
    assert "1 项兑现待您确认" in dashboard
    assert "公示中 0 ·" in dashboard
    assert '<span class="status s-awaiting">公示期满待确认</span>' in dashboard
    assert "s-publicized" not in dashboard


@time_machine.travel(AFTER, tick=False)
def test_confirming_before_the_nightly_job_records_the_end_of_publicity_first():
    award = PublicizedAwardFactory()
    owner = EnterpriseUserFactory(enterprise=award.enterprise)

    award_confirm(award=award, user=owner, **bank_details(award))

    moves = list(award.events.order_by("id").values_list("from_status", "to_status"))
    assert moves == [("publicized", "awaiting"), ("awaiting", "confirmed")]


@time_machine.travel(AFTER, tick=False)
def test_an_award_the_nightly_job_moved_on_can_be_confirmed():
    award = PublicizedAwardFactory()
    awards_publicity_end()
    award.refresh_from_db()

    award = award_confirm(
        award=award, user=EnterpriseUserFactory(enterprise=award.enterprise), **bank_details(award)
    )

    assert award.status == AwardStatus.CONFIRMED


def test_the_inbox_shows_the_publicity_period_the_award_has_now(client, staff):
    award = AwardFactory(status="approved", scheme__publicity_days=5)
    owner = EnterpriseUserFactory(enterprise=award.enterprise)
    with time_machine.travel(dt.datetime(2023, 9, 28, 10, tzinfo=dt.UTC), tick=False):
        awards_release(awards=[award], user=staff)
    # Staff correct the period afterwards (here: restart it): the message must not keep the old dates.
    type(award).objects.filter(pk=award.pk).update(
        publicity_from=dt.date(2023, 10, 9), publicity_to=dt.date(2023, 10, 16)
    )
    client.force_login(owner)

    inbox = client.get("/me/notifications/").content.decode()

    note = Notification.objects.get(recipient=owner)
    assert "2023-09-28" not in note.body
    assert "公示期：2023-10-09 至 2023-10-16" in inbox
    assert "2023-10-11" not in inbox
    award.refresh_from_db()
    page = client.get(f"/me/awards/{award.pk}/").content.decode()
    assert "2023-10-09 — 2023-10-16" in page
