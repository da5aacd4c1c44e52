import pytest
from django.core.exceptions import ValidationError

from projects.models import validate_project_code


@pytest.mark.parametrize(
    "code", ["2301-410171-04-01-123456", "2312-110105-65-03-000001", "9901-820000-01-02-999999"]
)
def test_a_well_formed_national_project_code_is_accepted(code):
    assert validate_project_code(code) is None


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("2301-410171-04-01-12345", "项目代码格式应为 YYMM-XXXXXX-XX-XX-XXXXXX"),
        ("230141017104011234567", "项目代码格式应为"),
        ("2023-410171-04-01-123456", "项目代码中的赋码月份 23 不存在"),
        ("2313-410171-04-01-123456", "项目代码中的赋码月份 13 不存在"),
        ("2300-410171-04-01-123456", "项目代码中的赋码月份 00 不存在"),
        ("2301-991234-04-01-123456", "项目代码中的行政区划代码 991234 无效"),
        (" 2301-410171-04-01-123456", "项目代码格式应为"),
        ("2301-41017A-04-01-123456", "项目代码格式应为"),
    ],
)
def test_a_malformed_project_code_is_refused_with_the_reason(code, message):
    with pytest.raises(ValidationError) as caught:
        validate_project_code(code)

    assert message in caught.value.messages[0]


@pytest.mark.django_db
def test_creating_a_project_with_a_bad_code_writes_nothing(enterprise):
    from decimal import Decimal

    from projects.models import Project
    from projects.services import ProjectError, project_create

    with pytest.raises(ProjectError, match="赋码月份 13 不存在"):
        project_create(
            code="2313-410171-04-01-123456",
            enterprise=enterprise,
            name="测试项目",
            site="科学大道",
            total_investment=Decimal("100"),
        )

    assert Project.objects.count() == 0
