from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from portal import blocks
from portal.accounts import selectors, services
from portal.accounts.forms import LoginForm
from portal.accounts.security import oidc_configured
from portal.paginators import SitePaginator
from portal.params import id_param


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "oidc_enabled": oidc_configured()}

    def form_valid(self, form):
        response = super().form_valid(form)
        if form.otp_device is not None:
            # Marks the session verified: the second factor holds for every staff path from here on.
            otp_login(self.request, form.otp_device)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:dashboard")

    def dispatch(self, request, *args, **kwargs):
        # An account made by the provincial identity login or the SMS login has no password to change: the
        # form would ask for an old password its holder never had.
        if request.user.is_authenticated and not request.user.has_usable_password():
            return render(request, "accounts/no_password.html")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        messages.success(self.request, _("密码已修改。"))
        return super().form_valid(form)


@login_required
def dashboard(request):
    """我的主页: what the portal holds for the logged-in user's enterprise; residents have their own home."""
    if request.user.enterprise_id is None and hasattr(request.user, "resident_person"):
        return redirect("residents:home")
    return render(request, "accounts/dashboard.html", {"blocks": blocks.collect(request, "dashboard")})


@login_required
def notifications(request):
    page = SitePaginator(selectors.notifications_for(user=request.user), 20).get_page(request.GET.get("page"))
    facts = selectors.notification_facts(page)
    for note in page:
        note.facts = facts.get(note.key, [])
    return render(request, "accounts/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_mark_read(request):
    raw = request.POST.get("id")
    notification_id = id_param(raw)
    services.notification_mark_read(user=request.user, notification_id=notification_id)
    return redirect("accounts:notifications")
