"""Award pages: the enterprise's awards (/me/awards/), a resident's household subsidies (/resident/awards/),
the public publicity lists and the calculator."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import public_cache
from portal.fields import Unreadable
from portal.paginators import SitePaginator
from portal.residents.access import current_person, resident_required
from portal.search import MAX_QUERY_LENGTH
from subsidies import selectors, services
from subsidies.forms import CalculatorForm, ConfirmForm, DeclineForm, HouseholdConfirmForm
from subsidies.models import Award, AwardStatus

PAGE_SIZE = 20


def policy_url(policy) -> str:
    """The policy's page in the catalogue, or "" where the catalogue has no page for it."""
    try:
        return reverse("policies:detail", args=[policy.code])
    except NoReverseMatch:
        return ""


def forbidden(request, message: str):
    """A 403 page that says why, in Chinese."""
    return render(request, "subsidies/forbidden.html", {"message": message}, status=403)


@login_required
def my_awards(request):
    """我的兑现: the enterprise's released awards, the ones waiting for its answer first."""
    user = request.user
    if not user.is_enterprise_user:
        if user.is_staff:
            return redirect("admin:subsidies_award_changelist")
        if current_person(request) is not None:
            messages.info(request, _("居民的补贴在居民主页查看。"))
            return redirect("residents:home")
        return forbidden(request, _("只有企业账号可以查看本企业的兑现记录。"))
    page = SitePaginator(
        selectors.awards_for_enterprise(enterprise_id=user.enterprise_id), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    selectors.with_held_schemes(page)
    for award in page:
        award.lines = selectors.explanation_lines(selectors.explanation_of(award))
        award.can_confirm_now = award.shown_status == AwardStatus.AWAITING
    return render(
        request,
        "subsidies/my_awards.html",
        {
            "page": page,
            "is_owner": user.is_enterprise_owner,
            "almost_section": _almost_section(user.enterprise),
        },
    )


def _almost_section(enterprise) -> str:
    """The 差一点符合 section of the enterprise's awards page, kept for the enterprise, the language and the
    day under the public generation, which moves on with every change of what it shows: the schemes, the
    awards, the enterprise and its facts (annual reports and qualifications, saved one by one or imported).
    Reading the facts and the awards held, and listing the schemes, took 4-5 ms of every visit at 100
    schemes."""
    return public_cache.remember_rendered(
        f"almost:{enterprise.pk}:{timezone.localdate().isoformat()}",
        "subsidies/_almost.html",
        lambda: {"almost": selectors.almost_eligible_schemes(enterprise=enterprise)},
    )


def _award_or_404(request, pk: int) -> Award:
    try:
        return selectors.award_detail(user=request.user, pk=pk)
    except Award.DoesNotExist:
        raise Http404(_("没有找到这条兑现记录。")) from None


def _detail(request, award: Award, *, confirm_form=None, decline_form=None, status: int = 200):
    policy = award.scheme.policy
    explanation = selectors.explanation_of(award)
    context = {
        "award": award,
        "explanation": explanation,
        "lines": selectors.explanation_lines(explanation),
        "facts": selectors.facts_table(award),
        "policy_url": policy_url(policy),
        "contact_phone": policy.guide_phone or policy.department.phone,
        "contact_office": policy.guide_office,
        "masked_account": selectors.mask_account(award.bank_account),
        "account_unreadable": isinstance(award.bank_account, Unreadable),
        "can_answer": selectors.can_answer(user=request.user, award=award),
        "publicity_over": award.shown_status == AwardStatus.AWAITING,
        "scaled": award.amount != award.computed_amount,
        "confirm_form": confirm_form or ConfirmForm(enterprise=award.enterprise),
        "decline_form": decline_form or DeclineForm(),
        "events": award.events.all(),
    }
    return render(request, "subsidies/award_detail.html", context, status=status)


@login_required
def award_detail(request, pk: int):
    """One award: how much, why (the explanation), its publicity, and the confirmation form."""
    return _detail(request, _award_or_404(request, pk))


@login_required
@require_POST
def award_confirm(request, pk: int):
    """意愿确认 by the enterprise's owner, with the bank account to be paid."""
    award = _award_or_404(request, pk)
    if not selectors.can_answer(user=request.user, award=award):
        return forbidden(request, _("只有企业法定代表人账号可以确认或放弃兑现，经办人账号只能查看。"))
    form = ConfirmForm(request.POST, enterprise=award.enterprise)
    if form.is_valid():
        try:
            award = services.award_confirm(
                award=award,
                user=request.user,
                bank_name=form.cleaned_data["bank_name"],
                bank_account_name=form.cleaned_data["bank_account_name"],
                bank_account=form.cleaned_data["bank_account"],
            )
        except services.AwardError as exc:
            messages.error(request, str(exc))
        else:
            if award.waitlisted:
                messages.warning(
                    request, _("已确认。该方案预算已用尽，您的兑现已列入候补，预算释放后按确认先后拨付。")
                )
            else:
                messages.success(
                    request,
                    _("已确认，兑现资金将拨付至尾号 %(tail)s 的账户。") % {"tail": award.bank_account[-4:]},
                )
            return redirect("subsidies:award", pk=award.pk)
    return _detail(request, award, confirm_form=form, status=400)


@login_required
@require_POST
def award_decline(request, pk: int):
    """放弃兑现 by the enterprise's owner."""
    award = _award_or_404(request, pk)
    if not selectors.can_answer(user=request.user, award=award):
        return forbidden(request, _("只有企业法定代表人账号可以确认或放弃兑现，经办人账号只能查看。"))
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.award_decline(award=award, user=request.user, reason=form.cleaned_data["reason"])
        except services.AwardError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已放弃该项兑现。"))
            return redirect("subsidies:award", pk=award.pk)
    return _detail(request, award, decline_form=form, status=400)


# — A resident's household subsidies (购房补贴) ——————————————————————————————————————————————————————————


def _household_award_or_404(request, pk: int) -> Award:
    # Another household's award, or an enterprise's, is not found: the page does not say it exists.
    try:
        return selectors.household_award_detail(person=request.person, pk=pk)
    except Award.DoesNotExist:
        raise Http404(_("没有找到这条补贴记录。")) from None


def _resident_detail(request, award: Award, *, confirm_form=None, decline_form=None, status: int = 200):
    person = request.person
    policy = award.scheme.policy
    explanation = selectors.explanation_of(award)
    award_url = reverse("subsidies:resident-award", args=[award.pk])
    award.status_label = selectors.household_status_label(award.shown_status)
    events = list(award.events.all())
    for event in events:
        event.status_label = selectors.household_status_label(event.to_status)
    context = {
        "award": award,
        "person": person,
        "explanation": explanation,
        "lines": selectors.explanation_lines(explanation),
        "contact_phone": policy.guide_phone or policy.department.phone,
        "contact_office": policy.guide_office,
        "masked_account": selectors.mask_account(award.bank_account),
        "account_unreadable": isinstance(award.bank_account, Unreadable),
        "publicity_over": award.shown_status == AwardStatus.AWAITING,
        "scaled": award.amount != award.computed_amount,
        "privacy_url": f"{reverse('residents:privacy')}?{urlencode({'next': award_url})}",
        "confirm_form": confirm_form or HouseholdConfirmForm(person=person),
        "decline_form": decline_form or DeclineForm(),
        "events": events,
    }
    return render(request, "subsidies/resident_award.html", context, status=status)


@resident_required
def resident_award(request, pk: int):
    """One household subsidy: how much, why in plain sentences, what happens next, and the answer forms."""
    return _resident_detail(request, _household_award_or_404(request, pk))


@resident_required
@require_POST
def resident_award_confirm(request, pk: int):
    """意愿确认 by a buyer, with a bank card in their own name; the privacy notice is accepted first."""
    award = _household_award_or_404(request, pk)
    if request.person.privacy_accepted_at is None:
        # Back to the award page afterwards, not to this POST-only address: the card is typed again there.
        messages.info(request, _("请先阅读并同意《个人信息处理告知书》，再确认补贴并填写银行卡。"))
        next_url = reverse("subsidies:resident-award", args=[award.pk])
        return redirect(f"{reverse('residents:privacy')}?{urlencode({'next': next_url})}")
    form = HouseholdConfirmForm(request.POST, person=request.person)
    if form.is_valid():
        try:
            award = services.household_award_confirm(
                award=award,
                person=request.person,
                bank_name=form.cleaned_data["bank_name"],
                bank_account=form.cleaned_data["bank_account"],
                user=request.user,
            )
        except services.AwardError as exc:
            messages.error(request, str(exc))
        else:
            if award.waitlisted:
                messages.warning(
                    request, _("已确认。该方案预算已用尽，您的补贴已列入候补，预算释放后按确认先后拨付。")
                )
            else:
                messages.success(
                    request,
                    _("已确认，补贴资金将拨付至尾号 %(tail)s 的银行卡。") % {"tail": award.bank_account[-4:]},
                )
            return redirect("subsidies:resident-award", pk=award.pk)
    return _resident_detail(request, award, confirm_form=form, status=400)


@resident_required
@require_POST
def resident_award_decline(request, pk: int):
    """放弃 by a buyer, with a reason and the acknowledgement that it cannot be undone."""
    award = _household_award_or_404(request, pk)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.household_award_decline(
                award=award, person=request.person, reason=form.cleaned_data["reason"], user=request.user
            )
        except services.AwardError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已放弃这笔补贴。"))
            return redirect("subsidies:resident-award", pk=award.pk)
    return _resident_detail(request, award, decline_form=form, status=400)


def publicity(request):
    """公示: the award lists in their publicity period today, one per scheme, with whom to object to."""
    return render(request, "subsidies/publicity.html", {"lists": selectors.publicity_lists()})


def publicity_scheme(request, code: str):
    """One scheme's award list in publicity: enterprise names and amounts, searchable, paginated."""
    entry = selectors.publicity_list(code=code)
    if entry is None:
        raise Http404(_("该方案当前没有公示中的名单。"))
    q = request.GET.get("q", "").strip()
    # An enterprise's name is never longer: a longer text is cut, and the page says so.
    notice = None
    if len(q) > MAX_QUERY_LENGTH:
        notice = _("检索词过长，已按前 %(n)d 个字检索。") % {"n": MAX_QUERY_LENGTH}
        q = q[:MAX_QUERY_LENGTH]
    page = SitePaginator(selectors.publicity_awards(scheme=entry.scheme, q=q), 50).get_page(
        request.GET.get("page")
    )
    context = {"entry": entry, "page": page, "q": q, "query": urlencode({"q": q}) if q else ""}
    return render(
        request,
        "subsidies/publicity_scheme.html",
        {**context, "notice": notice, "max_query_length": MAX_QUERY_LENGTH},
    )


def calculator(request):
    """政策计算器: anyone types in an enterprise profile and sees which schemes it would match, and why.

    The profile is posted, evaluated and shown; nothing is stored.
    """
    results = None
    empty = False
    # A posted form is judged even when nothing is filled in: the page then says 信息不全.
    form = CalculatorForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        empty = form.is_empty()
        if not empty:
            results = selectors.calculator_results(profile=form.profile())
    return render(request, "subsidies/calculator.html", {"form": form, "results": results, "empty": empty})
