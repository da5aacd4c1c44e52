import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from portal.accounts.models import Notification, User
from portal.enterprises.models import make_uscc
from subsidies import demo
from subsidies.models import Award, AwardEvent, AwardStatus, MatchRun, PaymentBatch, Scheme
from subsidies.stats import figures
from tests.subsidies.award_factories import AwardPolicyFactory

pytestmark = pytest.mark.django_db

POLICIES = [
    "rd-investment-2023",
    "high-tech-award-2023",
    "srdi-award-2023",
    "tech-sme-award-2023",
    "stable-jobs-2023",
    "tech-loan-interest-2023",
    "first-set-equipment-2023",
]


def test_the_demo_refuses_to_run_without_the_policy_demo():
    from portal.accounts import demo as accounts_demo

    accounts_demo.load(io.StringIO())

    with pytest.raises(
        RuntimeError, match="免申即享演示数据需要政策演示数据中的政策：first-set-equipment-2023"
    ):
        demo.load(io.StringIO())

    assert Scheme.objects.count() == 0


def test_the_demo_reproduces_the_h1_2023_figures_from_records_and_loads_once():
    from portal.accounts import demo as accounts_demo
    from portal.enterprises import demo as enterprises_demo

    accounts_demo.load(io.StringIO())
    enterprises_demo.load(io.StringIO())
    # Each policy is its reviewer's department's, as in the policy demo: a department acts on its own.
    reviewers = {entry["policy"]: demo.REVIEWERS.get(entry["code"], "cxfz") for entry in demo.SCHEMES}
    for code in POLICIES:
        department = User.objects.get(username=reviewers.get(code, "cxfz")).department
        AwardPolicyFactory(code=code, department=department)

    demo.load(io.StringIO())

    # The report's figures, computed by the portal from the award records.
    assert figures(start=dt.date(2023, 1, 1), end=dt.date(2023, 6, 30)) == {
        "auto_subsidy_policies": 5,
        "auto_subsidy_amount": "67645000.00",
        "subsidy_paid_amount": "50331700.00",
        # The residents demo is not loaded here: no household is matched, nothing is paid to one.
        "household_subsidy_amount": "0.00",
        "household_subsidy_households": 0,
    }
    exported = io.StringIO()
    call_command("export_awards", *[f"--scheme={code}" for code in demo.AUTOMATIC_CODES], stdout=exported)
    rows = exported.getvalue().splitlines()[1:]
    assert sum(Decimal(row.rsplit(",", 1)[1]) for row in rows) == Decimal("67645000.00")

    # The demo owner has an award to confirm (publicity over) and one already paid.
    mine = Award.objects.filter(enterprise__uscc=make_uscc(1))
    today = timezone.localdate()
    waiting = mine.get(status=AwardStatus.PUBLICIZED)
    assert waiting.publicity_to < today
    assert waiting.explanation["trace"]
    assert mine.filter(status=AwardStatus.PAID).exists()
    # A list is in publicity today, and every H1 payment went through a batch with a bank reference.
    assert (
        Award.objects.filter(status="publicized", publicity_from__lte=today, publicity_to__gte=today).count()
        == 3
    )
    assert not Award.objects.filter(status=AwardStatus.PAID, payment_batch__isnull=True).exists()
    assert set(PaymentBatch.objects.values_list("status", flat=True)) == {"paid"}

    counts = (
        Award.objects.count(),
        AwardEvent.objects.count(),
        PaymentBatch.objects.count(),
        MatchRun.objects.count(),
        Notification.objects.count(),
    )
    summary = io.StringIO()
    demo.load(summary)

    assert (
        Award.objects.count(),
        AwardEvent.objects.count(),
        PaymentBatch.objects.count(),
        MatchRun.objects.count(),
        Notification.objects.count(),
    ) == counts
    assert "2023 年上半年免申即享 5 项政策 67645000.00 元，拨付 50331700.00 元" in summary.getvalue()
