"""Residents' own pages: their home, the privacy notice, their data, and the SMS code login.

The SMS login takes three steps, each a page: the mobile number on a purchase record, the one-time code sent
to it, then the last six characters of the ID number; only then is the resident logged in.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal import blocks
from portal.accounts import services as account_services
from portal.accounts.models import SecurityEvent
from portal.residents import selectors, services
from portal.residents.access import current_person, resident_required
from portal.residents.forms import DataExportForm, IdSuffixForm, MobileForm, SmsCodeForm
from portal.residents.masking import mask_mobile
from portal.residents.models import normalize_mobile

SESSION_MOBILE = "resident_login_mobile"
SESSION_NEXT = "resident_login_next"
SESSION_CODE_OK = "resident_login_code_ok"


def _safe_next(request, target: str | None) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@resident_required
def home(request):
    """居民主页: the resident's purchases (other buyers masked), the hotline, and the household subsidies."""
    person = request.person
    purchases = list(selectors.purchases_of(person=person))
    for purchase in purchases:
        purchase.household = [
            {
                "is_self": link.person_id == person.pk,
                "name": link.person.masked_name,
                "position": link.position,
            }
            for link in purchase.buyer_links.all()
        ]
    context = {
        "person": person,
        "purchases": purchases,
        # What other apps show a resident (the household subsidies) arrives as blocks, like the dashboard's.
        "blocks": blocks.collect(request, "resident"),
    }
    return render(request, "residents/home.html", context)


@resident_required
@require_http_methods(["GET", "POST"])
def privacy(request):
    """个人信息处理告知书: read, then accepted once; the time of acceptance is kept."""
    person = request.person
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    context = {"person": person, "next": next_url, "retention_years": settings.RESIDENT_DATA_RETENTION_YEARS}
    if request.method == "POST":
        if request.POST.get("agree") != "on":
            messages.error(request, _("请勾选“我已阅读并同意”后再提交。"))
            return render(request, "residents/privacy.html", context, status=400)
        services.privacy_notice_accept(person=person)
        messages.success(request, _("您已同意《个人信息处理告知书》。"))
        return redirect(next_url or "residents:home")
    return render(request, "residents/privacy.html", context)


@resident_required
@require_http_methods(["GET", "POST"])
def my_data(request):
    """下载我的信息: everything the portal holds about the resident, as JSON or CSV (PIPL right of access)."""
    form = DataExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fmt = form.cleaned_data["fmt"]
        body = services.person_data_export(person=request.person, fmt=fmt)
        content_type = "application/json" if fmt == "json" else "text/csv"
        response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d")
        response["Content-Disposition"] = f'attachment; filename="my-data-{stamp}.{fmt}"'
        return response
    return render(request, "residents/my_data.html", {"form": form, "person": request.person})


def _login_failed(request, mobile: str, problem: str) -> None:
    account_services.security_event_record(
        kind=SecurityEvent.Kind.LOGIN_FAILED,
        request=request,
        username=f"sms:{mask_mobile(mobile)}",
        success=False,
        detail=f"resident sms login: {problem}"[:255],
    )


@require_http_methods(["GET", "POST"])
def login_mobile(request):
    """Step 1: the mobile number; a code is sent to it if it is on a purchase record."""
    if current_person(request) is not None:
        return redirect("residents:home")
    form = MobileForm(request.POST or None)
    if request.method == "GET":
        request.session[SESSION_NEXT] = _safe_next(request, request.GET.get("next"))
    if request.method == "POST" and form.is_valid():
        mobile = form.cleaned_data["mobile"]
        try:
            services.sms_code_send(mobile=mobile)
        except services.ResidentError as exc:
            form.add_error("mobile", str(exc))
        else:
            mobile = normalize_mobile(mobile)
            request.session[SESSION_MOBILE] = mobile
            request.session.pop(SESSION_CODE_OK, None)
            # The same words whether or not the number is on a purchase record (see sms_code_send).
            messages.success(
                request,
                _(
                    "如该手机号登记在购房记录中，验证码已发送至 %(mobile)s，5 分钟内有效。"
                    "未收到短信请核对手机号，或拨打服务热线 %(hotline)s。"
                )
                % {"mobile": mask_mobile(mobile), "hotline": settings.SERVICE_HOTLINE},
            )
            return redirect("residents:login_code")
    return render(request, "residents/login_mobile.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def login_code(request):
    """Step 2: the one-time code sent to the number."""
    mobile = request.session.get(SESSION_MOBILE)
    if not mobile:
        messages.info(request, _("请先填写手机号获取验证码。"))
        return redirect("residents:login")
    form = SmsCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.sms_code_verify(mobile=mobile, code=form.cleaned_data["code"])
        except services.ResidentError as exc:
            _login_failed(request, mobile, "wrong or expired code")
            form.add_error("code", str(exc))
        else:
            request.session[SESSION_CODE_OK] = True
            return redirect("residents:login_identity")
    context = {"form": form, "masked_mobile": mask_mobile(mobile)}
    return render(request, "residents/login_code.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def login_identity(request):
    """Step 3: the ID number's last six characters name the resident; then the resident is logged in."""
    mobile = request.session.get(SESSION_MOBILE)
    if not mobile or not request.session.get(SESSION_CODE_OK):
        messages.info(request, _("请先填写手机号并输入短信验证码。"))
        return redirect("residents:login")
    form = IdSuffixForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.identity_verify(mobile=mobile, id_suffix=form.cleaned_data["id_suffix"])
            user = services.resident_user_for(person=person)
        except services.ResidentError as exc:
            _login_failed(request, mobile, "identity not confirmed")
            form.add_error("id_suffix", str(exc))
        else:
            next_url = request.session.get(SESSION_NEXT) or ""
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(next_url or "residents:home")
    context = {"form": form, "masked_mobile": mask_mobile(mobile)}
    return render(request, "residents/login_identity.html", context, status=400 if form.errors else 200)
