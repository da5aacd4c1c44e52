"""The enterprise's pages: raise a problem, follow it, rate the answer, withdraw it; the dashboard block."""

import pytest
from django.urls import reverse

from portal.servicedesk.models import Action, Channel, Problem, Status
from tests.servicedesk.factories import bring_to, pdf_file, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_owner(client, desk):
    client.force_login(desk.owner)
    return client


def test_an_enterprise_raises_a_problem_with_a_document(as_owner, desk, monday):
    response = as_owner.post(
        reverse("servicedesk:problem_new"),
        {
            "category": "land",
            "title": "扩建厂房用地指标申请进度",
            "description": "二期用地指标申请已三个月，希望了解进度。",
            "attachments": [pdf_file("用地申请.pdf")],
        },
    )

    problem = Problem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("servicedesk:problem_detail", args=[problem.pk])
    assert (problem.enterprise, problem.channel, problem.raised_by) == (
        desk.enterprise,
        Channel.PORTAL,
        desk.owner,
    )
    assert list(problem.attachments.values_list("name", flat=True)) == ["用地申请.pdf"]


def test_the_form_says_what_is_wrong_and_saves_nothing(as_owner, monday):
    response = as_owner.post(
        reverse("servicedesk:problem_new"),
        {"category": "land", "title": "", "description": "说明", "attachments": [pdf_file("说明.docx")]},
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["title"] == ["该字段是必填项。"]
    assert errors["attachments"] == ["说明.docx：文件扩展名 .docx 与内容（PDF）不符。"]
    assert not Problem.objects.exists()


def test_the_category_starts_empty_and_must_be_chosen(as_owner, monday):
    page = as_owner.get(reverse("servicedesk:problem_new")).content.decode()
    response = as_owner.post(reverse("servicedesk:problem_new"), {"title": "用地指标", "description": "说明"})

    assert '<option value="" selected>请选择诉求类别</option>' in page
    assert "selected>土地规划" not in page
    assert response.context["form"].errors["category"] == ["请选择诉求类别。"]
    assert not Problem.objects.exists()


def test_the_form_accepts_photos(as_owner, monday):
    page = as_owner.get(reverse("servicedesk:problem_new")).content.decode()

    assert 'accept=".pdf,.docx,.xlsx,.jpg,.jpeg,.png"' in page
    assert "限 PDF、DOCX、XLSX 文件或 JPEG、PNG 照片" in page


def test_the_list_shows_only_the_enterprises_own_problems_and_filters_by_status(as_owner, desk, monday):
    mine = bring_to(desk, Status.ANSWERED, title="本企业的诉求")
    submit(desk, title="本企业待交办的诉求")
    submit(desk, enterprise=desk.other_enterprise, title="别家企业的诉求")

    everything = as_owner.get(reverse("servicedesk:problem_list"))
    answered = as_owner.get(reverse("servicedesk:problem_list"), {"status": "answered"})

    assert [p.title for p in everything.context["page"]] == ["本企业待交办的诉求", "本企业的诉求"]
    assert [p.pk for p in answered.context["page"]] == [mine.pk]
    assert "别家企业的诉求" not in everything.content.decode()


def test_the_list_costs_the_same_queries_for_many_problems(
    as_owner, desk, monday, django_assert_max_num_queries
):
    for n in range(25):
        submit(desk, title=f"诉求{n}")

    with django_assert_max_num_queries(12):
        response = as_owner.get(reverse("servicedesk:problem_list"))
    assert len(response.context["page"]) == 20


def test_another_enterprises_problem_is_not_found(as_owner, desk, monday):
    theirs = submit(desk, enterprise=desk.other_enterprise)

    assert as_owner.get(reverse("servicedesk:problem_detail", args=[theirs.pk])).status_code == 404
    response = as_owner.post(reverse("servicedesk:problem_withdraw", args=[theirs.pk]))
    assert response.status_code == 404
    assert Problem.objects.get(pk=theirs.pk).status == Status.SUBMITTED


def test_the_detail_shows_the_timeline_and_the_rating_form_once_answered(as_owner, desk, monday):
    problem = bring_to(desk, Status.ANSWERED)

    response = as_owner.get(reverse("servicedesk:problem_detail", args=[problem.pk]))

    html = response.content.decode()
    assert response.context["rate_form"] is not None
    assert response.context["can_withdraw"] is False
    assert [s.action for s in response.context["problem"].steps.all()] == [
        Action.SUBMIT,
        Action.ASSIGN,
        Action.ANSWER,
    ]
    assert response.context["latest_answer"].note == "已按告知承诺制办理。"
    assert "已按告知承诺制办理。" in html
    assert "评价答复" in html


def test_rating_satisfied_closes_the_problem(as_owner, desk, monday):
    problem = bring_to(desk, Status.ANSWERED)

    response = as_owner.post(
        reverse("servicedesk:problem_rate", args=[problem.pk]), {"satisfied": "1", "comment": "感谢"}
    )

    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.status, problem.rating_comment) == (Status.CLOSED, "感谢")


def test_rating_not_satisfied_without_a_reason_is_sent_back_to_the_form(as_owner, desk, monday):
    problem = bring_to(desk, Status.ANSWERED)

    response = as_owner.post(reverse("servicedesk:problem_rate", args=[problem.pk]), {"satisfied": "0"})

    assert response.status_code == 400
    assert response.context["rate_form"].errors["comment"] == ["请说明不满意的原因，以便承办部门重新办理。"]
    assert Problem.objects.get(pk=problem.pk).status == Status.ANSWERED


def test_rating_not_satisfied_reopens_the_problem(as_owner, desk, monday):
    problem = bring_to(desk, Status.ANSWERED)

    as_owner.post(
        reverse("servicedesk:problem_rate", args=[problem.pk]), {"satisfied": "0", "comment": "仍未解决"}
    )

    problem.refresh_from_db()
    assert (problem.status, problem.department) == (Status.REOPENED, desk.land)


def test_an_enterprise_withdraws_a_problem_in_progress(as_owner, desk, monday):
    problem = bring_to(desk, Status.ASSIGNED)

    as_owner.post(reverse("servicedesk:problem_withdraw", args=[problem.pk]), {"reason": "已自行解决"})

    problem.refresh_from_db()
    assert problem.status == Status.WITHDRAWN


def test_staff_are_sent_to_the_admin_queue(client, desk):
    client.force_login(desk.land_staff)

    response = client.get(reverse("servicedesk:problem_list"))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:servicedesk_problem_changelist")


def test_the_dashboard_lists_open_problems_and_those_awaiting_a_rating(as_owner, desk, monday):
    bring_to(desk, Status.ANSWERED, title="等待评价的诉求")
    bring_to(desk, Status.CLOSED, title="已办结的诉求")
    submit(desk, title="刚提交的诉求")

    response = as_owner.get(reverse("accounts:dashboard"))

    block = next(b for b in response.context["blocks"] if b["template"] == "servicedesk/dashboard_block.html")
    assert [p.title for p in block["problems"]] == ["刚提交的诉求", "等待评价的诉求"]
    assert (block["open_count"], block["awaiting_rating"]) == (2, 1)
    assert "1 件诉求已答复，等待您评价。" in response.content.decode()


def test_the_dashboard_counts_every_open_problem_when_it_lists_only_the_newest(as_owner, desk, monday):
    for index in range(2):
        bring_to(desk, Status.ANSWERED, title=f"等待评价的诉求 {index}")
    for index in range(4):
        submit(desk, title=f"刚提交的诉求 {index}")

    response = as_owner.get(reverse("accounts:dashboard"))

    block = next(b for b in response.context["blocks"] if b["template"] == "servicedesk/dashboard_block.html")
    assert len(block["problems"]) == 5
    assert (block["open_count"], block["awaiting_rating"]) == (6, 2)
    assert "共 6 件办理中。" in response.content.decode()
    assert "2 件诉求已答复，等待您评价。" in response.content.decode()


def test_the_dashboard_block_is_not_shown_to_staff(client, desk):
    client.force_login(desk.coordinator)

    response = client.get(reverse("accounts:dashboard"))

    assert all(b["template"] != "servicedesk/dashboard_block.html" for b in response.context["blocks"])


def test_a_form_sent_with_mistakes_lists_them_all_at_the_top_in_chinese(as_owner, monday):
    response = as_owner.post(reverse("servicedesk:problem_new"), {"title": "", "description": ""})

    html = response.content.decode()
    summary = html[html.index('class="form-errors error-summary"') : html.index("</ul>\n</div>")]
    assert "提交未成功，请按以下提示修改后重新提交：" in summary
    assert '<a href="#id_category">诉求类别：请选择诉求类别。</a>' in summary
    assert '<a href="#id_title">诉求标题：该字段是必填项。</a>' in summary
    assert '<a href="#id_description">诉求内容：该字段是必填项。</a>' in summary
    assert html.index("error-summary") < html.index('id="id_category"')


def test_a_form_without_mistakes_has_no_error_summary(as_owner, monday):
    html = as_owner.get(reverse("servicedesk:problem_new")).content.decode()

    assert "error-summary" not in html
