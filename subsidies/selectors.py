"""Reads for awards, schemes, runs and payment batches, used by the pages, the API and the admin."""

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, CharField, Count, F, Max, Min, Prefetch, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_lazy

from portal import public_cache
from portal.accounts.selectors import sees_whole_zone
from portal.enterprises.models import Park, QualificationCode
from portal.fields import Unreadable
from portal.residents.models import PurchaseBuyer
from subsidies.matching import award_explanation, evaluate, evaluate_profile, explain_for
from subsidies.models import (
    Award,
    AwardEvent,
    AwardStatus,
    Beneficiary,
    MatchRun,
    PaymentBatch,
    Scheme,
    SchemeMode,
    SchemeStatus,
    Undetermined,
)
from subsidies.rules import Explanation, almost_eligible, folded, normalize, variables_used
from subsidies.rules.logic import divide
from subsidies.variables import VARIABLES, Context, Record, facts_from_record, variable_specs

# Statuses of an award that passed review and was not dropped: what the zone grants (兑现).
GRANTED = (
    AwardStatus.APPROVED,
    AwardStatus.PUBLICIZED,
    AwardStatus.AWAITING,
    AwardStatus.CONFIRMED,
    AwardStatus.PAID,
)
# What an enterprise sees of its awards: never the candidates staff have not reviewed yet, nor rejections.
ENTERPRISE_VISIBLE = (
    AwardStatus.PUBLICIZED,
    AwardStatus.AWAITING,
    AwardStatus.CONFIRMED,
    AwardStatus.PAID,
    AwardStatus.DECLINED,
    AwardStatus.REVOKED,
)


def shown_status(*, today: dt.date | None = None) -> Case:
    """An award's status as it stands today: a publicity period that has ended reads 公示期满待确认,
    whether or not the nightly job has moved the award on yet. The badge, the counts and the confirm form
    all read this (annotated as ``shown_status``)."""
    today = today or timezone.localdate()
    return Case(
        When(status=AwardStatus.PUBLICIZED, publicity_to__lt=today, then=Value(AwardStatus.AWAITING.value)),
        default=F("status"),
        output_field=CharField(),
    )


def _with_beneficiary(qs: QuerySet[Award]) -> QuerySet[Award]:
    # The enterprise or the purchase, and the status shown today; a household award's buyers are prefetched
    # (one query, only when the page holds household awards).
    return (
        qs.select_related("enterprise", "purchase")
        .prefetch_related(
            Prefetch("purchase__buyer_links", queryset=PurchaseBuyer.objects.select_related("person"))
        )
        .annotate(shown_status=shown_status())
    )


def _with_scheme(qs: QuerySet[Award]) -> QuerySet[Award]:
    return _with_beneficiary(qs).select_related("scheme", "scheme__policy", "scheme__policy__department")


def schemes_held() -> dict[int, Scheme]:
    """Every scheme with its policy and the policy's department, by id, kept in this process under the
    public generation (which a scheme's, a policy's or a department's change moves on). Shared by the
    process's requests: callers must not change them."""
    return public_cache.remember_here(
        "schemes:by-id",
        lambda: {
            scheme.pk: scheme for scheme in Scheme.objects.select_related("policy", "policy__department")
        },
    )


def with_held_schemes(awards: Iterable[Award]) -> None:
    """Each award's scheme, with its policy and department, set from ``schemes_held`` (read from the
    database for a scheme newer than the kept ones). For the pages of one enterprise's awards: joining the
    three tables to the awards cost about 1 ms a page, PostgreSQL planning the joins and Django writing them.
    """
    held = schemes_held()
    for award in awards:
        scheme = held.get(award.scheme_id)
        if scheme is None:
            scheme = Scheme.objects.select_related("policy", "policy__department").get(pk=award.scheme_id)
        award.scheme = scheme


def awards_visible_to(*, user, schemes: bool = True) -> QuerySet[Award]:
    """The awards a user may see: an enterprise's members those released to it, staff those of
    ``staff_awards``; without their schemes joined when ``schemes`` is false (``with_held_schemes``)."""
    qs = _with_scheme(Award.objects.all()) if schemes else _with_beneficiary(Award.objects.all())
    if user is None or not user.is_authenticated:
        return qs.none()
    if user.is_enterprise_user:
        return qs.filter(enterprise_id=user.enterprise_id, status__in=ENTERPRISE_VISIBLE)
    return staff_awards(user=user, qs=qs)


def staff_awards(*, user, qs: QuerySet[Award] | None = None) -> QuerySet[Award]:
    """The awards a staff user may read: every award for the zone-wide roles and finance (which pays every
    department's), the awards of their department's schemes for department staff, none for a role without
    the permission to view awards (the system, security and audit administrators)."""
    qs = Award.objects.all() if qs is None else qs
    if not (
        user.is_authenticated and user.is_active and user.is_staff and user.has_perm("subsidies.view_award")
    ):
        return qs.none()
    if sees_whole_zone(user) or user.has_perm("subsidies.add_paymentbatch"):
        return qs
    if user.department_id is None:
        return qs.none()
    return qs.filter(scheme__policy__department_id=user.department_id)


def awards_actable(*, user, qs: QuerySet[Award]) -> QuerySet[Award]:
    """The awards of ``qs`` a staff user may act on (review, release, revoke, record a confirmation): any
    for the zone-wide roles, their department's schemes' for department staff."""
    if sees_whole_zone(user):
        return qs
    if user.department_id is None:
        return qs.none()
    return qs.filter(scheme__policy__department_id=user.department_id)


def awards_outside_department(*, user, award_ids) -> int:
    """How many of these awards a staff user may not act on (``awards_actable``)."""
    qs = Award.objects.filter(pk__in=list(award_ids))
    return qs.count() - awards_actable(user=user, qs=qs).count()


def _waiting_first() -> tuple:
    """The order of a beneficiary's awards: those waiting for their answer first, then the newest."""
    waiting = Case(
        When(status__in=(AwardStatus.PUBLICIZED, AwardStatus.AWAITING), then=Value(0)), default=Value(1)
    )
    return waiting, "-publicity_from", "-id"


def awards_for_enterprise(*, enterprise_id: int) -> QuerySet[Award]:
    """An enterprise's released awards, the ones waiting for its answer first; the awards alone, not the
    enterprise (the reader's own) nor a purchase (an enterprise's award has none), whose columns read for
    every row were a third of the enterprise's awards page. A list that names the schemes sets them with
    ``with_held_schemes``."""
    return (
        Award.objects.filter(enterprise_id=enterprise_id, status__in=ENTERPRISE_VISIBLE)
        .annotate(shown_status=shown_status())
        .order_by(*_waiting_first())
    )


def enterprise_award_summary(*, enterprise_id: int, latest: int) -> tuple[dict, list[Award]]:
    """What the enterprise's awards wait for, counted (its confirmation, the publicity, the payment), and
    its ``latest`` awards as ``awards_for_enterprise`` orders them, with the scheme's title and no more:
    the dashboard's block.

    Kept in the cache for the enterprise and the day (the status shown depends on the day) under the public
    generation, which every change of an award or a scheme moves on, as it does for the publicity lists
    and the figures that count awards: reading them took 2 ms of Django's time on every /me/."""
    today = timezone.localdate()
    return public_cache.remember(
        f"awards:summary:{enterprise_id}:{latest}:{today.isoformat()}",
        lambda: _enterprise_award_summary(enterprise_id, latest, today),
    )


def _enterprise_award_summary(enterprise_id: int, latest: int, today: dt.date) -> tuple[dict, list[Award]]:
    # Two plain queries (with every related row, the list alone took 5 ms); the counts one row per status as
    # shown today (five filtered counts, each with the status CASE written out again, took Django longer to
    # write than PostgreSQL to run).
    released = Award.objects.filter(enterprise_id=enterprise_id, status__in=ENTERPRISE_VISIBLE).annotate(
        shown_status=shown_status(today=today)
    )
    by_status = {
        row["shown_status"]: row
        for row in released.order_by()
        .values("shown_status")
        .annotate(number=Count("pk"), amount=Sum("amount"))
    }

    def number(status: str) -> int:
        return by_status[status]["number"] if status in by_status else 0

    counts = {
        "waiting": number(AwardStatus.AWAITING),
        "publicizing": number(AwardStatus.PUBLICIZED),
        "confirmed": number(AwardStatus.CONFIRMED),
        "paid": number(AwardStatus.PAID),
        "paid_amount": by_status[AwardStatus.PAID]["amount"] if AwardStatus.PAID in by_status else None,
    }
    rows = (
        released.select_related("scheme")
        .only("id", "amount", "status", "publicity_from", "publicity_to", "scheme__title")
        .order_by(*_waiting_first())[:latest]
    )
    return counts, list(rows)


def household_awards_of(*, person) -> QuerySet[Award]:
    """A resident's household awards: those of every purchase they are a buyer of, released to them
    (as an enterprise's), the ones waiting for an answer first; with the purchase, in a fixed number of
    queries."""
    purchases = PurchaseBuyer.objects.filter(person=person).values("purchase_id")
    return _with_scheme(
        Award.objects.filter(purchase_id__in=purchases, status__in=ENTERPRISE_VISIBLE)
    ).order_by(*_waiting_first())


# A household award's statuses in a buyer's words: the model's labels name the enterprise (企业已确认).
_HOUSEHOLD_STATUS_LABELS = {
    AwardStatus.CONFIRMED: gettext_lazy("已确认"),
    AwardStatus.DECLINED: gettext_lazy("已放弃"),
}


def household_status_label(status: str) -> str:
    """A household award's status (the one shown today, or an event's) as a buyer reads it."""
    return str(_HOUSEHOLD_STATUS_LABELS.get(status) or AwardStatus(status).label)


def household_award_detail(*, person, pk: int) -> Award:
    """One household award of a purchase the person is a buyer of, with its events; Award.DoesNotExist
    otherwise (another household's, or an enterprise's)."""
    return (
        household_awards_of(person=person)
        .prefetch_related(
            Prefetch("events", queryset=AwardEvent.objects.select_related("actor").order_by("at", "id"))
        )
        .get(pk=pk)
    )


def award_detail(*, user, pk: int) -> Award:
    """One award the user may see, with its events and its scheme; Award.DoesNotExist otherwise (another
    enterprise's)."""
    award = (
        awards_visible_to(user=user, schemes=False)
        .prefetch_related(
            Prefetch("events", queryset=AwardEvent.objects.select_related("actor").order_by("at", "id"))
        )
        .get(pk=pk)
    )
    with_held_schemes([award])
    return award


def awards_waiting_for(*, enterprise_id: int, today: dt.date | None = None) -> QuerySet[Award]:
    """Awards of an enterprise whose publicity is over: waiting for its confirmation."""
    qs = Award.objects.filter(enterprise_id=enterprise_id).annotate(shown_status=shown_status(today=today))
    return _with_scheme(qs.filter(shown_status=AwardStatus.AWAITING))


def explanation_of(award: Award) -> Explanation | None:
    """Why an award was found: its stored trace, or the replay of the rules and facts it was matched with.

    None for an award recorded by hand (application mode), which has no explanation.
    """
    if not award.explanation:
        return None
    return award_explanation(award)


# Codes that rules compare against, as people read them (资质、园区).
CODE_LABELS = {**dict(QualificationCode.choices), **dict(Park.choices)}
_CODE_RE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, CODE_LABELS), key=len, reverse=True)) + r")\b")


_LONG_DECIMAL_RE = re.compile(r"\b(\d+\.\d{4})\d{3,}\b")


def readable(text: str) -> str:
    """A clause's text as people read it: registry codes as Chinese names (high_tech → 高新技术企业), and
    ratios cut to four decimals (0.06666666666666666666 → 0.0666…)."""
    text = _CODE_RE.sub(lambda match: str(CODE_LABELS[match.group(1)]), text)
    return _LONG_DECIMAL_RE.sub(lambda match: match.group(1) + "…", text)


def explanation_lines(explanation: Explanation | None) -> list[dict]:
    """The trace of an explanation as lines to show: status (pass / fail / unknown), readable text, and
    whether it is folded away (a branch of an ``or`` that another branch already met).

    The sentences already speak to whoever the award is for (贵企业 / 您家、该套住房): each catalogue says
    how its facts are told.
    """
    if explanation is None:
        return []
    hidden = folded(explanation.trace)
    return [
        {"status": clause.status, "text": readable(clause.text), "folded": clause.path in hidden}
        for clause in explanation.trace
    ]


def _show_fact(value, unit: str) -> str:
    if value is None:
        return gettext("未知")
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    if isinstance(value, list):
        return "、".join(str(CODE_LABELS.get(item, item)) for item in value) or gettext("无")
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
    else:
        text = str(CODE_LABELS.get(value, value)) if isinstance(value, str) else str(value)
    return f"{readable(text)} {unit}".strip()


def facts_table(award: Award) -> list[tuple[str, str]]:
    """The facts stored with an award, as (label with its year, value with its unit), for the audit."""
    context = Context(award.scheme.facts_year, award.scheme.reference_date)
    rows = []
    order = {name: index for index, name in enumerate(VARIABLES)}
    for name, value in sorted(
        (award.facts or {}).items(), key=lambda item: (order.get(item[0], 999), item[0])
    ):
        variable = VARIABLES.get(name)
        if variable is None:
            rows.append((name, _show_fact(value, "")))
            continue
        rows.append((variable.label_for(context), _show_fact(value, variable.unit)))
    return rows


def can_answer(*, user, award: Award) -> bool:
    """Whether this user may confirm or decline the award: the enterprise's owner login only."""
    if not (user.is_authenticated and user.is_enterprise_owner):
        return False
    return user.enterprise_id == award.enterprise_id


def mask_account(account: str) -> str:
    """A bank account as pages show it: only the last four digits (无法解密 when no key reads it)."""
    if isinstance(account, Unreadable):
        return gettext("无法解密")
    if not account:
        return ""
    return "**** **** " + account[-4:]


# — almost eligible (差一点符合) —


@dataclass
class AlmostEligible:
    """A scheme an enterprise misses by one condition, and the conditions any one of which would do."""

    scheme: Scheme
    missing: list[str]


def almost_eligible_schemes(*, enterprise) -> list[AlmostEligible]:
    """Active automatic schemes the enterprise would meet if one failed condition passed.

    Schemes it already has an award under (for the scheme's period) are left out, and so is everything
    for an enterprise on the dishonesty list, which no condition can change.
    """
    if enterprise.blacklisted:
        return []
    schemes = public_cache.remember_here(
        "schemes:automatic",
        lambda: [
            (scheme, normalize(scheme.eligibility))
            for scheme in schemes_active(mode=SchemeMode.AUTOMATIC, beneficiary=Beneficiary.ENTERPRISES)
        ],
    )
    held = set(
        Award.objects.filter(enterprise=enterprise, scheme__in=[scheme for scheme, _ in schemes]).values_list(
            "scheme_id", "period"
        )
    )
    record = Record.load(enterprise)
    # Schemes share a few facts years and reference dates: each context's facts and catalogue are read once
    # (once per scheme, they were most of the 100 ms of the enterprise's awards page at 100 schemes).
    open_schemes = [(scheme, rule) for scheme, rule in schemes if (scheme.pk, scheme.period) not in held]
    facts_of = {
        key: facts_from_record(record, Context(*key))
        for key in {(scheme.facts_year, scheme.reference_date) for scheme, _ in open_schemes}
    }

    def evaluate_all() -> list[tuple[int, list[str]]]:
        specs_of = {key: variable_specs(context=Context(*key)) for key in facts_of}
        found = []
        for scheme, rule in open_schemes:
            key = (scheme.facts_year, scheme.reference_date)
            flips = almost_eligible(rule, facts_of[key], specs_of[key])
            if flips:
                found.append((scheme.pk, [readable(clause.text) for clause in flips]))
        return found

    # What the answer depends on, all of it: the schemes (under the public generation), the awards held,
    # the facts and the language the conditions are written in. Evaluating 100 rules is ~8 ms a page.
    digest = hashlib.sha256(
        repr(
            (
                get_language(),
                sorted(held),
                sorted((key, sorted(facts.items())) for key, facts in facts_of.items()),
            )
        ).encode()
    ).hexdigest()
    by_pk = {scheme.pk: scheme for scheme, _ in open_schemes}
    return [
        AlmostEligible(scheme=by_pk[pk], missing=missing)
        for pk, missing in public_cache.remember(f"almost:{digest}", evaluate_all)
        if pk in by_pk
    ]


# — the policy calculator (政策计算器) —

PROFILE_NUMBERS = ("revenue", "rd_expense", "employees", "tax_paid")


@dataclass
class CalculatorResult:
    """One scheme against a typed-in profile: outcome, amount (automatic schemes), readable trace."""

    scheme: Scheme
    outcome: str
    amount: Decimal | None
    lines: list[dict]

    @property
    def missing(self) -> list[str]:
        """What fails or is unknown, for an outcome that is not eligible."""
        return [line["text"] for line in self.lines if line["status"] != "pass"]


def profile_facts(profile: dict) -> dict:
    """The facts dict of a typed-in profile, with what the registry derives (行业门类, 研发强度)."""
    code = (profile.get("industry_code") or "").strip().upper()
    years = {key: value for key, value in (profile.get("qualification_years") or {}).items() if value}
    facts = dict.fromkeys(VARIABLES)
    facts.update(
        {
            "park": profile.get("park") or None,
            "industry_section": code[:1] or None,
            "industry_division": code[1:3] or None,
            "age_years": profile.get("age_years"),
            "registered_capital": profile.get("registered_capital"),
            "is_above_scale": profile.get("is_above_scale"),
            "credit_rating": profile.get("credit_rating") or None,
            "blacklisted": bool(profile.get("blacklisted")),
            "qualifications": sorted(years),
        }
    )
    for qualification, year in years.items():
        facts[f"qualification_year.{qualification}"] = year
    for name in PROFILE_NUMBERS:
        facts[name] = profile.get(name)
        facts[f"prev.{name}"] = profile.get(f"prev.{name}")
    revenue, rd_expense = facts["revenue"], facts["rd_expense"]
    if revenue is not None and rd_expense is not None:
        facts["rd_ratio"] = divide(Decimal(rd_expense), Decimal(revenue))
    return facts


def _decimal_amounts(rule):
    """An amount rule with its integer literals as Decimal (a literal amount such as 100000 must come out of
    the Python evaluator as a Decimal, as the SQL's numeric does, to be rounded to the fen)."""
    if isinstance(rule, bool):
        return rule
    if isinstance(rule, int):
        return Decimal(rule)
    if isinstance(rule, dict):
        return {key: _decimal_amounts(value) for key, value in rule.items()}
    if isinstance(rule, list):
        return [_decimal_amounts(item) for item in rule]
    return rule


def for_python(scheme: Scheme) -> Scheme:
    """The scheme, unsaved, ready for the Python evaluator (see ``_decimal_amounts``)."""
    scheme.amount_rule = _decimal_amounts(scheme.amount_rule)
    return scheme


def in_calculator_words(text: str, scheme: Scheme) -> str:
    """A clause as the calculator's form asked for its figures: 2022 年营业收入 → 近一年度营业收入."""
    context = Context(scheme.facts_year, scheme.reference_date)
    words = {variable.label_for(context): variable.calculator_label for variable in VARIABLES.values()}
    for label in sorted(words, key=len, reverse=True):
        if label != words[label]:
            # "高于 2021 年研发费用" has a space before the year, which "高于前一年度研发费用" does not.
            text = re.sub(rf"(?<=[于为是]) {re.escape(label)}|{re.escape(label)}", words[label], text)
    return text


def calculator_results(*, profile: dict) -> list[CalculatorResult]:
    """Every enterprise scheme in force against a profile, eligible ones first; pure, nothing is stored.
    (A household scheme asks for a house purchase, which an enterprise's profile cannot give.)"""
    schemes = [for_python(scheme) for scheme in schemes_active(beneficiary=Beneficiary.ENTERPRISES)]
    evaluated = evaluate_profile(facts=profile_facts(profile), schemes=schemes)
    order = {"eligible": 0, "undetermined": 1, "uncomputable": 2, "ineligible": 3}
    results = [
        CalculatorResult(
            scheme=scheme,
            outcome=explanation.outcome,
            amount=amount,
            lines=[
                {**line, "text": in_calculator_words(line["text"], scheme)}
                for line in explanation_lines(explanation)
            ],
        )
        for scheme, explanation, amount in evaluated
    ]
    return sorted(results, key=lambda r: (order.get(r.outcome, 3), -(r.amount or 0), r.scheme.code))


# — the admin's rule preview (试算) —


@dataclass
class Preview:
    """A scheme's rule read for one enterprise: outcome, amount due, trace, facts, its award if any."""

    enterprise: object
    outcome: str
    amount: Decimal | None
    lines: list[dict]
    facts: list[tuple[str, str]]
    award: Award | None


def scheme_preview(*, scheme: Scheme, query: str) -> Preview | None:
    """How a scheme reads the enterprise found by USCC (or, failing that, by name); None if none is found."""
    from portal.enterprises.models import Enterprise

    enterprise = Enterprise.objects.search(query).order_by("id").first()
    if enterprise is None:
        return None
    scheme = for_python(scheme)
    explanation = explain_for(scheme=scheme, enterprise=enterprise)
    context = Context(scheme.facts_year, scheme.reference_date)
    facts = facts_from_record(Record.load(enterprise), context)
    amount = evaluate(scheme, facts)[1] if explanation.outcome == "eligible" else None
    names = sorted(
        variables_used(normalize(scheme.eligibility)) | variables_used(normalize(scheme.amount_rule))
    )
    shown = Award(scheme=scheme, facts={name: facts.get(name) for name in names if name in VARIABLES})
    return Preview(
        enterprise=enterprise,
        outcome=explanation.outcome,
        amount=amount,
        lines=explanation_lines(explanation),
        facts=facts_table(shown),
        award=Award.objects.filter(scheme=scheme, enterprise=enterprise, period=scheme.period).first(),
    )


# — publicity (公示) —


@dataclass
class PublicityList:
    """One scheme's awards in publicity today, with whom to object to."""

    scheme: Scheme
    count: int
    total: Decimal
    publicity_from: dt.date
    publicity_to: dt.date
    contact_phone: str
    contact_office: str
    department: str


def _in_publicity(today: dt.date | None) -> QuerySet[Award]:
    today = today or timezone.localdate()
    return Award.objects.filter(
        status=AwardStatus.PUBLICIZED, publicity_from__lte=today, publicity_to__gte=today
    )


def publicity_lists(*, today: dt.date | None = None, scheme_id: int | None = None) -> list[PublicityList]:
    """The award lists in publicity today, one per scheme: counts and money summed by the database."""
    qs = _in_publicity(today)
    if scheme_id is not None:
        qs = qs.filter(scheme_id=scheme_id)
    rows = (
        qs.values("scheme_id")
        .annotate(
            count=Count("pk"), total=Sum("amount"), start=Min("publicity_from"), end=Max("publicity_to")
        )
        .order_by("scheme_id")
    )
    schemes = Scheme.objects.select_related("policy", "policy__department").in_bulk(
        [row["scheme_id"] for row in rows]
    )
    lists = []
    for row in rows:
        scheme = schemes[row["scheme_id"]]
        policy = scheme.policy
        lists.append(
            PublicityList(
                scheme=scheme,
                count=row["count"],
                total=row["total"],
                publicity_from=row["start"],
                publicity_to=row["end"],
                contact_phone=policy.guide_phone or policy.department.phone,
                contact_office=policy.guide_office,
                department=policy.department.name,
            )
        )
    return sorted(lists, key=lambda entry: (entry.publicity_to, entry.scheme.code))


def publicity_list(*, code: str, today: dt.date | None = None) -> PublicityList | None:
    """One scheme's list in publicity today, or None."""
    scheme = Scheme.objects.filter(code=code).first()
    if scheme is None:
        return None
    found = publicity_lists(today=today, scheme_id=scheme.pk)
    return found[0] if found else None


def publicity_awards(*, scheme: Scheme, q: str = "", today: dt.date | None = None) -> QuerySet[Award]:
    """A scheme's awards in publicity today, by enterprise name; only names and amounts are shown.

    A household scheme's list shows each 主购房人 masked (张*明, 4101**********1234), in contract order,
    and is not searchable: a name typed in must not tell whether that person bought a house.
    """
    if scheme.beneficiary == Beneficiary.HOUSEHOLDS:
        return (
            _in_publicity(today)
            .filter(scheme=scheme)
            .select_related("purchase")
            .prefetch_related(
                Prefetch("purchase__buyer_links", queryset=PurchaseBuyer.objects.select_related("person"))
            )
            .order_by("purchase__contract_no", "id")
        )
    qs = _in_publicity(today).filter(scheme=scheme).select_related("enterprise")
    if q:
        qs = qs.filter(enterprise__name__icontains=q)
    return qs.order_by("enterprise__name", "id")


def award_notification_facts(keys: list[str]) -> dict[str, list[str]]:
    """The publicity period of the awards that messages keyed ``subsidy-award:<id>:…`` are about, as it
    stands on the award now (one source for the dates)."""
    ids = {int(key.split(":")[1]) for key in keys if key.split(":")[1].isdigit()}
    periods = {
        pk: (start, end)
        for pk, start, end in Award.objects.filter(pk__in=ids, publicity_from__isnull=False).values_list(
            "pk", "publicity_from", "publicity_to"
        )
    }
    facts = {}
    for key in keys:
        part = key.split(":")[1]
        if part.isdigit() and int(part) in periods:
            start, end = periods[int(part)]
            facts[key] = [gettext("公示期：%(start)s 至 %(end)s") % {"start": start, "end": end}]
    return facts


# — schemes —


def schemes_active(*, mode: str | None = None, beneficiary: str | None = None) -> QuerySet[Scheme]:
    """Schemes in force, with their policies; of one mode, one kind of beneficiary when named."""
    qs = Scheme.objects.filter(status=SchemeStatus.ACTIVE).select_related("policy", "policy__department")
    if mode:
        qs = qs.filter(mode=mode)
    if beneficiary:
        qs = qs.filter(beneficiary=beneficiary)
    return qs.order_by("policy__code", "code")


def schemes_of_policy(*, policy) -> QuerySet[Scheme]:
    """A policy's schemes that are not drafts, for its page."""
    return Scheme.objects.filter(policy=policy).exclude(status=SchemeStatus.DRAFT).order_by("code")


def scheme_totals(*, scheme: Scheme) -> dict:
    """Counts and money of a scheme's awards by status, for staff."""
    rows = (
        Award.objects.filter(scheme=scheme)
        .values("status")
        .annotate(count=Count("pk"), amount=Sum("amount"))
        .order_by("status")
    )
    return {row["status"]: {"count": row["count"], "amount": row["amount"]} for row in rows}


# — runs and payment —


def runs_recent() -> QuerySet[MatchRun]:
    """Match runs, newest first, with how many awards each found."""
    return MatchRun.objects.annotate(award_count=Count("awards")).order_by("-id")


def run_undetermined(*, run: MatchRun) -> QuerySet[Undetermined]:
    """The enterprises a run could not decide, with the schemes and what is missing."""
    return run.undetermined.select_related("scheme", "enterprise").order_by("scheme__code", "enterprise_id")


def run_awards_by_status(*, run: MatchRun) -> dict:
    """How many of the run's awards are in each status, and their money."""
    rows = run.awards.values("status").annotate(count=Count("pk"), amount=Sum("amount")).order_by("status")
    return {row["status"]: {"count": row["count"], "amount": row["amount"]} for row in rows}


def payable_awards() -> QuerySet[Award]:
    """Confirmed awards that can go into a payment batch."""
    return _with_scheme(
        Award.objects.filter(status=AwardStatus.CONFIRMED, waitlisted=False, payment_batch__isnull=True)
    ).order_by("confirmed_at", "id")


def batch_awards(*, batch: PaymentBatch) -> QuerySet[Award]:
    """The awards of a payment batch."""
    return _with_scheme(batch.awards.all()).order_by("id")


def automatic_schemes() -> QuerySet[Scheme]:
    """Every automatic (免申即享) scheme."""
    return Scheme.objects.filter(mode=SchemeMode.AUTOMATIC)


def schemes_awaiting_review(*, user) -> list[dict]:
    """Schemes with candidates waiting for the department's review (二次确认), with how many and how much.

    Staff see their department's schemes; superusers every scheme. One query.
    """
    if not (user.is_authenticated and user.is_staff and user.has_perm("subsidies.change_award")):
        return []
    qs = Award.objects.filter(status=AwardStatus.CANDIDATE)
    if not user.is_superuser:
        if user.department_id is None:
            return []
        qs = qs.filter(scheme__policy__department_id=user.department_id)
    return list(
        qs.values("scheme_id", "scheme__code", "scheme__title")
        .annotate(count=Count("pk"), total=Sum("amount"))
        .order_by("scheme__code")
    )
