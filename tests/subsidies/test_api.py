from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from subsidies.models import AwardStatus, SchemeMode, SchemeStatus
from tests.factories import EnterpriseUserFactory
from tests.subsidies.award_factories import (
    AwardFactory,
    AwardSchemeFactory,
    PublicizedAwardFactory,
    bank_details,
    fast_passwords,  # noqa: F401 - a fixture
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def api():
    return APIClient()


def test_an_enterprise_lists_only_its_own_released_awards(api, owner):
    mine = PublicizedAwardFactory(enterprise=owner.enterprise)
    unreleased = AwardFactory(enterprise=owner.enterprise)  # a candidate not yet released
    theirs = PublicizedAwardFactory()  # another enterprise's, released: only the enterprise scope hides it
    api.force_authenticate(owner)

    body = api.get("/api/v1/awards/").json()

    assert body["count"] == 1
    item = body["results"][0]
    assert item["id"] == mine.pk
    assert item["amount"] == "100000.00"
    assert item["explanation"] == {
        "outcome": "eligible",
        "trace": [{"text": "研发费用 350 万元，不低于 100 万元", "status": "pass", "variable": "rd_expense"}],
    }
    assert api.get(f"/api/v1/awards/{mine.pk}/").status_code == 200
    assert api.get(f"/api/v1/awards/{unreleased.pk}/").status_code == 404
    assert api.get(f"/api/v1/awards/{theirs.pk}/").status_code == 404
    refused = api.post(f"/api/v1/awards/{theirs.pk}/confirm/", bank_details(theirs), format="json")
    assert refused.status_code == 404
    theirs.refresh_from_db()
    assert (theirs.status, theirs.bank_account) == (AwardStatus.PUBLICIZED, "")


def test_staff_list_all_awards_with_filters(api, staff):
    scheme = AwardSchemeFactory(code="high-tech-2023")
    AwardFactory(scheme=scheme, status="paid")
    AwardFactory(scheme=scheme)
    AwardFactory(status="paid")
    api.force_authenticate(staff)

    assert api.get("/api/v1/awards/").json()["count"] == 3
    assert api.get("/api/v1/awards/", {"scheme": "high-tech-2023"}).json()["count"] == 2
    assert api.get("/api/v1/awards/", {"scheme": "high-tech-2023", "status": "paid"}).json()["count"] == 1


def test_anonymous_callers_get_no_awards(api):
    assert api.get("/api/v1/awards/").status_code == 403


def test_the_owner_confirms_through_the_api_and_sees_the_account_masked(api):
    award = PublicizedAwardFactory()
    owner = EnterpriseUserFactory(enterprise=award.enterprise)
    api.force_authenticate(owner)

    response = api.post(f"/api/v1/awards/{award.pk}/confirm/", bank_details(award), format="json")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["bank_account"]) == ("confirmed", "**** **** 3456")


def test_an_agent_is_refused_with_403_in_chinese(api):
    award = PublicizedAwardFactory()
    agent = EnterpriseUserFactory(enterprise=award.enterprise, enterprise_role="agent")
    api.force_authenticate(agent)

    response = api.post(f"/api/v1/awards/{award.pk}/confirm/", bank_details(award), format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "只有企业法定代表人账号可以确认或放弃兑现，经办人账号只能查看。"}
    assert api.post(f"/api/v1/awards/{award.pk}/decline/", {}, format="json").status_code == 403
    award.refresh_from_db()
    assert (award.status, award.bank_account, award.events.count()) == (AwardStatus.PUBLICIZED, "", 0)


@pytest.mark.parametrize("status", ["confirmed", "paid", "declined", "revoked"])
def test_an_illegal_move_answers_409_with_the_reason(api, status):
    award = PublicizedAwardFactory(status=status)
    owner = EnterpriseUserFactory(enterprise=award.enterprise)
    api.force_authenticate(owner)

    response = api.post(f"/api/v1/awards/{award.pk}/confirm/", bank_details(award), format="json")

    assert response.status_code == 409
    assert response.json()["detail"].endswith("的兑现记录不能确认。")
    assert api.post(
        f"/api/v1/awards/{award.pk}/decline/", {"reason": "不再需要"}, format="json"
    ).status_code == (200 if status == "confirmed" else 409)


def test_a_bad_bank_account_answers_400(api):
    award = PublicizedAwardFactory()
    api.force_authenticate(EnterpriseUserFactory(enterprise=award.enterprise))

    response = api.post(
        f"/api/v1/awards/{award.pk}/confirm/",
        {**bank_details(award), "bank_account": "12", "bank_account_name": "别的公司"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "bank_account_name": [f"账户名称须与企业名称“{award.enterprise.name}”一致。"],
        "bank_account": ["银行账号应为 8 至 30 位数字。"],
    }


def test_the_owner_declines_through_the_api(api):
    award = PublicizedAwardFactory()
    api.force_authenticate(EnterpriseUserFactory(enterprise=award.enterprise))

    response = api.post(f"/api/v1/awards/{award.pk}/decline/", {"reason": "不再需要"}, format="json")

    assert (response.status_code, response.json()["status"], response.json()["reason"]) == (
        200,
        AwardStatus.DECLINED,
        "不再需要",
    )


def test_anyone_reads_the_schemes_in_force_with_their_rules(api):
    AwardSchemeFactory(
        code="rd-2023", eligibility={">=": [{"var": "rd_expense"}, 100]}, budget=Decimal("5e6")
    )
    AwardSchemeFactory(code="loan-2023", mode=SchemeMode.APPLICATION)
    AwardSchemeFactory(code="draft-2023", status=SchemeStatus.DRAFT)

    body = api.get("/api/v1/schemes/").json()
    assert sorted(s["code"] for s in body["results"]) == ["loan-2023", "rd-2023"]
    rd = next(s for s in body["results"] if s["code"] == "rd-2023")
    assert rd["eligibility"] == {">=": [{"var": "rd_expense"}, 100]}
    assert rd["budget"] == "5000000.00"
    assert [s["code"] for s in api.get("/api/v1/schemes/", {"mode": "application"}).json()["results"]] == [
        "loan-2023"
    ]


def test_declining_through_the_api_needs_a_reason_in_chinese(api):
    award = PublicizedAwardFactory()
    api.force_authenticate(EnterpriseUserFactory(enterprise=award.enterprise))

    response = api.post(f"/api/v1/awards/{award.pk}/decline/", {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"reason": ["请填写放弃兑现的原因。"]}
