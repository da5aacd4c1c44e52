import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from portal.accounts.models import User
from tests.factories import PASSWORD, AnnualReportFactory, EnterpriseFactory, EnterpriseUserFactory

pytestmark = pytest.mark.django_db


def test_an_enterprise_logs_in_with_its_uscc_and_lands_on_its_dashboard(client, owner):
    response = client.post("/accounts/login/", {"username": owner.username, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/me/"


def test_a_wrong_password_is_refused_in_chinese(client, owner):
    response = client.post("/accounts/login/", {"username": owner.username, "password": "wrong"})

    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()


def test_logout_ends_the_session(client, owner):
    client.force_login(owner)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert client.get("/me/").status_code == 302


def test_anonymous_visitors_of_me_get_the_login_page(client):
    response = client.get("/me/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/me/"


def test_the_dashboard_shows_only_the_users_own_enterprise(client, owner):
    other = EnterpriseFactory(name="别家公司")
    AnnualReportFactory(enterprise=owner.enterprise, year=2022, revenue="4321.00")
    AnnualReportFactory(enterprise=other, year=2022, revenue="9876.00")
    client.force_login(owner)

    page = client.get("/me/").content.decode()

    assert owner.enterprise.name in page
    assert "4321.00" in page
    assert "别家公司" not in page
    assert "9876.00" not in page


def test_a_user_changes_the_password(client, owner):
    client.force_login(owner)

    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Another-pass-2024",
            "new_password2": "Another-pass-2024",
        },
    )

    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("Another-pass-2024")


def test_enterprise_user_create_reads_the_password_from_stdin(monkeypatch, capsys, enterprise):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("Strong-pass-2023\n"))

    call_command(
        "enterprise_user_create", uscc=enterprise.uscc, username="jingban", role="agent", password_stdin=True
    )

    user = User.objects.get(username="jingban")
    assert (user.enterprise, user.enterprise_role) == (enterprise, "agent")
    assert user.check_password("Strong-pass-2023")
    assert "已创建账号 jingban" in capsys.readouterr().out


def test_enterprise_user_create_refuses_an_unknown_enterprise_and_a_weak_password(monkeypatch, enterprise):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("Strong-pass-2023\n"))
    with pytest.raises(CommandError, match="企业档案中没有"):
        call_command(
            "enterprise_user_create",
            uscc="91350100M000100Y43",
            username="x",
            role="owner",
            password_stdin=True,
        )

    monkeypatch.setattr("sys.stdin", io.StringIO("123\n"))
    with pytest.raises(CommandError):
        call_command(
            "enterprise_user_create", uscc=enterprise.uscc, username="y", role="owner", password_stdin=True
        )
    assert not User.objects.filter(username__in=["x", "y"]).exists()


def test_a_user_cannot_be_both_staff_of_a_department_and_member_of_an_enterprise(enterprise):
    from django.db import IntegrityError

    from tests.factories import DepartmentFactory

    user = EnterpriseUserFactory(enterprise=enterprise)
    user.department = DepartmentFactory()
    with pytest.raises(IntegrityError):
        user.save()
