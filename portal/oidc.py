"""The provincial identity login (统一身份认证, OpenID Connect): enterprises (法人) and residents (自然人).

Authorization code flow with PKCE through mozilla-django-oidc. The ID token is checked in full (signature,
issuer, audience, expiry, nonce) and the claims come from the provider's userinfo endpoint:

- ``user_type``: ``legal`` (法人) or ``natural`` (自然人);
- a 法人 token carries ``uscc`` (the enterprise's 统一社会信用代码), ``legal_representative`` (true when the
  person is its 法定代表人, else they act as 经办人) and ``name``: the login is the membership of that person
  in that enterprise, found or created;
- a 自然人 token carries ``id_number`` (居民身份证号): the login is the one linked to the Person of that
  number, found by its lookup hash.

Staff never log in here (they keep password + OTP). Every refusal is a Chinese page in the site frame saying
what to do next, and every success and failure goes to the security trail.
"""

import hashlib

import jwt
import requests
from django.conf import settings
from django.contrib import auth
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from portal.accounts import services as account_services
from portal.accounts.models import EnterpriseRole, SecurityEvent
from portal.accounts.security import oidc_configured
from portal.enterprises.models import Enterprise, validate_uscc
from portal.residents import services as resident_services
from portal.residents.models import Person

LEGAL = "legal"
NATURAL = "natural"
KINDS = (LEGAL, NATURAL)
# The session login of an OIDC user: its rows are plain users, so the model backend reloads them.
SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


class IdentityRefused(Exception):
    """A provincial identity login that is refused: a code for the trail, a title and a message for people."""

    def __init__(self, code: str, title: str, message: str, *, detail: str = "", username: str = ""):
        super().__init__(code)
        self.code = code
        self.title = title
        self.message = message
        self.detail = detail
        self.username = username


def _hotline() -> str:
    return settings.SERVICE_HOTLINE


def _token_refused(detail: str, username: str = "") -> IdentityRefused:
    return IdentityRefused(
        "token_invalid",
        _("登录凭证校验未通过"),
        _(
            "统一身份认证平台返回的登录凭证无效或已过期，为保护您的账户，本次登录未完成。请返回登录页重新登录；"
            "如反复出现，请拨打服务热线 %(hotline)s。"
        )
        % {"hotline": _hotline()},
        detail=detail,
        username=username,
    )


def _staff_refused(username: str) -> IdentityRefused:
    return IdentityRefused(
        "staff",
        _("工作人员请使用账号密码登录"),
        _("园区工作人员账号不能通过统一身份认证登录，请在登录页使用工作人员账号、密码和动态口令登录。"),
        username=username,
    )


def _truthy(value) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "yes")


class ProvinceOIDCBackend(OIDCAuthenticationBackend):
    """Checks the provider's tokens and turns their claims into a portal login; raises IdentityRefused."""

    kind = ""
    subject = ""

    def _verify_jws(self, payload, key):
        try:
            header = jwt.get_unverified_header(payload)
        except jwt.InvalidTokenError:
            raise _token_refused("id token unreadable") from None
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise _token_refused(f"id token algorithm {header.get('alg')!r}")
        try:
            # mozilla-django-oidc leaves the audience unchecked; a token issued to another client is refused.
            return jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_OP_ISSUER,
                leeway=settings.OIDC_CLOCK_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise _token_refused("id token expired") from None
        except jwt.InvalidAudienceError:
            raise _token_refused("id token audience is another client") from None
        except jwt.InvalidIssuerError:
            raise _token_refused("id token issuer differs") from None
        except jwt.InvalidTokenError as exc:
            raise _token_refused(f"id token invalid: {exc.__class__.__name__}") from None

    def get_or_create_user(self, access_token, id_token, payload):
        self.subject = str(payload.get("sub", ""))
        claims = self.get_userinfo(access_token, id_token, payload)
        if str(claims.get("sub", "")) != self.subject:
            raise _token_refused("userinfo subject differs from the id token", self.trail_name)
        self.kind = claims.get("user_type", "")
        if self.kind == LEGAL:
            return self._enterprise_member(claims)
        if self.kind == NATURAL:
            return self._resident(claims)
        raise IdentityRefused(
            "unsupported_user_type",
            _("不支持的账号类型"),
            _(
                "本门户只支持法人和自然人账号通过统一身份认证登录。请返回登录页，选择“法人登录”或“自然人登录”。"
            ),
            detail=f"user_type {self.kind!r}",
            username=self.trail_name,
        )

    @property
    def trail_name(self) -> str:
        return f"oidc:{self.subject}"[:150]

    def _enterprise_member(self, claims: dict):
        uscc = str(claims.get("uscc") or "").strip().upper()
        try:
            validate_uscc(uscc)
        except ValidationError:
            raise IdentityRefused(
                "invalid_uscc",
                _("统一社会信用代码无效"),
                _(
                    "统一身份认证平台返回的统一社会信用代码无效，无法确认您所代表的企业。"
                    "请在统一身份认证平台核对企业信息后重新登录，或拨打服务热线 %(hotline)s。"
                )
                % {"hotline": _hotline()},
                detail=f"uscc {uscc!r} invalid",
                username=self.trail_name,
            ) from None
        enterprise = Enterprise.objects.filter(uscc=uscc).first()
        if enterprise is None:
            raise IdentityRefused(
                "unknown_uscc",
                _("企业尚未纳入园区企业服务"),
                _(
                    "统一社会信用代码为 %(uscc)s 的企业不在园区企业库中，暂时无法登录。"
                    "如贵企业注册或经营地在本园区，请携营业执照到园区政务服务中心登记，"
                    "或拨打服务热线 %(hotline)s；登记完成后即可使用统一身份认证登录。"
                )
                % {"uscc": uscc, "hotline": _hotline()},
                detail=f"uscc {uscc} not in the registry",
                username=self.trail_name,
            )
        role = EnterpriseRole.OWNER if _truthy(claims.get("legal_representative")) else EnterpriseRole.AGENT
        # One login per person and enterprise: the same person acting for two enterprises has two memberships.
        digest = hashlib.sha256(f"{settings.OIDC_OP_ISSUER}|{self.subject}|{uscc}".encode()).hexdigest()
        try:
            return account_services.enterprise_member_link(
                enterprise=enterprise,
                username=f"sso-{digest[:24]}",
                role=role,
                display_name=str(claims.get("name") or "")[:64],
            )
        except account_services.AccountError as exc:
            raise IdentityRefused(
                "membership", _("无法确认企业身份"), str(exc), username=self.trail_name
            ) from None

    def _resident(self, claims: dict):
        try:
            person = Person.objects.with_id_number(str(claims.get("id_number") or "")).first()
        except ValidationError:
            person = None
        if person is None:
            raise IdentityRefused(
                "unknown_person",
                _("未找到您的购房记录"),
                _(
                    "门户目前为在园区购房并缴纳契税的居民提供服务，未找到与您身份证号对应的记录。"
                    "如您已在园区购房，请拨打服务热线 %(hotline)s 核对登记信息；核对后即可再次登录。"
                )
                % {"hotline": _hotline()},
                detail="id number not on a purchase record",
                username=self.trail_name,
            )
        try:
            return resident_services.resident_user_for(person=person)
        except resident_services.ResidentError as exc:
            raise IdentityRefused(
                "resident_refused", _("无法以居民身份登录"), str(exc), username=self.trail_name
            ) from None


class OIDCStartView(OIDCAuthenticationRequestView):
    """统一身份认证登录: off to the provider; ``kind`` (legal / natural) tells it which sign-in to show."""

    def get(self, request):
        if not oidc_configured():
            return _refused_page(
                request,
                IdentityRefused(
                    "not_configured",
                    _("统一身份认证登录未开通"),
                    _("本门户暂未开通统一身份认证登录。请使用账号密码登录；居民可使用短信验证码登录。"),
                ),
                status=404,
                record=False,
            )
        return super().get(request)

    def get_extra_params(self, request):
        kind = request.GET.get("kind", "")
        return {"user_type": kind} if kind in KINDS else {}


class OIDCCallbackView(View):
    """The provider sends the person back here: check the state, the tokens and the claims, then log in."""

    http_method_names = ["get"]

    def get(self, request):
        states = request.session.get("oidc_states") or {}
        state = request.GET.get("state", "")
        if request.GET.get("error"):
            if state in states:
                del states[state]
                request.session.modified = True
            return _refused_page(
                request,
                IdentityRefused(
                    "provider_error",
                    _("统一身份认证未完成"),
                    _("统一身份认证平台未完成登录（可能已取消）。请返回登录页重新登录。"),
                    detail=f"provider error {request.GET.get('error')!r}"[:120],
                ),
            )
        if not state or state not in states or not request.GET.get("code"):
            # A state is used once: a replayed or forged callback finds nothing to match.
            return _refused_page(
                request,
                IdentityRefused(
                    "state",
                    _("登录请求已失效"),
                    _(
                        "该登录请求已使用或已失效（例如刷新了页面、使用了浏览器的后退按钮，或登录超时）。"
                        "请返回登录页，重新点击“统一身份认证登录”。"
                    ),
                    detail="state unknown or already used",
                ),
            )
        pending = states.pop(state)
        request.session.modified = True
        request.session.save()
        backend = ProvinceOIDCBackend()
        try:
            user = backend.authenticate(
                request, nonce=pending.get("nonce"), code_verifier=pending.get("code_verifier")
            )
        except IdentityRefused as refusal:
            return _refused_page(request, refusal)
        except SuspiciousOperation as exc:
            return _refused_page(request, _token_refused(str(exc)[:120], backend.trail_name))
        except requests.RequestException as exc:
            return _refused_page(
                request,
                IdentityRefused(
                    "provider_unavailable",
                    _("统一身份认证平台暂时无法访问"),
                    _(
                        "暂时无法与统一身份认证平台完成登录，请稍后重新登录。"
                        "急需办理的，请拨打服务热线 %(hotline)s。"
                    )
                    % {"hotline": _hotline()},
                    detail=exc.__class__.__name__,
                ),
                status=502,
            )
        if user is None or not user.is_active:
            return _refused_page(request, _token_refused("no user", backend.trail_name))
        if user.is_staff or user.is_superuser or user.department_id is not None:
            return _refused_page(request, _staff_refused(user.get_username()))
        next_url = request.session.pop("oidc_login_next", None)
        auth.login(request, user, backend=SESSION_BACKEND)
        if next_url:
            return redirect(next_url)
        if backend.kind == NATURAL:
            return redirect("residents:home")
        return redirect(resolve_url(settings.LOGIN_REDIRECT_URL))


def _refused_page(request, refusal: IdentityRefused, *, status: int = 403, record: bool = True):
    if record:
        account_services.security_event_record(
            kind=SecurityEvent.Kind.LOGIN_FAILED,
            request=request,
            username=refusal.username,
            success=False,
            detail=f"oidc {refusal.code}: {refusal.detail}".strip(": "),
        )
    context = {"refusal": refusal, "login_url": reverse("accounts:login")}
    return render(request, "accounts/oidc_refused.html", context, status=status)


app_name = "oidc"

urlpatterns = [
    path("start/", OIDCStartView.as_view(), name="start"),
    path("callback/", OIDCCallbackView.as_view(), name="callback"),
]
