import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from tests.factories import DepartmentFactory, EnterpriseFactory, EnterpriseUserFactory, StaffFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@dataclass
class Desk:
    """The people of a small zone: a coordinating bureau, two departments, two enterprises."""

    bureau: object
    coordinator: object
    land: object
    land_staff: object
    finance: object
    finance_staff: object
    enterprise: object
    owner: object
    agent: object
    other_enterprise: object
    other_owner: object


@pytest.fixture
def desk(db) -> Desk:
    bureau = DepartmentFactory(code="cxfz", name="创新发展局", is_coordinating=True)
    land = DepartmentFactory(code="gtgh", name="国土规划住建局")
    finance = DepartmentFactory(code="czjr", name="财政金融局")
    coordinator = StaffFactory(username="cxfz", display_name="王科长", department=bureau)
    land_staff = StaffFactory(username="gtgh", display_name="张科长", department=land)
    finance_staff = StaffFactory(username="czjr", display_name="陈科长", department=finance)
    for department, head in ((bureau, coordinator), (land, land_staff), (finance, finance_staff)):
        department.head = head
        department.save()
    enterprise = EnterpriseFactory(name="郑州梧桐智能科技有限公司")
    other = EnterpriseFactory(name="郑州枫杨生物医药有限公司")
    return Desk(
        bureau=bureau,
        coordinator=coordinator,
        land=land,
        land_staff=land_staff,
        finance=finance,
        finance_staff=finance_staff,
        enterprise=enterprise,
        owner=EnterpriseUserFactory(enterprise=enterprise, username=enterprise.uscc),
        agent=EnterpriseUserFactory(enterprise=enterprise, username="agent1", enterprise_role="agent"),
        other_enterprise=other,
        other_owner=EnterpriseUserFactory(enterprise=other, username=other.uscc),
    )


@pytest.fixture
def monday(time_machine):
    """Time stands at 10:00 on Monday 5 June 2023, a working day, and moves only when a test moves it."""
    time_machine.move_to(local(2023, 6, 5, 10, 0), tick=False)
    return time_machine
