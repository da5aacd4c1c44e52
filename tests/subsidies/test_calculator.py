import re
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from subsidies.forms import CalculatorForm
from subsidies.models import Award, SchemeMode, SchemeStatus
from subsidies.selectors import almost_eligible_schemes, facts_table, profile_facts, readable
from tests.factories import AnnualReportFactory, EnterpriseFactory, QualificationFactory
from tests.subsidies.award_factories import AwardFactory, AwardSchemeFactory

pytestmark = pytest.mark.django_db

RD = {
    "and": [
        {">=": [{"var": "rd_expense"}, 100]},
        {">": [{"var": "rd_expense"}, {"var": "prev.rd_expense"}]},
        {"==": [{"var": "industry_section"}, "C"]},
    ]
}
RD_AMOUNT = {"*": [{"-": [{"var": "rd_expense"}, {"var": "prev.rd_expense"}]}, 1000]}
HIGH_TECH = {
    "and": [
        {"in": ["high_tech", {"var": "qualifications"}]},
        {"==": [{"var": "qualification_year.high_tech"}, 2022]},
    ]
}


@pytest.fixture
def schemes():
    return {
        "rd": AwardSchemeFactory(
            code="rd-2022",
            title="研发费用增量后补助",
            eligibility=RD,
            amount_rule=RD_AMOUNT,
            cap_per_enterprise=2000000,
        ),
        "high_tech": AwardSchemeFactory(
            code="high-tech-2022", title="高新技术企业认定奖励", eligibility=HIGH_TECH, amount_rule=100000
        ),
        "loan": AwardSchemeFactory(
            code="loan-2023",
            title="科技贷款贴息",
            mode=SchemeMode.APPLICATION,
            eligibility={"in": ["high_tech", {"var": "qualifications"}]},
            amount_rule=0,
        ),
        "draft": AwardSchemeFactory(
            code="draft-2022", status=SchemeStatus.DRAFT, eligibility=True, amount_rule=1
        ),
    }


FORM = {
    "industry_code": "C3985",
    "credit_rating": "A",
    "q_high_tech": "2022",
    "rd_expense": "350",
    "prev_rd_expense": "200",
    "revenue": "5000",
}


def test_anyone_sees_which_schemes_a_profile_matches_with_the_amount_and_why(client, schemes):
    html = client.post("/calculator/", FORM).content.decode()

    assert '预计可获 <strong class="amount-small">150,000.00 元</strong>' in html
    assert '预计可获 <strong class="amount-small">100,000.00 元</strong>' in html
    assert "近一年度研发费用 350 万元，不低于 100 万元" in html
    assert "近一年度研发费用 350 万元，高于前一年度研发费用 200 万元" in html
    assert "贵企业已获得高新技术企业资质" in html
    assert "2022 年研发费用" not in html
    assert "符合申报条件" in html  # the application-mode scheme: no amount, apply by the guide
    assert "draft-2022" not in html


def test_the_calculator_leaves_out_household_schemes_which_an_enterprise_profile_cannot_meet(client, schemes):
    from tests.subsidies.household_factories import household_scheme

    household_scheme(code="deed-tax-calc", title="新建商品住房契税补贴（计算器）", status=SchemeStatus.ACTIVE)

    html = client.post("/calculator/", FORM).content.decode()

    assert "符合申报条件" in html
    assert "契税补贴（计算器）" not in html


def test_the_calculator_stores_nothing(client, schemes):
    before = (Award.objects.count(), len(client.session.items()))

    client.post("/calculator/", FORM)

    assert (Award.objects.count(), len(client.session.items())) == before


def test_a_profile_that_misses_a_condition_shows_what_fails_and_unknowns_are_said(client, schemes):
    html = client.post(
        "/calculator/", {**FORM, "industry_code": "I6510", "prev_rd_expense": ""}
    ).content.decode()

    assert "行业门类为 I，要求为 C" in html
    assert "近一年度研发费用 350 万元，要求高于前一年度研发费用 未知（数据缺失，无法判断）" in html


def test_a_bad_industry_code_is_refused_in_chinese(client, schemes):
    html = client.post("/calculator/", {**FORM, "industry_code": "9X"}).content.decode()

    assert "行业代码应为门类字母加 2 至 4 位数字，如 C3985。" in html
    assert 'id="results"' not in html


def test_the_calculator_api_answers_with_outcomes_amounts_and_traces(schemes):
    response = APIClient().post(
        "/api/v1/calculator/",
        {
            "industry_code": "C3985",
            "qualifications": {"high_tech": 2022},
            "rd_expense": "350",
            "prev": {"rd_expense": "200"},
        },
        format="json",
    )

    assert response.status_code == 200
    results = {r["scheme"]: r for r in response.json()["results"]}
    assert set(results) == {"rd-2022", "high-tech-2022", "loan-2023"}
    assert (results["rd-2022"]["outcome"], results["rd-2022"]["amount"]) == ("eligible", "150000.00")
    assert (results["high-tech-2022"]["outcome"], results["high-tech-2022"]["amount"]) == (
        "eligible",
        "100000.00",
    )
    assert (results["loan-2023"]["outcome"], results["loan-2023"]["amount"]) == ("eligible", None)
    assert {"text": "行业门类为 C", "status": "pass", "folded": False} in results["rd-2022"]["trace"]


def test_the_calculator_api_refuses_unknown_qualifications():
    response = APIClient().post("/api/v1/calculator/", {"qualifications": {"nobel": 2022}}, format="json")

    assert response.status_code == 400
    assert response.json() == {"qualifications": ["未知的资质代码：nobel"]}


def test_a_blacklisted_profile_is_never_eligible(schemes):
    facts = profile_facts({"blacklisted": True, "qualification_years": {"high_tech": 2022}})

    assert facts["blacklisted"] is True
    assert facts["qualifications"] == ["high_tech"]
    response = APIClient().post(
        "/api/v1/calculator/", {"blacklisted": True, "qualifications": {"high_tech": 2022}}, format="json"
    )
    outcomes = {r["scheme"]: r["outcome"] for r in response.json()["results"]}
    assert outcomes["high-tech-2022"] == "ineligible"


def test_the_profile_derives_what_the_registry_derives():
    facts = profile_facts(
        {"industry_code": "c3985", "revenue": Decimal("5000"), "rd_expense": Decimal("350")}
    )

    assert (facts["industry_section"], facts["industry_division"]) == ("C", "39")
    assert facts["rd_ratio"] == Decimal("0.07")
    assert facts["employees"] is None


# — the enterprise's side —


def test_an_enterprise_sees_the_schemes_it_misses_by_one_condition(schemes):
    enterprise = EnterpriseFactory(industry_code="C3985")
    AnnualReportFactory(enterprise=enterprise, year=2022, rd_expense=Decimal("90"))
    AnnualReportFactory(enterprise=enterprise, year=2021, rd_expense=Decimal("50"))

    found = almost_eligible_schemes(enterprise=enterprise)

    assert [(entry.scheme.code, entry.missing) for entry in found] == [
        ("rd-2022", ["2022 年研发费用 90 万元，要求不低于 100 万元"])
    ]


def test_a_scheme_missed_only_by_the_industry_is_not_almost_eligible(schemes):
    enterprise = EnterpriseFactory(industry_code="I6510")
    AnnualReportFactory(enterprise=enterprise, year=2022, rd_expense=Decimal("350"))
    AnnualReportFactory(enterprise=enterprise, year=2021, rd_expense=Decimal("200"))

    assert almost_eligible_schemes(enterprise=enterprise) == []


def test_schemes_already_awarded_or_two_conditions_away_are_not_almost(schemes):
    enterprise = EnterpriseFactory(industry_code="C3985")
    AnnualReportFactory(enterprise=enterprise, year=2022, rd_expense=Decimal("50"))
    AnnualReportFactory(enterprise=enterprise, year=2021, rd_expense=Decimal("80"))
    QualificationFactory(enterprise=enterprise, code="high_tech", year_awarded=2021)
    AwardFactory(enterprise=enterprise, scheme=schemes["high_tech"])

    assert almost_eligible_schemes(enterprise=enterprise) == []


def test_the_kept_answer_follows_the_facts_the_awards_and_the_schemes(schemes):
    enterprise = EnterpriseFactory(industry_code="C3985")
    report = AnnualReportFactory(enterprise=enterprise, year=2022, rd_expense=Decimal("90"))
    AnnualReportFactory(enterprise=enterprise, year=2021, rd_expense=Decimal("50"))

    def found():
        return [
            (entry.scheme.code, entry.missing) for entry in almost_eligible_schemes(enterprise=enterprise)
        ]

    assert found() == [("rd-2022", ["2022 年研发费用 90 万元，要求不低于 100 万元"])]
    assert found() == [("rd-2022", ["2022 年研发费用 90 万元，要求不低于 100 万元"])]  # the kept answer
    # An annual report is not public: its change reaches the answer through the facts it is kept under.
    report.rd_expense = Decimal("95")
    report.save()
    assert found() == [("rd-2022", ["2022 年研发费用 95 万元，要求不低于 100 万元"])]
    # The scheme's rule changed: the schemes are read again.
    scheme = schemes["rd"]
    scheme.title = "研发费用增量后补助（修订）"
    scheme.eligibility = {
        "and": [{">=": [{"var": "rd_expense"}, 96]}, {"==": [{"var": "industry_section"}, "C"]}]
    }
    scheme.save()
    assert found() == [("rd-2022", ["2022 年研发费用 95 万元，要求不低于 96 万元"])]
    assert almost_eligible_schemes(enterprise=enterprise)[0].scheme.title == "研发费用增量后补助（修订）"
    # An award under it is held: the scheme is no longer listed.
    AwardFactory(enterprise=enterprise, scheme=scheme, period=scheme.period)
    assert found() == []


def test_the_my_awards_page_lists_the_almost_eligible_schemes(client, schemes, owner):
    owner.enterprise.industry_code = "C3985"
    owner.enterprise.save()
    AnnualReportFactory(enterprise=owner.enterprise, year=2022, rd_expense=Decimal("90"))
    AnnualReportFactory(enterprise=owner.enterprise, year=2021, rd_expense=Decimal("50"))
    client.force_login(owner)

    html = client.get("/me/awards/").content.decode()

    assert "差一点符合的政策" in html
    assert '<li class="fail">2022 年研发费用 90 万元，要求不低于 100 万元</li>' in html


def _almost_on_page(client) -> list[str]:
    html = client.get("/me/awards/").content.decode()
    return (
        re.findall(r'<li class="fail">([^<]*)</li>', html[html.index('id="almost"') :])
        if 'id="almost"' in html
        else []
    )


def test_the_almost_section_is_kept_until_the_facts_change(client, schemes, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.enterprises.services import annual_reports_import

    owner.enterprise.industry_code = "C3985"
    owner.enterprise.save()
    report = AnnualReportFactory(enterprise=owner.enterprise, year=2022, rd_expense=Decimal("90"))
    AnnualReportFactory(enterprise=owner.enterprise, year=2021, rd_expense=Decimal("50"))
    client.force_login(owner)
    assert _almost_on_page(client) == ["2022 年研发费用 90 万元，要求不低于 100 万元"]

    # Kept: the next visit reads neither the facts nor the schemes.
    with CaptureQueriesContext(connection) as queries:
        assert _almost_on_page(client) == ["2022 年研发费用 90 万元，要求不低于 100 万元"]
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert "enterprises_annualreport" not in read and "subsidies_scheme" not in read

    # An annual report saved by staff, then one imported, each show on the next visit.
    report.rd_expense = Decimal("95")
    report.save()
    assert _almost_on_page(client) == ["2022 年研发费用 95 万元，要求不低于 100 万元"]
    data = f"uscc,year,rd_expense\n{owner.enterprise.uscc},2022,98\n".encode()
    assert not annual_reports_import(data=data, filename="reports.csv").errors
    assert _almost_on_page(client) == ["2022 年研发费用 98 万元，要求不低于 100 万元"]


def test_the_facts_used_are_shown_with_their_years_and_units():
    award = AwardFactory(
        scheme__facts_year=2022,
        facts={
            "rd_expense": "350.00",
            "prev.rd_expense": "200.00",
            "qualifications": ["high_tech"],
            "park": "wutong",
        },
    )

    assert facts_table(award) == [
        ("所属园区", "梧桐"),
        ("所获资质", "高新技术企业"),
        ("2022 年研发费用", "350.00 万元"),
        ("2021 年研发费用", "200.00 万元"),
    ]


def test_readable_text_names_codes_and_cuts_long_ratios():
    assert (
        readable("所获资质 [high_tech, srdi] 包含 little_giant ✗")
        == "所获资质 [高新技术企业, 省级专精特新] 包含 国家级专精特新“小巨人” ✗"
    )
    assert readable("研发投入强度 0.06666666666666666666 ≥ 0.03 ✓") == "研发投入强度 0.0666… ≥ 0.03 ✓"


def test_an_empty_calculator_form_says_the_information_is_incomplete(client, schemes):
    blank = dict.fromkeys(CalculatorForm().fields, "")  # what a browser posts for an untouched form
    html = client.post("/calculator/", blank).content.decode()

    assert '<span class="outcome undetermined">信息不全</span>' in html
    assert "请至少填写企业基本情况、资质或近一年度经营数据中的一项" in html
    assert "暂不符合" not in html
    assert 'class="card scheme-result"' not in html


def test_a_form_with_one_figure_is_judged(client, schemes):
    html = client.post("/calculator/", {"rd_expense": "350"}).content.decode()

    assert 'id="calculator-empty"' not in html
    assert "近一年度研发费用 350 万元，不低于 100 万元" in html


def test_the_calculator_asks_and_answers_in_the_same_words(client, schemes):
    page = client.get("/calculator/").content.decode()
    html = client.post("/calculator/", {**FORM, "revenue": "5000"}).content.decode()

    assert "近一年度营业收入（万元）" in page
    assert "前一年度研发费用（万元）" in page
    assert "近一年度研发费用 350 万元，高于前一年度研发费用 200 万元" in html


def test_the_calculator_shows_the_branch_of_an_or_that_passed_and_folds_the_others(client, schemes):
    AwardSchemeFactory(
        code="either-2022",
        title="高企或规上企业奖励",
        eligibility={
            "or": [
                {"in": ["high_tech", {"var": "qualifications"}]},
                {"var": "is_above_scale"},
            ]
        },
        amount_rule=50000,
    )

    html = client.post("/calculator/", {**FORM, "is_above_scale": "no"}).content.decode()

    article = html[html.index("高企或规上企业奖励") :]
    article = article[: article.index("</article>")]
    shown, others = article.split('<details class="trace-others">')
    assert '<li class="pass">贵企业已获得高新技术企业资质</li>' in shown
    assert "其他可选条件（以上已满足其中一项，以下各项无需再满足）" in others
    assert '<li class="fail">贵企业不是规上企业，本项要求是规上企业</li>' in others
