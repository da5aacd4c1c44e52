import datetime as dt
from decimal import Decimal

import pytest

from portal.enterprises.models import QualificationCode
from subsidies.matching import sql_evaluate
from subsidies.rules import explain
from subsidies.variables import (
    VARIABLES,
    Context,
    facts_for,
    facts_from_json,
    facts_to_json,
    variable_specs,
)
from tests.factories import AnnualReportFactory, EnterpriseFactory, QualificationFactory

pytestmark = pytest.mark.django_db

END_2022 = Context(2022, dt.date(2022, 12, 31))
REQUIRED = {
    "park",
    "industry_section",
    "industry_division",
    "age_years",
    "registered_capital",
    "is_above_scale",
    "credit_rating",
    "blacklisted",
    "qualifications",
    "revenue",
    "rd_expense",
    "employees",
    "tax_paid",
    "prev.revenue",
    "prev.rd_expense",
    "prev.employees",
    "prev.tax_paid",
    "rd_ratio",
}


def _facts(enterprise, context=END_2022):
    return facts_for(
        enterprise=enterprise, facts_year=context.facts_year, reference_date=context.reference_date
    )


def _sql(enterprise, name, context=END_2022):
    """The variable as the database reads it, through a rule that returns it."""
    rule = {"var": name}
    return sql_evaluate(rule=rule, context=context, enterprise_ids=[enterprise.pk], value=True)[enterprise.pk]


def test_the_catalogue_has_every_variable_the_issue_names_with_a_label_type_and_unit():
    assert set(VARIABLES) >= REQUIRED
    assert {f"qualification_year.{code}" for code in QualificationCode.values} <= set(VARIABLES)
    for variable in VARIABLES.values():
        assert variable.label
        assert variable.type in ("number", "string", "boolean", "list")
    assert VARIABLES["revenue"].unit == "万元"
    assert VARIABLES["employees"].unit == "人"
    assert VARIABLES["age_years"].unit == "年"


def test_labels_carry_the_year_a_scheme_reads():
    specs = variable_specs(context=END_2022)
    assert specs["rd_expense"].label == "2022 年研发费用"
    assert specs["prev.rd_expense"].label == "2021 年研发费用"
    assert specs["park"].label == "所属园区"
    assert variable_specs()["rd_expense"].label == "研发费用"


def test_facts_of_the_facts_year_and_the_year_before():
    enterprise = EnterpriseFactory(
        registered_capital=Decimal("1000.00"), is_above_scale=False, credit_rating="B"
    )
    AnnualReportFactory(
        enterprise=enterprise, year=2022, revenue=Decimal("5000.00"), rd_expense=Decimal("350.00")
    )
    AnnualReportFactory(enterprise=enterprise, year=2021, revenue=Decimal("4000.00"), employees=90)
    AnnualReportFactory(enterprise=enterprise, year=2020, revenue=Decimal("1.00"))
    facts = _facts(enterprise)
    assert facts["revenue"] == Decimal("5000.00")
    assert facts["rd_expense"] == Decimal("350.00")
    assert facts["employees"] == 120
    assert facts["prev.revenue"] == Decimal("4000.00")
    assert facts["prev.employees"] == 90
    assert facts["rd_ratio"] == Decimal("0.07")
    assert facts["registered_capital"] == Decimal("1000.00")
    assert facts["is_above_scale"] is False
    assert facts["credit_rating"] == "B"
    assert facts["park"] == "wutong"
    assert facts["industry_section"] == "I"
    assert facts["industry_division"] == "65"
    assert facts["blacklisted"] is False


def test_a_missing_report_or_figure_is_unknown_and_a_zero_revenue_gives_no_ratio():
    enterprise = EnterpriseFactory()
    AnnualReportFactory(enterprise=enterprise, year=2022, revenue=Decimal("0.00"), tax_paid=None)
    facts = _facts(enterprise)
    assert facts["tax_paid"] is None
    assert facts["rd_ratio"] is None
    assert facts["prev.revenue"] is None
    assert _sql(enterprise, "rd_ratio") is None
    assert _sql(enterprise, "prev.revenue") is None


def test_empty_text_is_unknown_not_an_empty_string():
    enterprise = EnterpriseFactory(industry_code="", credit_rating="")
    facts = _facts(enterprise)
    assert facts["industry_section"] is None
    assert facts["industry_division"] is None
    assert facts["credit_rating"] is None
    assert _sql(enterprise, "credit_rating") is None
    assert sql_evaluate(
        rule={"missing": ["industry_section"]}, context=END_2022, enterprise_ids=[enterprise.pk]
    ) == {enterprise.pk: True}


@pytest.mark.parametrize(
    ("registered_on", "age"),
    [
        (dt.date(2015, 12, 31), 7),  # the anniversary is on the reference date: counted
        (dt.date(2016, 1, 1), 6),
        (dt.date(2022, 12, 31), 0),
        (dt.date(2020, 2, 29), 2),
    ],
)
def test_age_is_whole_years_to_the_reference_date(registered_on, age):
    enterprise = EnterpriseFactory(registered_on=registered_on)
    assert _facts(enterprise)["age_years"] == age
    assert _sql(enterprise, "age_years") == age


def test_age_counts_to_a_mid_year_reference_date():
    enterprise = EnterpriseFactory(registered_on=dt.date(2018, 7, 1))
    mid_year = Context(2022, dt.date(2023, 6, 30))
    assert _facts(enterprise, mid_year)["age_years"] == 4
    assert _sql(enterprise, "age_years", mid_year) == 4


def test_age_of_an_enterprise_without_a_registration_date_is_unknown():
    enterprise = EnterpriseFactory(registered_on=None)
    assert _facts(enterprise)["age_years"] is None
    assert _sql(enterprise, "age_years") is None


def test_qualifications_are_those_held_on_the_reference_date():
    enterprise = EnterpriseFactory()
    QualificationFactory(
        enterprise=enterprise, code="high_tech", year_awarded=2020, valid_until=dt.date(2022, 12, 31)
    )
    QualificationFactory(
        enterprise=enterprise, code="srdi", year_awarded=2019, valid_until=dt.date(2022, 6, 30)
    )
    QualificationFactory(enterprise=enterprise, code="gazelle", year_awarded=2023, valid_until=None)
    # No end date: valid for the code's usual years (科技型中小企业: the award year only).
    QualificationFactory(enterprise=enterprise, code="tech_sme", year_awarded=2022, valid_until=None)
    QualificationFactory(enterprise=enterprise, code="unicorn", year_awarded=2021, valid_until=None)
    assert _facts(enterprise)["qualifications"] == ["high_tech", "tech_sme"]
    held = {
        code: sql_evaluate(
            rule={"in": [code, {"var": "qualifications"}]}, context=END_2022, enterprise_ids=[enterprise.pk]
        )[enterprise.pk]
        for code in QualificationCode.values
    }
    assert held == {
        "high_tech": True,
        "srdi": False,
        "little_giant": False,
        "tech_sme": True,
        "gazelle": False,
        "unicorn": False,
    }


def test_qualification_year_is_the_latest_award_up_to_the_reference_year():
    enterprise = EnterpriseFactory()
    QualificationFactory(
        enterprise=enterprise, code="high_tech", year_awarded=2016, valid_until=dt.date(2018, 12, 31)
    )
    QualificationFactory(
        enterprise=enterprise, code="high_tech", year_awarded=2019, valid_until=dt.date(2021, 12, 31)
    )
    QualificationFactory(
        enterprise=enterprise, code="high_tech", year_awarded=2023, valid_until=dt.date(2025, 12, 31)
    )
    facts = _facts(enterprise)
    assert facts["qualification_year.high_tech"] == 2019
    assert facts["qualification_year.srdi"] is None
    assert _sql(enterprise, "qualification_year.high_tech") == 2019
    assert _sql(enterprise, "qualification_year.srdi") is None


def test_every_scalar_variable_reads_the_same_in_sql_and_in_python():
    enterprise = EnterpriseFactory(
        registered_on=dt.date(2011, 3, 9), registered_capital=Decimal("12345678.91")
    )
    AnnualReportFactory(
        enterprise=enterprise,
        year=2022,
        revenue=Decimal("3000.00"),
        rd_expense=Decimal("1000.00"),
        employees=33,
    )
    AnnualReportFactory(
        enterprise=enterprise, year=2021, revenue=Decimal("2500.50"), tax_paid=Decimal("0.01")
    )
    QualificationFactory(enterprise=enterprise, code="srdi", year_awarded=2021, valid_until=None)
    facts = _facts(enterprise)
    for name, variable in VARIABLES.items():
        if variable.type == "list":
            continue
        assert _sql(enterprise, name) == facts[name], name


def test_facts_survive_storage_as_json_exactly():
    facts = {
        "rd_ratio": Decimal("0.33333333333333333333"),
        "employees": 12,
        "park": "wutong",
        "blacklisted": False,
    }
    stored = facts_to_json(facts)
    assert stored == {
        "rd_ratio": "0.33333333333333333333",
        "employees": 12,
        "park": "wutong",
        "blacklisted": False,
    }
    restored = facts_from_json(stored)
    assert restored["rd_ratio"] == Decimal("0.33333333333333333333")
    assert restored["employees"] == Decimal(12)
    assert restored["park"] == "wutong"


def test_the_catalogue_marks_what_an_enterprise_cannot_change():
    unchangeable = {name for name, variable in VARIABLES.items() if not variable.changeable}

    assert {"park", "industry_section", "industry_division", "age_years", "blacklisted"} <= unchangeable
    assert {f"qualification_year.{code}" for code in QualificationCode.values} <= unchangeable
    assert not {"revenue", "rd_expense", "employees", "qualifications", "rd_ratio"} & unchangeable


def test_the_catalogue_explains_ratios_as_percentages_and_codes_by_their_names():
    context = Context(2022, dt.date(2023, 3, 1))
    facts = {"rd_ratio": Decimal("0.075"), "qualifications": ["high_tech"], "revenue": Decimal("12350.5")}
    rule = {
        "and": [
            {">=": [{"var": "rd_ratio"}, Decimal("0.03")]},
            {"in": ["high_tech", {"var": "qualifications"}]},
            {">=": [{"var": "revenue"}, 100]},
        ]
    }

    texts = [clause.text for clause in explain(rule, facts, variable_specs(context=context)).trace]

    assert texts == [
        "2022 年研发投入强度 7.5%，不低于 3%",
        "贵企业已获得高新技术企业资质",
        "2022 年营业收入 12,350.5 万元，不低于 100 万元",
    ]


def test_the_calculator_labels_say_the_latest_and_the_year_before():
    assert VARIABLES["revenue"].calculator_label == "近一年度营业收入"
    assert VARIABLES["prev.rd_expense"].calculator_label == "前一年度研发费用"
    assert VARIABLES["park"].calculator_label == "所属园区"
