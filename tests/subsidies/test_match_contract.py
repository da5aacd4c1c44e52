"""Matching as staff and enterprises see it: awards, undetermined list, runs, lock, groups, rematch."""

import datetime as dt
import threading
from decimal import Decimal

import factory
import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from subsidies import tasks
from subsidies.matching import (
    MatchError,
    chunk_execute,
    enterprise_rematch,
    evaluate_profile,
    explain_for,
    match_lock,
    match_run_execute,
    match_run_start,
    run_finish,
    run_summary,
)
from subsidies.models import Award, AwardStatus, MatchRun, RunStatus, SchemeMode, SchemeStatus, Undetermined
from tests.factories import AnnualReportFactory, EnterpriseFactory
from tests.subsidies import factories
from tests.subsidies.award_factories import AwardFactory, AwardPolicyFactory

pytestmark = pytest.mark.django_db


class SchemeFactory(factories.SchemeFactory):
    """A scheme of a published policy (the policy constraint wants a publication date)."""

    policy = factory.SubFactory(AwardPolicyFactory)


RD_AT_LEAST_100 = {">=": [{"var": "rd_expense"}, 100]}
# 研发费用（万元）× 10000 ÷ 3: 200 万元 gives 666,666.666… 元.
A_THIRD_OF_RD = {"/": [{"*": [{"var": "rd_expense"}, 10000]}, 3]}


def enterprise_with_rd(rd: str, **fields):
    """An enterprise whose 2022 annual report shows this R&D expense (万元)."""
    enterprise = EnterpriseFactory(**fields)
    AnnualReportFactory(enterprise=enterprise, year=2022, rd_expense=Decimal(rd))
    return enterprise


def totals_of(run, code):
    (entry,) = [entry for entry in run_summary(run)["schemes"] if entry["code"] == code]
    return entry


def award_rows():
    return sorted(
        Award.objects.values_list(
            "scheme__code", "enterprise_id", "period", "status", "computed_amount", "amount"
        )
    )


# ---- awards, the undetermined list ---------------------------------------------------------------


def test_an_eligible_enterprise_gets_one_candidate_award_rounded_down_to_the_fen():
    scheme = SchemeFactory(eligibility=RD_AT_LEAST_100, amount_rule=A_THIRD_OF_RD)
    enterprise = enterprise_with_rd("200.00")

    run = match_run_execute()

    award = Award.objects.get()
    assert (award.scheme, award.enterprise, award.period) == (scheme, enterprise, "2023")
    assert award.status == AwardStatus.CANDIDATE
    assert award.computed_amount == Decimal("666666.66")
    assert award.amount == Decimal("666666.66")
    assert award.run == run
    assert run.status == RunStatus.FINISHED
    assert totals_of(run, scheme.code) == {
        "code": scheme.code,
        "eligible": 1,
        "undetermined": 0,
        "new": 1,
        "lost": 0,
        "amount": "666666.66",
    }


def test_an_award_stores_its_eligible_explanation_and_the_facts_it_was_decided_on():
    SchemeFactory(eligibility=RD_AT_LEAST_100, amount_rule=A_THIRD_OF_RD)
    enterprise_with_rd("200.00")

    match_run_execute()

    award = Award.objects.get()
    assert award.explanation["outcome"] == "eligible"
    assert Decimal(str(award.facts["rd_expense"])) == Decimal("200")


def test_the_cap_per_enterprise_limits_the_computed_amount():
    SchemeFactory(
        eligibility=RD_AT_LEAST_100,
        amount_rule={"*": [{"var": "rd_expense"}, 10000]},
        cap_per_enterprise=Decimal("500000.00"),
    )
    enterprise_with_rd("350.00")

    match_run_execute()

    award = Award.objects.get()
    assert award.computed_amount == Decimal("500000.00")
    assert award.amount == Decimal("500000.00")


def test_an_ineligible_enterprise_gets_no_award_and_is_not_undetermined():
    scheme = SchemeFactory(eligibility=RD_AT_LEAST_100)
    enterprise_with_rd("99.99")

    run = match_run_execute()

    assert Award.objects.count() == 0
    assert Undetermined.objects.count() == 0
    assert totals_of(run, scheme.code)["eligible"] == 0


def test_an_enterprise_missing_a_fact_is_listed_undetermined_with_the_variable_named_not_awarded():
    scheme = SchemeFactory(eligibility=RD_AT_LEAST_100)
    enterprise = EnterpriseFactory()  # no annual report: R&D expense unknown

    run = match_run_execute()

    assert Award.objects.count() == 0
    entry = Undetermined.objects.get()
    assert (entry.run, entry.scheme, entry.enterprise) == (run, scheme, enterprise)
    assert entry.missing == ["rd_expense"]
    assert totals_of(run, scheme.code)["undetermined"] == 1
    assert totals_of(run, scheme.code)["eligible"] == 0


# ---- blacklist -----------------------------------------------------------------------------------


def test_a_blacklisted_enterprise_is_never_eligible_whatever_the_rule():
    SchemeFactory(eligibility={"or": [{"var": "blacklisted"}, RD_AT_LEAST_100]})
    enterprise_with_rd("500.00", blacklisted=True, blacklisted_on=dt.date(2022, 5, 1))

    match_run_execute()

    assert Award.objects.count() == 0
    assert Undetermined.objects.count() == 0


def test_explain_for_a_blacklisted_enterprise_says_it_is_blacklisted():
    scheme = SchemeFactory(eligibility={"or": [{"var": "blacklisted"}, RD_AT_LEAST_100]})
    enterprise = enterprise_with_rd("500.00", blacklisted=True, blacklisted_on=dt.date(2022, 5, 1))

    explanation = explain_for(scheme=scheme, enterprise=enterprise)

    assert explanation.outcome == "ineligible"
    assert explanation.trace[0].status == "fail"
    assert "失信" in explanation.trace[0].text


# ---- idempotence ---------------------------------------------------------------------------------


def test_running_the_match_twice_creates_nothing_new_the_second_time():
    scheme = SchemeFactory(eligibility=RD_AT_LEAST_100, amount_rule=A_THIRD_OF_RD)
    for rd in ("150.00", "200.00", "300.00"):
        enterprise_with_rd(rd)

    first = match_run_execute()
    awards_after_first = award_rows()
    second = match_run_execute()

    assert second.pk != first.pk
    assert totals_of(first, scheme.code)["new"] == 3
    assert totals_of(second, scheme.code)["new"] == 0
    assert totals_of(second, scheme.code)["eligible"] == 3
    assert totals_of(second, scheme.code)["lost"] == 0
    assert award_rows() == awards_after_first
    assert len(awards_after_first) == 3


# ---- the lock ------------------------------------------------------------------------------------


class LockHolder:
    """Hold the matching lock from another thread (another database session), as a second process would."""

    def __init__(self):
        self.taken = threading.Event()
        self.release = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._hold)

    def _hold(self):
        try:
            with match_lock():
                self.taken.set()
                self.release.wait(30)
        except Exception as error:  # reported to the test below
            self.error = error
            self.taken.set()
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        self.taken.wait(30)
        assert self.error is None
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(30)


def test_a_second_run_while_one_holds_the_lock_is_refused():
    SchemeFactory(eligibility=RD_AT_LEAST_100)
    enterprise_with_rd("200.00")

    with LockHolder(), pytest.raises(MatchError, match="请待其结束后再试"):
        match_run_execute()

    assert Award.objects.count() == 0
    assert MatchRun.objects.count() == 0


def test_the_command_exits_non_zero_with_a_chinese_message_while_the_lock_is_held():
    SchemeFactory(eligibility=RD_AT_LEAST_100)
    enterprise_with_rd("200.00")

    with LockHolder(), pytest.raises(CommandError) as raised:
        call_command("match_subsidies", verbosity=0)

    assert raised.value.returncode == 1
    assert str(raised.value) == "另一个比对批次正在启动或运行，请待其结束后再试。"
    assert Award.objects.count() == 0


def test_the_lock_is_free_again_after_a_run():
    SchemeFactory(eligibility=RD_AT_LEAST_100)
    enterprise_with_rd("200.00")

    match_run_execute()
    with match_lock():
        pass
    match_run_execute()

    assert MatchRun.objects.filter(status=RunStatus.FINISHED).count() == 2


# ---- chunks: redelivery and resume ---------------------------------------------------------------


def test_a_chunk_executed_twice_changes_nothing_the_second_time(django_capture_on_commit_callbacks):
    scheme = SchemeFactory(eligibility=RD_AT_LEAST_100, amount_rule=A_THIRD_OF_RD)
    enterprise_with_rd("200.00")
    enterprise_with_rd("300.00")
    with django_capture_on_commit_callbacks(execute=False):  # the queue never delivers
        run = match_run_start(trigger="manual")
    (chunk,) = run.chunks.all()

    assert chunk_execute(chunk_id=chunk.pk) is True
    after_first = award_rows()
    assert chunk_execute(chunk_id=chunk.pk) is False  # redelivered
    finished = run_finish(run_id=run.pk)

    assert award_rows() == after_first
    assert len(after_first) == 2
    assert finished.status == RunStatus.FINISHED
    assert totals_of(finished, scheme.code)["new"] == 2
    assert totals_of(finished, scheme.code)["eligible"] == 2


def test_a_run_left_unfinished_is_resumed_by_the_next_start_not_duplicated(
    django_capture_on_commit_callbacks,
):
    scheme = SchemeFactory(eligibility=RD_AT_LEAST_100, amount_rule=A_THIRD_OF_RD)
    enterprise_with_rd("200.00")
    with django_capture_on_commit_callbacks(execute=False):  # the workers died before running the chunk
        dead = match_run_start(trigger="nightly")

    with time_machine.travel(timezone.now() + dt.timedelta(hours=3)):
        resumed = match_run_execute()

    assert resumed.pk == dead.pk
    assert MatchRun.objects.count() == 1
    assert resumed.status == RunStatus.FINISHED
    assert totals_of(resumed, scheme.code)["new"] == 1
    assert Award.objects.get().run_id == dead.pk


def test_a_queued_run_still_in_progress_refuses_a_new_start(django_capture_on_commit_callbacks):
    SchemeFactory(eligibility=RD_AT_LEAST_100)
    enterprise_with_rd("200.00")
    with django_capture_on_commit_callbacks(execute=False):
        match_run_start(trigger="nightly")

    with pytest.raises(MatchError, match="正在运行"):
        match_run_execute()

    assert MatchRun.objects.count() == 1
    assert Award.objects.count() == 0


def test_match_run_start_runs_its_chunks_after_commit_and_finishes_the_run(
    django_capture_on_commit_callbacks,
):
    scheme = SchemeFactory(eligibility=RD_AT_LEAST_100, amount_rule=A_THIRD_OF_RD)
    enterprise_with_rd("200.00")

    with django_capture_on_commit_callbacks(execute=True):
        run = match_run_start(trigger="nightly")

    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED
    assert run.trigger == "nightly"
    assert totals_of(run, scheme.code)["new"] == 1
    assert Award.objects.get().computed_amount == Decimal("666666.66")


def test_the_nightly_task_starts_a_run_and_leaves_a_running_one_alone(django_capture_on_commit_callbacks):
    SchemeFactory(eligibility=RD_AT_LEAST_100)
    enterprise_with_rd("200.00")
    with django_capture_on_commit_callbacks(execute=False):
        first = tasks.match_nightly.delay().get()
        second = tasks.match_nightly.delay().get()

    assert first == MatchRun.objects.get().pk
    assert second is None


# ---- exclusive groups and top-up -----------------------------------------------------------------


def test_only_the_highest_paying_scheme_of_an_exclusive_group_gets_an_award():
    SchemeFactory(code="rd-low", title="研发后补助（普通）", exclusive_group="rd", amount_rule=100000)
    high = SchemeFactory(code="rd-high", title="研发后补助（高额）", exclusive_group="rd", amount_rule=300000)
    enterprise = enterprise_with_rd("200.00")

    match_run_execute()

    award = Award.objects.get()
    assert (award.scheme, award.enterprise, award.computed_amount) == (high, enterprise, Decimal("300000.00"))


def test_explain_for_the_superseded_scheme_names_the_scheme_that_pays():
    low = SchemeFactory(code="rd-low", title="研发后补助（普通）", exclusive_group="rd", amount_rule=100000)
    high = SchemeFactory(code="rd-high", title="研发后补助（高额）", exclusive_group="rd", amount_rule=300000)
    enterprise = enterprise_with_rd("200.00")
    match_run_execute()

    explanation = explain_for(scheme=low, enterprise=enterprise)

    assert explanation.outcome == "ineligible"
    assert explanation.trace[-1].status == "fail"
    assert high.title in explanation.trace[-1].text
    assert explain_for(scheme=high, enterprise=enterprise).outcome == "eligible"


def test_top_up_pays_the_difference_over_what_the_group_paid_in_earlier_periods():
    earlier = SchemeFactory(
        code="gazelle-2022", period="2022", exclusive_group="gazelle", status=SchemeStatus.CLOSED
    )
    SchemeFactory(
        code="gazelle-2023", period="2023", exclusive_group="gazelle", top_up=True, amount_rule=300000
    )
    enterprise = enterprise_with_rd("200.00")
    AwardFactory(
        scheme=earlier,
        enterprise=enterprise,
        status=AwardStatus.PAID,
        computed_amount=Decimal("120000.50"),
        paid_at=timezone.now(),
    )

    match_run_execute()

    award = Award.objects.get(scheme__code="gazelle-2023")
    assert award.computed_amount == Decimal("179999.50")
    assert award.amount == Decimal("179999.50")


# ---- the diff between runs -----------------------------------------------------------------------


def test_an_enterprise_that_stops_qualifying_is_lost_and_a_new_one_is_new():
    scheme = SchemeFactory(eligibility=RD_AT_LEAST_100)
    leaving = enterprise_with_rd("200.00")
    match_run_execute()
    leaving.annual_reports.filter(year=2022).update(rd_expense=Decimal("10.00"))
    enterprise_with_rd("400.00")

    second = match_run_execute()

    assert totals_of(second, scheme.code) == {
        "code": scheme.code,
        "eligible": 1,
        "undetermined": 0,
        "new": 1,
        "lost": 1,
        "amount": "100000.00",
    }


# ---- facts changed: rematch ----------------------------------------------------------------------


def test_rematch_revokes_the_unpaid_award_of_an_enterprise_that_no_longer_qualifies_with_a_reason():
    scheme = SchemeFactory(title="研发费用后补助", eligibility=RD_AT_LEAST_100)
    enterprise = enterprise_with_rd("200.00")
    match_run_execute()
    enterprise.annual_reports.filter(year=2022).update(rd_expense=Decimal("10.00"))

    enterprise_rematch(enterprise_ids=[enterprise.pk])

    award = Award.objects.get()
    assert award.status == AwardStatus.REVOKED
    assert "研发费用后补助" in award.reason
    assert "不再符合" in award.reason
    assert scheme.code == award.scheme.code


def test_rematch_leaves_a_paid_award_alone():
    scheme = SchemeFactory(eligibility=RD_AT_LEAST_100)
    enterprise = enterprise_with_rd("10.00")
    paid = AwardFactory(scheme=scheme, enterprise=enterprise, status=AwardStatus.PAID, paid_at=timezone.now())

    enterprise_rematch(enterprise_ids=[enterprise.pk])

    paid.refresh_from_db()
    assert paid.status == AwardStatus.PAID
    assert paid.reason == ""


def test_rematch_creates_the_award_of_an_enterprise_that_now_qualifies():
    scheme = SchemeFactory(eligibility=RD_AT_LEAST_100)
    enterprise = enterprise_with_rd("10.00")
    match_run_execute()
    enterprise.annual_reports.filter(year=2022).update(rd_expense=Decimal("150.00"))

    tasks.enterprise_rematch_task.delay([enterprise.pk])

    award = Award.objects.get()
    assert (award.scheme, award.enterprise, award.status) == (scheme, enterprise, AwardStatus.CANDIDATE)


# ---- which schemes are matched -------------------------------------------------------------------


def test_only_active_automatic_schemes_are_matched():
    active = SchemeFactory(code="a-active")
    SchemeFactory(code="b-draft", status=SchemeStatus.DRAFT)
    SchemeFactory(code="c-closed", status=SchemeStatus.CLOSED)
    SchemeFactory(code="d-application", mode=SchemeMode.APPLICATION)
    enterprise_with_rd("200.00")

    run = match_run_execute()

    assert list(Award.objects.values_list("scheme__code", flat=True)) == [active.code]
    assert [entry["code"] for entry in run_summary(run)["schemes"]] == ["a-active"]


# ---- the calculator ------------------------------------------------------------------------------


def test_evaluate_profile_gives_the_amount_and_stores_nothing():
    scheme = SchemeFactory(eligibility=RD_AT_LEAST_100, amount_rule=A_THIRD_OF_RD)
    other = SchemeFactory(eligibility={">=": [{"var": "rd_expense"}, 1000]})

    results = evaluate_profile(
        facts={"rd_expense": Decimal("200"), "blacklisted": False}, schemes=[scheme, other]
    )

    assert [(entry[0], entry[1].outcome, entry[2]) for entry in results] == [
        (scheme, "eligible", Decimal("666666.66")),
        (other, "ineligible", None),
    ]
    assert Award.objects.count() == 0
    assert MatchRun.objects.count() == 0


# ---- through a real worker -----------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_run_through_the_real_celery_worker_gives_the_same_awards_as_in_process(celery_worker):
    SchemeFactory(code="w-rd", eligibility=RD_AT_LEAST_100, amount_rule=A_THIRD_OF_RD)
    SchemeFactory(code="w-low", exclusive_group="w", amount_rule=100000)
    SchemeFactory(code="w-high", exclusive_group="w", amount_rule=200000)
    for rd in ("99.00", "150.00", "200.00", "333.33"):
        enterprise_with_rd(rd)
    EnterpriseFactory()

    run = match_run_start(trigger="nightly")
    for _ in range(600):
        run.refresh_from_db()
        if run.status != RunStatus.RUNNING:
            break
        threading.Event().wait(0.1)
    assert run.status == RunStatus.FINISHED
    through_worker = award_rows()
    Award.objects.all().delete()

    in_process = match_run_execute()

    assert in_process.status == RunStatus.FINISHED
    assert award_rows() == through_worker
    assert len(through_worker) == 6
    assert run_summary(in_process)["schemes"] == run_summary(run)["schemes"]
