import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from portal.enterprises.models import AnnualReport, Enterprise
from portal.enterprises.services import facts_changed
from subsidies import matching
from subsidies.models import (
    Award,
    AwardStatus,
    LostCandidate,
    MatchChunk,
    MatchRun,
    RunStatus,
    Scheme,
    SchemeStatus,
    Undetermined,
)
from subsidies.schedule import BEAT
from subsidies.tasks import match_nightly
from subsidies.variables import facts_from_json
from tests.factories import AnnualReportFactory, EnterpriseFactory, QualificationFactory
from tests.subsidies.factories import SchemeFactory

pytestmark = pytest.mark.django_db

RD_GRANT = {">=": [{"var": "rd_expense"}, 100]}
TEN_PERCENT_OF_RD = {"*": [{"var": "rd_expense"}, 10000, Decimal("0.1")]}


def firm(rd="350.00", **fields):
    enterprise = EnterpriseFactory(**fields)
    AnnualReportFactory(enterprise=enterprise, year=2022, rd_expense=None if rd is None else Decimal(rd))
    return enterprise


def awards():
    return set(Award.objects.values_list("scheme__code", "enterprise__uscc", "period", "amount"))


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of two enterprises, so a handful of enterprises make a run of several chunks."""
    monkeypatch.setattr(matching.runs, "MIN_CHUNK", 2)
    monkeypatch.setattr(matching.runs, "MAX_CHUNKS", 40)


# ---- a run -------------------------------------------------------------------------------------------------


def test_a_run_creates_a_candidate_per_eligible_enterprise_with_amount_facts_and_run():
    scheme = SchemeFactory(code="rd-grant", eligibility=RD_GRANT, amount_rule=TEN_PERCENT_OF_RD)
    eligible, small = firm("350.00"), firm("50.00")
    run = matching.match_run_execute()
    award = Award.objects.get()
    assert (award.scheme, award.enterprise, award.period) == (scheme, eligible, "2023")
    assert award.status == AwardStatus.CANDIDATE
    assert award.computed_amount == award.amount == Decimal("350000.00")
    assert award.run == run
    assert facts_from_json(award.facts) == {"rd_expense": Decimal("350")}
    assert award.explanation["outcome"] == "eligible"
    assert not Award.objects.filter(enterprise=small).exists()
    assert run.status == RunStatus.FINISHED
    assert matching.run_summary(run) == {
        "run": run.pk,
        "schemes": [
            {"code": "rd-grant", "eligible": 1, "undetermined": 0, "new": 1, "lost": 0, "amount": "350000.00"}
        ],
    }


def test_only_active_automatic_schemes_are_matched():
    SchemeFactory(status=SchemeStatus.DRAFT, eligibility=True)
    SchemeFactory(status=SchemeStatus.CLOSED, eligibility=True)
    SchemeFactory(mode="application", eligibility=True)
    firm()
    run = matching.match_run_execute()
    assert run.totals == {}
    assert not Award.objects.exists()


def test_running_twice_creates_nothing_the_second_time_and_gives_the_same_awards():
    SchemeFactory(eligibility=RD_GRANT, amount_rule=TEN_PERCENT_OF_RD)
    firm("350.00"), firm("120.00"), firm("10.00")
    first = matching.match_run_execute()
    before = awards()
    second = matching.match_run_execute()
    assert awards() == before
    assert len(before) == 2
    assert first.totals[next(iter(first.totals))]["new"] == 2
    assert [counts["new"] for counts in second.totals.values()] == [0]
    assert [counts["eligible"] for counts in second.totals.values()] == [2]


def test_a_rerun_with_nothing_changed_takes_each_chunk_over_instead_of_matching_it(small_chunks, monkeypatch):
    SchemeFactory(eligibility=RD_GRANT, amount_rule=TEN_PERCENT_OF_RD)
    for rd in ("350.00", "120.00", "10.00", None, "500.00"):
        firm(rd)
    first = matching.match_run_execute()
    evaluated = []
    real = matching.chunks._take_over
    monkeypatch.setattr(matching.chunks, "_take_over", lambda *a, **k: evaluated.append(1) or real(*a, **k))
    second = matching.match_run_execute()
    assert len(evaluated) == first.chunk_count == second.chunk_count == 3
    assert second.totals == {code: {**counts, "new": 0} for code, counts in first.totals.items()}
    assert first.undetermined.count() == second.undetermined.count() == 1


def test_a_chunk_whose_facts_changed_is_matched_again():
    SchemeFactory(eligibility=RD_GRANT, amount_rule=TEN_PERCENT_OF_RD)
    enterprise = firm("50.00")
    matching.match_run_execute()
    AnnualReport.objects.filter(enterprise=enterprise).update(rd_expense=Decimal("150.00"))
    run = matching.match_run_execute()
    assert Award.objects.get().enterprise == enterprise
    assert [counts["new"] for counts in run.totals.values()] == [1]


def test_a_dry_run_counts_but_writes_no_award():
    SchemeFactory(code="rd", eligibility=RD_GRANT, amount_rule=TEN_PERCENT_OF_RD)
    firm("350.00"), firm(None)
    run = matching.match_run_execute(dry_run=True)
    assert run.dry_run
    assert run.totals["rd"] == {"eligible": 1, "undetermined": 1, "new": 1, "lost": 0, "amount": "350000.00"}
    assert not Award.objects.exists()
    assert not Undetermined.objects.exists()


def test_a_run_can_be_narrowed_to_schemes_and_enterprises():
    SchemeFactory(code="a", eligibility=RD_GRANT)
    SchemeFactory(code="b", eligibility=RD_GRANT)
    one, other = firm(), firm()
    run = matching.match_run_execute(scheme_codes=["b"], enterprise_ids=[one.pk])
    assert list(run.totals) == ["b"]
    assert awards() == {("b", one.uscc, "2023", Decimal("100000.00"))}
    assert not Award.objects.filter(enterprise=other).exists()


def test_an_unknown_scheme_code_is_refused_before_anything_is_written():
    with pytest.raises(matching.MatchError, match="没有执行中的免申即享方案：nope"):
        matching.match_run_execute(scheme_codes=["nope"])
    assert not MatchRun.objects.exists()


# ---- amounts, groups, blacklist ----------------------------------------------------------------------------


def test_the_amount_is_capped_and_rounded_down_to_the_fen():
    SchemeFactory(
        eligibility=True,
        amount_rule={"*": [{"var": "rd_expense"}, Decimal("33.333")]},
        cap_per_enterprise=Decimal("20000.00"),
    )
    small, large = firm("100.01"), firm("999.00")
    matching.match_run_execute()
    assert Award.objects.get(enterprise=small).amount == Decimal("3333.63")  # 3333.63333 down to the fen
    assert Award.objects.get(enterprise=large).amount == Decimal("20000.00")


def test_no_award_is_created_for_an_amount_of_zero():
    SchemeFactory(eligibility=True, amount_rule={"-": [{"var": "rd_expense"}, 350]})
    firm("350.00")
    matching.match_run_execute()
    assert not Award.objects.exists()


def test_in_an_exclusive_group_only_the_highest_paying_scheme_is_awarded():
    low = SchemeFactory(
        code="low", title="小额奖励", exclusive_group="rd", eligibility=True, amount_rule=100000
    )
    high = SchemeFactory(
        code="high", title="大额奖励", exclusive_group="rd", eligibility=True, amount_rule=300000
    )
    outside = SchemeFactory(code="other", eligibility=True, amount_rule=5000)
    enterprise = firm()
    matching.match_run_execute()
    assert {award.scheme for award in Award.objects.filter(enterprise=enterprise)} == {high, outside}
    explanation = matching.explain_for(scheme=low, enterprise=enterprise)
    assert explanation.outcome == "ineligible"
    assert explanation.trace[-1].text == "同组（rd）政策按从高不重复，已由“大额奖励”兑现 300000.00 元"


def test_an_award_already_held_in_the_group_blocks_a_later_higher_one_of_the_same_period():
    low = SchemeFactory(code="low", exclusive_group="rd", eligibility=True, amount_rule=100000)
    high = SchemeFactory(code="high", exclusive_group="rd", eligibility=RD_GRANT, amount_rule=300000)
    enterprise = firm("50.00")
    matching.match_run_execute()
    AnnualReport.objects.filter(enterprise=enterprise).update(rd_expense=Decimal("500.00"))
    matching.match_run_execute()
    assert list(Award.objects.values_list("scheme", flat=True)) == [low.pk]
    assert matching.explain_for(scheme=high, enterprise=enterprise).outcome == "ineligible"


def test_a_top_up_scheme_pays_the_difference_over_what_the_group_paid_in_earlier_periods():
    earlier = SchemeFactory(
        code="2022-tier", exclusive_group="tier", period="2022", status=SchemeStatus.CLOSED
    )
    enterprise = firm()
    Award.objects.create(
        scheme=earlier,
        enterprise=enterprise,
        period="2022",
        status=AwardStatus.PAID,
        computed_amount=Decimal("100000.00"),
        amount=Decimal("100000.00"),
    )
    SchemeFactory(code="2023-tier", exclusive_group="tier", top_up=True, eligibility=True, amount_rule=300000)
    matching.match_run_execute()
    award = Award.objects.get(scheme__code="2023-tier")
    assert award.amount == Decimal("200000.00")
    assert award.facts["_group_received"] == "100000.00"


def test_a_blacklisted_enterprise_is_never_eligible_and_the_explanation_says_why():
    scheme = SchemeFactory(eligibility=True, amount_rule=1000)
    enterprise = firm(blacklisted=True)
    run = matching.match_run_execute()
    assert not Award.objects.exists()
    assert not run.undetermined.exists()
    explanation = matching.explain_for(scheme=scheme, enterprise=enterprise)
    assert explanation.outcome == "ineligible"
    assert explanation.trace[0].text == "贵企业列入失信名单，按规定不享受兑现"


# ---- undetermined, diff ------------------------------------------------------------------------------------


def test_an_enterprise_missing_a_fact_is_listed_as_undetermined_not_awarded():
    scheme = SchemeFactory(eligibility=RD_GRANT, amount_rule=1000)
    enterprise = firm(None)
    run = matching.match_run_execute()
    assert not Award.objects.exists()
    row = Undetermined.objects.get()
    assert (row.run, row.scheme, row.enterprise, row.missing) == (run, scheme, enterprise, ["rd_expense"])


def test_an_eligible_enterprise_whose_amount_cannot_be_computed_is_undetermined_too():
    SchemeFactory(eligibility=True, amount_rule={"*": [{"var": "tax_paid"}, 100]})
    enterprise = EnterpriseFactory()
    AnnualReportFactory(enterprise=enterprise, year=2022, tax_paid=None)
    matching.match_run_execute()
    assert not Award.objects.exists()
    assert Undetermined.objects.get().missing == ["tax_paid"]


def test_the_diff_lists_an_unpaid_award_whose_enterprise_no_longer_meets_the_scheme_once():
    scheme = SchemeFactory(code="rd", eligibility=RD_GRANT)
    enterprise = firm("350.00")
    matching.match_run_execute()
    AnnualReport.objects.filter(enterprise=enterprise).update(rd_expense=Decimal("20.00"))
    second = matching.match_run_execute()
    third = matching.match_run_execute()
    award = Award.objects.get()
    assert list(LostCandidate.objects.values_list("run", "award")) == [(second.pk, award.pk)]
    assert second.totals["rd"]["lost"] == 1
    assert third.totals["rd"]["lost"] == 0
    assert award.status == AwardStatus.CANDIDATE  # staff decide; only a facts import revokes by itself
    assert scheme.awards.count() == 1


# ---- idempotence, lock, resume -----------------------------------------------------------------------------


def test_a_chunk_delivered_twice_changes_nothing_the_second_time():
    SchemeFactory(eligibility=RD_GRANT)
    firm()
    run = matching.runs._create_run(
        trigger="manual", scheme_codes=None, enterprise_ids=None, dry_run=False, queued=True
    )
    chunk = run.chunks.get()
    assert matching.chunk_execute(chunk_id=chunk.pk) is True
    stats = MatchChunk.objects.get(pk=chunk.pk).stats
    assert matching.chunk_execute(chunk_id=chunk.pk) is False
    assert MatchChunk.objects.get(pk=chunk.pk).stats == stats
    assert Award.objects.count() == 1


def _hold_lock(started: threading.Event, release: threading.Event) -> None:
    try:
        with matching.match_lock():
            started.set()
            release.wait(10)
    finally:
        connection.close()


def test_a_second_run_while_one_is_going_is_refused_with_a_clear_message():
    SchemeFactory(eligibility=RD_GRANT)
    started, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(started, release))
    holder.start()
    try:
        assert started.wait(10)
        with pytest.raises(matching.MatchError, match="正在启动或运行"):
            matching.match_run_execute()
    finally:
        release.set()
        holder.join()
    assert matching.match_run_execute().status == RunStatus.FINISHED


def test_a_queued_run_still_progressing_refuses_another_start():
    SchemeFactory(eligibility=RD_GRANT)
    firm()
    run = matching.runs._create_run(
        trigger="nightly", scheme_codes=None, enterprise_ids=None, dry_run=False, queued=True
    )
    with pytest.raises(matching.MatchError, match=f"比对批次 #{run.pk} 正在运行（已完成 0/1 个分片）"):
        matching.match_run_start()


def test_a_queued_run_that_stopped_progressing_is_resumed_by_the_next_start(
    time_machine, django_capture_on_commit_callbacks
):
    SchemeFactory(eligibility=RD_GRANT)
    firm()
    time_machine.move_to(dt.datetime(2023, 7, 1, 2, 0, tzinfo=dt.UTC))
    run = matching.runs._create_run(
        trigger="nightly", scheme_codes=None, enterprise_ids=None, dry_run=False, queued=True
    )
    time_machine.move_to(dt.datetime(2023, 7, 1, 3, 0, tzinfo=dt.UTC))
    with django_capture_on_commit_callbacks(execute=True):
        assert matching.match_run_start().pk == run.pk
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED
    assert Award.objects.count() == 1


def test_a_run_killed_halfway_is_resumed_by_the_next_start_not_started_over(small_chunks, monkeypatch):
    SchemeFactory(eligibility=RD_GRANT, amount_rule=TEN_PERCENT_OF_RD)
    for rd in ("350.00", "120.00", "110.00", "500.00", "101.00"):
        firm(rd)
    real = matching.chunk_execute
    calls = []

    def killed_after_the_first_chunk(*, chunk_id):
        if calls:
            raise KeyboardInterrupt  # the process dies: nothing below this frame runs
        calls.append(chunk_id)
        return real(chunk_id=chunk_id)

    monkeypatch.setattr(matching.runs, "chunk_execute", killed_after_the_first_chunk)
    with pytest.raises(KeyboardInterrupt):
        matching.match_run_execute()
    killed = MatchRun.objects.get()
    assert killed.status == RunStatus.RUNNING
    assert killed.chunks.filter(done_at__isnull=False).count() == 1
    monkeypatch.setattr(matching.runs, "chunk_execute", real)
    resumed = matching.match_run_execute()
    assert resumed.pk == killed.pk
    assert resumed.status == RunStatus.FINISHED
    assert MatchRun.objects.count() == 1
    assert Award.objects.count() == 5
    assert sum(counts["new"] for counts in resumed.totals.values()) == 5


def test_chunks_are_keyset_ranges_covering_every_enterprise_and_never_more_than_the_maximum(monkeypatch):
    monkeypatch.setattr(matching.runs, "MIN_CHUNK", 1)
    EnterpriseFactory.create_batch(90)
    bounds = matching.runs._chunk_bounds(None)
    assert matching.MAX_CHUNKS == 25
    assert len(bounds) == 23  # 90 enterprises, at most 25 chunks: 4 each, the last one 2
    ids = list(Enterprise.objects.order_by("id").values_list("id", flat=True))
    assert bounds[0][0] == ids[0]
    assert bounds[-1][1] == ids[-1]
    covered = [i for low, high in bounds for i in ids if low <= i <= high]
    assert covered == ids


# ---- Celery path -------------------------------------------------------------------------------------------


def test_the_scheduled_task_is_registered_in_every_process_under_its_name():
    from portal.celery import app

    assert app.tasks[BEAT["subsidies-nightly-match"]["task"]].name == match_nightly.name


def test_the_nightly_job_is_scheduled_at_two_in_the_morning():
    entry = BEAT["subsidies-nightly-match"]
    assert entry["task"] == "subsidies.tasks.match_nightly"
    assert entry["schedule"].hour == {2}
    assert entry["schedule"].minute == {0}


def test_the_nightly_task_runs_a_queued_run_to_the_end(django_capture_on_commit_callbacks):
    SchemeFactory(eligibility=RD_GRANT)
    firm()
    with django_capture_on_commit_callbacks(execute=True):
        run_id = match_nightly()
    run = MatchRun.objects.get(pk=run_id)
    assert (run.trigger, run.queued, run.status) == ("nightly", True, RunStatus.FINISHED)
    assert Award.objects.count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_runs_the_chunks_of_a_nightly_run(celery_worker, small_chunks):
    import time

    SchemeFactory(eligibility=RD_GRANT, amount_rule=TEN_PERCENT_OF_RD)
    for rd in ("350.00", "120.00", "10.00", "500.00", "101.00"):
        firm(rd)
    run = matching.match_run_start(trigger="nightly")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status != RunStatus.RUNNING:
            break
        time.sleep(0.2)
    assert run.status == RunStatus.FINISHED
    assert run.chunk_count == 3
    assert Award.objects.count() == 4


# ---- facts changed -----------------------------------------------------------------------------------------


def test_an_award_no_longer_met_after_a_facts_change_is_revoked_with_the_reason(
    django_capture_on_commit_callbacks,
):
    SchemeFactory(title="研发后补助", eligibility=RD_GRANT)
    enterprise = firm("350.00")
    matching.match_run_execute()
    AnnualReport.objects.filter(enterprise=enterprise).update(rd_expense=Decimal("80.00"))
    with django_capture_on_commit_callbacks(execute=True):
        facts_changed(enterprise_ids=[enterprise.pk])
    award = Award.objects.get()
    assert award.status == AwardStatus.REVOKED
    assert (
        award.reason
        == "企业数据更新后不再符合“研发后补助”的条件：2022 年研发费用 80 万元，要求不低于 100 万元"
    )


def test_a_facts_change_that_makes_an_enterprise_eligible_creates_its_candidate():
    SchemeFactory(eligibility=RD_GRANT)
    enterprise = firm("80.00")
    AnnualReport.objects.filter(enterprise=enterprise).update(rd_expense=Decimal("180.00"))
    run = matching.enterprise_rematch(enterprise_ids=[enterprise.pk])
    assert run.trigger == "facts"
    assert Award.objects.get().run == run


def test_a_facts_change_that_changes_nothing_leaves_no_run_behind():
    SchemeFactory(eligibility=RD_GRANT)
    enterprise = firm("80.00")
    assert matching.enterprise_rematch(enterprise_ids=[enterprise.pk]) is None
    assert not MatchRun.objects.exists()


def test_a_paid_award_is_never_revoked():
    SchemeFactory(eligibility=RD_GRANT)
    enterprise = firm("350.00")
    matching.match_run_execute()
    Award.objects.update(status=AwardStatus.PAID)
    AnnualReport.objects.filter(enterprise=enterprise).update(rd_expense=Decimal("80.00"))
    matching.enterprise_rematch(enterprise_ids=[enterprise.pk])
    assert Award.objects.get().status == AwardStatus.PAID


# ---- explanations ------------------------------------------------------------------------------------------


def test_an_award_explanation_is_replayed_from_its_facts_and_the_rules_its_run_used():
    scheme = SchemeFactory(eligibility=RD_GRANT)
    firm("350.00")
    matching.match_run_execute()
    scheme.eligibility = {">=": [{"var": "rd_expense"}, 999]}
    scheme.save()
    award = Award.objects.get()
    explanation = matching.award_explanation(award)
    assert explanation.outcome == "eligible"
    assert [clause.text for clause in explanation.trace] == ["2022 年研发费用 350 万元，不低于 100 万元"]
    assert matching.awards_explain(awards=[award]) == 1
    award.refresh_from_db()
    assert award.explanation["trace"][0]["text"] == "2022 年研发费用 350 万元，不低于 100 万元"
    assert "pending" not in award.explanation
    assert matching.awards_explain(awards=[award]) == 0


def test_explain_for_says_why_an_enterprise_is_eligible_or_not():
    scheme = SchemeFactory(
        eligibility={"and": [RD_GRANT, {"in": ["high_tech", {"var": "qualifications"}]}]}, amount_rule=1000
    )
    enterprise = firm("350.00")
    explanation = matching.explain_for(scheme=scheme, enterprise=enterprise)
    assert explanation.outcome == "ineligible"
    assert [clause.status for clause in explanation.trace] == ["pass", "fail"]
    QualificationFactory(enterprise=enterprise, code="high_tech", year_awarded=2021)
    assert matching.explain_for(scheme=scheme, enterprise=enterprise).outcome == "eligible"


def test_the_calculator_evaluates_a_profile_without_storing_anything():
    high = SchemeFactory(
        code="high", exclusive_group="g", eligibility=RD_GRANT, amount_rule=TEN_PERCENT_OF_RD
    )
    low = SchemeFactory(code="low", exclusive_group="g", eligibility=True, amount_rule=1000)
    capped = SchemeFactory(
        code="capped", eligibility=True, amount_rule=90000, cap_per_enterprise=Decimal("5000")
    )
    needs_revenue = SchemeFactory(code="revenue", eligibility={">": [{"var": "revenue"}, 1]}, amount_rule=1)
    results = matching.evaluate_profile(
        facts={"rd_expense": 200.5}, schemes=[low, high, capped, needs_revenue]
    )
    by_code = {scheme.code: (explanation.outcome, amount) for scheme, explanation, amount in results}
    assert by_code == {
        "high": ("eligible", Decimal("200500.00")),
        "low": ("ineligible", None),
        "capped": ("eligible", Decimal("5000.00")),
        "revenue": ("undetermined", None),
    }
    assert not Award.objects.exists()
    assert not MatchRun.objects.exists()
    blacklisted = matching.evaluate_profile(facts={"rd_expense": 200, "blacklisted": True}, schemes=[high])
    assert blacklisted[0][1].outcome == "ineligible"


def _hashable(facts):
    # Decimals compare by value (SQLite keeps 400.00 as 400); lists become tuples.
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in facts.items()))


def _results(run):
    """What a re-match decided, comparable between the two ways of deciding it."""
    if run is None:
        return None
    awards = {
        (a.scheme.code, a.enterprise_id, a.amount, _hashable(facts_from_json(a.facts)))
        for a in run.awards.select_related("scheme")
    }
    undetermined = {
        (u.scheme.code, u.enterprise_id, tuple(u.missing)) for u in run.undetermined.select_related("scheme")
    }
    lost = set(run.lost.values_list("award_id", flat=True))
    totals = {
        code: counts
        for code, counts in run.totals.items()
        if any(counts[k] for k in ("eligible", "undetermined", "lost"))
    }
    return awards, undetermined, lost, totals


def test_re_matching_in_python_decides_exactly_as_the_chunk_statements_do():
    SchemeFactory(
        code="rd", eligibility=RD_GRANT, amount_rule=TEN_PERCENT_OF_RD, cap_per_enterprise=Decimal("300000")
    )
    SchemeFactory(code="g-low", exclusive_group="g", eligibility=True, amount_rule=100000)
    SchemeFactory(
        code="g-high",
        exclusive_group="g",
        eligibility={">=": [{"var": "rd_expense"}, 300]},
        amount_rule=250000,
    )
    SchemeFactory(
        code="g-tie",
        exclusive_group="g",
        eligibility={">=": [{"var": "rd_expense"}, 300]},
        amount_rule=250000,
    )
    SchemeFactory(code="tier-22", exclusive_group="tier", period="2022", eligibility=True, amount_rule=50000)
    SchemeFactory(code="tier-23", exclusive_group="tier", top_up=True, eligibility=True, amount_rule=80000)
    SchemeFactory(
        code="ratio",
        eligibility={">": [{"var": "rd_ratio"}, Decimal("0.05")]},
        amount_rule={"*": [{"var": "tax_paid"}, 100]},
    )
    SchemeFactory(code="ht", eligibility={"in": ["high_tech", {"var": "qualifications"}]}, amount_rule=1)
    enterprises = [
        firm("350.00"),
        firm("120.00"),
        firm(None),
        firm("500.00", blacklisted=True),
        firm("90.00"),
    ]
    QualificationFactory(enterprise=enterprises[0], code="high_tech", year_awarded=2022)
    AnnualReport.objects.filter(enterprise=enterprises[1]).update(tax_paid=None)
    matching.match_run_execute()
    Award.objects.filter(scheme__code="tier-22").update(status=AwardStatus.PAID)
    # Then the facts change: some enterprises gain, some lose, one is blacklisted.
    AnnualReport.objects.filter(enterprise=enterprises[0]).update(rd_expense=Decimal("20.00"))
    AnnualReport.objects.filter(enterprise=enterprises[4]).update(rd_expense=Decimal("400.00"))
    Enterprise.objects.filter(pk=enterprises[1].pk).update(blacklisted=True)
    ids = [enterprise.pk for enterprise in enterprises]
    decided = {}
    for way in (matching.rematch._rematch_python, matching.rematch._rematch_sql):
        with transaction.atomic():
            decided[way.__name__] = _results(way(ids))
            transaction.set_rollback(True)
    assert decided["_rematch_python"] == decided["_rematch_sql"]
    awards, undetermined, lost, totals = decided["_rematch_python"]
    assert {(code, enterprise, amount) for code, enterprise, amount, _ in awards} == {
        ("rd", enterprises[4].pk, Decimal("300000.00")),  # capped
        ("ratio", enterprises[4].pk, Decimal("26000.00")),
    }
    assert ("g-high", enterprises[2].pk, ("rd_expense",)) in undetermined
    assert len(lost) == 6
    assert totals["tier-23"]["amount"] == "90000.00"  # 80,000 less the 50,000 paid in 2022, three times
    assert totals["g-low"]["eligible"] == 2  # its awards from the first run block g-high for the same period


def test_a_chunk_is_matched_again_when_a_qualification_or_an_award_of_its_enterprises_changed(monkeypatch):
    SchemeFactory(code="ht", eligibility={"in": ["high_tech", {"var": "qualifications"}]}, amount_rule=1000)
    enterprise = firm()
    matching.match_run_execute()
    taken_over = []
    real = matching.chunks._take_over
    monkeypatch.setattr(matching.chunks, "_take_over", lambda *a, **k: taken_over.append(1) or real(*a, **k))
    QualificationFactory(enterprise=enterprise, code="high_tech", year_awarded=2022)
    assert matching.match_run_execute().totals["ht"]["new"] == 1
    Award.objects.update(status=AwardStatus.APPROVED)
    matching.match_run_execute()
    assert taken_over == []
    matching.match_run_execute()
    assert taken_over == [1]


def _report(enterprise):
    return AnnualReport.objects.filter(enterprise=enterprise, year=2022)


FACT_CHANGES = {
    "park": lambda a, b: Enterprise.objects.filter(pk=a.pk).update(park="shifo"),
    "industry": lambda a, b: Enterprise.objects.filter(pk=a.pk).update(industry_code="C3985"),
    "registered on": lambda a, b: Enterprise.objects.filter(pk=a.pk).update(
        registered_on=dt.date(2001, 2, 3)
    ),
    "capital by a fen": lambda a, b: Enterprise.objects.filter(pk=a.pk).update(
        registered_capital=Decimal("1000.01")
    ),
    "above scale unknown": lambda a, b: Enterprise.objects.filter(pk=a.pk).update(is_above_scale=None),
    "credit": lambda a, b: Enterprise.objects.filter(pk=a.pk).update(credit_rating="D"),
    "blacklisted": lambda a, b: Enterprise.objects.filter(pk=a.pk).update(blacklisted=True),
    "revenue by a fen": lambda a, b: _report(a).update(revenue=Decimal("5000.01")),
    "rd unknown": lambda a, b: _report(a).update(rd_expense=None),
    "employees": lambda a, b: _report(a).update(employees=41),
    "tax": lambda a, b: _report(a).update(tax_paid=Decimal("12.34")),
    "report removed": lambda a, b: _report(a).delete(),
    "a fen moved between two enterprises": lambda a, b: (
        _report(a).update(rd_expense=Decimal("350.01")),
        _report(b).update(rd_expense=Decimal("119.99")),
    ),
    "parks swapped": lambda a, b: (
        Enterprise.objects.filter(pk=a.pk).update(park="fengyang"),
        Enterprise.objects.filter(pk=b.pk).update(park="wutong"),
    ),
    "revenues swapped": lambda a, b: (
        _report(a).update(revenue=Decimal("7000.00")),
        _report(b).update(revenue=Decimal("5000.00")),
    ),
    "qualification": lambda a, b: QualificationFactory(enterprise=a, code="high_tech", year_awarded=2022),
}


@pytest.mark.parametrize("change", FACT_CHANGES.values(), ids=FACT_CHANGES.keys())
def test_any_change_to_what_the_facts_are_computed_from_changes_the_chunk_fingerprint(change):
    SchemeFactory(eligibility=RD_GRANT, amount_rule=TEN_PERCENT_OF_RD)
    a = firm("350.00", park="wutong", registered_capital=Decimal("1000.00"), is_above_scale=True)
    b = firm("120.00", park="fengyang")
    _report(a).update(revenue=Decimal("5000.00"), employees=40, tax_paid=Decimal("12.00"))
    _report(b).update(revenue=Decimal("7000.00"))
    plan = matching.plan._run_plan(matching.match_run_execute())
    scope = matching.plan._Scope(id_from=a.pk, id_to=b.pk)

    def digest():
        with connection.cursor() as cursor:
            return matching.fingerprints._facts_digest(cursor, plan, scope)

    before = digest()
    assert digest() == before
    change(a, b)
    assert digest() != before


def test_rules_indexed_by_their_guard_decide_as_unindexed_rules_unknown_guards_included():
    park_only = SchemeFactory(
        code="wutong", eligibility={"and": [{"==": [{"var": "park"}, "wutong"]}, RD_GRANT]}
    )
    two_parks = SchemeFactory(
        code="two", eligibility={"and": [{"in": [{"var": "park"}, ["wutong", "shifo"]]}, RD_GRANT]}
    )
    reversed_guard = SchemeFactory(code="rev", eligibility={"==": ["shifo", {"var": "park"}]})
    firms = {
        "wutong": firm("350.00", park="wutong"),
        "shifo": firm("350.00", park="shifo"),
        "unknown": firm("350.00", park=""),
        "unknown-small": firm("50.00", park=""),
        "other": firm("350.00", park="other"),
    }
    run = matching.match_run_execute()
    awarded = set(Award.objects.values_list("scheme__code", "enterprise"))
    undetermined = set(run.undetermined.values_list("scheme__code", "enterprise"))
    for name, enterprise in firms.items():
        for scheme in (park_only, two_parks, reversed_guard):
            outcome = matching.explain_for(scheme=scheme, enterprise=enterprise).outcome
            pair = (scheme.code, enterprise.pk)
            assert (pair in awarded, pair in undetermined) == (
                outcome == "eligible",
                outcome == "undetermined",
            ), (
                name,
                scheme.code,
            )
    assert awarded == {
        ("wutong", firms["wutong"].pk),
        ("two", firms["wutong"].pk),
        ("two", firms["shifo"].pk),
        ("rev", firms["shifo"].pk),
    }
    assert undetermined == {
        ("wutong", firms["unknown"].pk),
        ("two", firms["unknown"].pk),
        ("rev", firms["unknown"].pk),
        ("rev", firms["unknown-small"].pk),
    }


def test_a_rule_changed_without_a_new_update_time_is_matched_as_it_now_reads():
    # A queryset update (a data fix, a restored backup) leaves updated_at alone; the match must still
    # read the rule the database holds, never a parse of the old text cached under the same id.
    scheme = SchemeFactory(code="rd-grant", eligibility=RD_GRANT, amount_rule=TEN_PERCENT_OF_RD)
    enterprise = firm("350.00")
    matching.match_run_execute()
    assert Award.objects.get(enterprise=enterprise).amount == Decimal("350000.00")
    Award.objects.all().delete()
    Scheme.objects.filter(pk=scheme.pk).update(
        eligibility={">=": [{"var": "rd_expense"}, 1000]}, updated_at=scheme.updated_at
    )
    matching.match_run_execute()
    assert not Award.objects.exists()
    Scheme.objects.filter(pk=scheme.pk).update(amount_rule=7, updated_at=scheme.updated_at, eligibility=True)
    scheme.refresh_from_db()
    [(_, explanation, amount)] = matching.evaluate_profile(facts={"rd_expense": 350}, schemes=[scheme])
    assert (explanation.outcome, amount) == ("eligible", Decimal("7.00"))
