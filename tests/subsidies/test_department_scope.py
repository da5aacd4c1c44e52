"""Each department handles its own schemes' awards: another department's clerk neither reads nor acts on them,
in the admin, through the services or through the API; finance reads every award to pay it."""

import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import call_command

from portal.accounts import roles
from subsidies import services
from subsidies.models import Award, AwardStatus
from tests.factories import DepartmentFactory, staff_in_roles
from tests.subsidies.award_factories import AwardFactory, MatchRunFactory, fast_passwords  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

AWARDS = "/admin/subsidies/award/"


@pytest.fixture(autouse=True)
def _roles(db):
    call_command("sync_roles", stdout=io.StringIO())


def clerk_of(department, *role_names):
    return staff_in_roles(*(role_names or (roles.DEPARTMENT_STAFF,)), department=department)


@pytest.fixture
def departments():
    return DepartmentFactory(name="创新发展局"), DepartmentFactory(name="人力资源局")


@pytest.fixture
def awards(departments):
    ours, theirs = departments
    return (
        AwardFactory(scheme__policy__department=ours, enterprise__name="本部门企业"),
        AwardFactory(scheme__policy__department=theirs, enterprise__name="他部门企业"),
    )


def test_a_clerk_lists_and_opens_only_its_departments_awards(client, departments, awards):
    mine, other = awards
    client.force_login(clerk_of(departments[0]))

    listing = client.get(AWARDS).content.decode()
    assert "本部门企业" in listing
    assert "他部门企业" not in listing
    assert client.get(f"{AWARDS}{mine.pk}/change/").status_code == 200
    # Another department's award is not found: the admin sends the clerk back with a notice.
    assert client.get(f"{AWARDS}{other.pk}/change/").status_code == 302
    assert client.get(f"{AWARDS}{other.pk}/offline-confirm/").status_code == 404


def test_a_clerk_cannot_approve_another_departments_award_and_nothing_changes(departments, awards):
    mine, other = awards
    clerk = clerk_of(departments[0])

    with pytest.raises(services.AwardError, match="其他部门"):
        services.awards_review_bulk(awards=[mine, other], user=clerk, approve=True)

    assert [Award.objects.get(pk=a.pk).status for a in awards] == [AwardStatus.CANDIDATE] * 2
    with pytest.raises(services.AwardError, match="其他部门"):
        services.award_revoke(award=other, reason="核查", user=clerk)
    assert Award.objects.get(pk=other.pk).status == AwardStatus.CANDIDATE


def test_finance_reads_every_award_but_acts_on_its_own_departments_only(client, departments, awards):
    mine = awards[0]
    treasurer = clerk_of(departments[1], roles.DEPARTMENT_STAFF, roles.FINANCE)
    client.force_login(treasurer)

    listing = client.get(AWARDS).content.decode()
    assert "本部门企业" in listing and "他部门企业" in listing
    response = client.post(AWARDS, {"action": "approve", ACTION_CHECKBOX_NAME: [mine.pk]}, follow=True)

    assert "其他部门" in response.content.decode()
    assert Award.objects.get(pk=mine.pk).status == AwardStatus.CANDIDATE
    assert client.get(f"{AWARDS}{mine.pk}/offline-confirm/").status_code == 403


def test_releasing_a_run_releases_the_departments_own_awards(departments):
    ours, theirs = departments
    run = MatchRunFactory()
    mine = AwardFactory(scheme__policy__department=ours, status=AwardStatus.APPROVED, run=run)
    other = AwardFactory(scheme__policy__department=theirs, status=AwardStatus.APPROVED, run=run)

    released = services.run_release(run=run, user=clerk_of(ours))

    assert released == 1
    assert Award.objects.get(pk=mine.pk).status == AwardStatus.PUBLICIZED
    assert Award.objects.get(pk=other.pk).status == AwardStatus.APPROVED


@pytest.mark.parametrize("role", [roles.AUDIT_ADMIN, roles.SECURITY_ADMIN, roles.SYSTEM_ADMIN])
def test_the_administrators_without_the_award_permission_read_no_award_through_the_api(client, awards, role):
    client.force_login(clerk_of(None, role))

    response = client.get("/api/v1/awards/")

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert client.get(f"/api/v1/awards/{awards[0].pk}/").status_code == 404


def test_the_api_gives_a_clerk_its_departments_awards(client, departments, awards):
    client.force_login(clerk_of(departments[0]))

    data = client.get("/api/v1/awards/").json()

    assert [row["id"] for row in data["results"]] == [awards[0].pk]


def test_the_audit_administrator_reads_every_awards_trail_and_the_residents_access_log_only(
    client, departments, awards
):
    services.awards_review_bulk(awards=[awards[0]], user=clerk_of(departments[0]), approve=True)
    client.force_login(clerk_of(None, roles.AUDIT_ADMIN))

    trail = client.get("/admin/subsidies/awardevent/")

    assert trail.status_code == 200
    assert "本部门企业" in trail.content.decode()
    assert client.get("/admin/residents/personaccess/").status_code == 200
    assert client.get(AWARDS).status_code == 403


def test_a_clerk_reads_the_trails_of_its_departments_awards_only(client, departments, awards):
    for award, department in zip(awards, departments, strict=True):
        services.awards_review_bulk(awards=[award], user=clerk_of(department), approve=True)
    client.force_login(clerk_of(departments[0]))

    trail = client.get("/admin/subsidies/awardevent/").content.decode()

    assert "本部门企业" in trail
    assert "他部门企业" not in trail
