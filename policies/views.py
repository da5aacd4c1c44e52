"""The public policy catalogue: list with search and filters, a policy's page, its print view."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from policies import selectors, services
from policies.forms import SubscriptionForm
from policies.models import Attachment, PolicyStatus
from policies.rendering import plain_text, render_markdown
from policies.sections import collect_sections
from portal import public_cache
from portal.attachments import attachment_response
from portal.paginators import PublicCountPaginator
from portal.params import year_param
from portal.search import highlight, query_notice, snippet

PAGE_SIZE = 20


@public_cache.cache_public
def policy_list(request):
    """政策库: every public policy, newest first; filters and Chinese search."""
    q = request.GET.get("q", "")
    filters = selectors.PolicyFilters(
        q=q,
        category=request.GET.get("category") or None,
        department=request.GET.get("department") or None,
        status=request.GET.get("status") if request.GET.get("status") in selectors.PUBLIC_STATUSES else None,
        year=year_param(request.GET.get("year")),
    )
    page = PublicCountPaginator(selectors.policy_list(filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    tokens = filters.tokens or []
    for policy in page:
        policy.title_html = highlight(policy.title, tokens)
        if tokens:
            policy.excerpt_html = snippet(f"{policy.summary} {plain_text(policy.body)}", tokens)
        else:
            policy.excerpt_html = snippet(policy.summary, [])
    kept = {
        "q": q.strip(),
        "category": filters.category or "",
        "department": filters.department or "",
        "status": filters.status or "",
        "year": filters.year or "",
    }
    context = {
        "page": page,
        "filters": filters,
        "q": kept["q"],
        "notice": query_notice(q),
        "query": urlencode({k: v for k, v in kept.items() if v}),
        "categories": selectors.categories(),
        "departments": selectors.departments_with_policies(),
        "years": selectors.publication_years(),
        "statuses": [(s.value, s.label) for s in PolicyStatus if s.value in selectors.PUBLIC_STATUSES],
    }
    return render(request, "policies/list.html", context)


def _policy_or_404(request, code: str):
    staff_preview = request.user.is_staff and request.user.has_perm("policies.view_policy")
    policy = selectors.policy_detail(code=code, include_drafts=staff_preview)
    if policy is None:
        raise Http404(_("没有这项政策。"))
    return policy


@public_cache.cache_public
def policy_detail(request, code: str):
    """One policy: its text, guide (申兑指南), attachments, and what other parts add (its schemes)."""
    policy = _policy_or_404(request, code)
    context = {
        "policy": policy,
        "body_html": render_markdown(policy.body),
        "sections": collect_sections(request, policy),
        "preview": not policy.is_public,
    }
    return render(request, "policies/detail.html", context)


@public_cache.cache_public
def policy_print(request, code: str):
    """The policy as a printable page."""
    policy = _policy_or_404(request, code)
    context = {
        "policy": policy,
        "body_html": render_markdown(policy.body),
        "sections": collect_sections(request, policy),
        "preview": not policy.is_public,
    }
    return render(request, "policies/print.html", context)


def attachment_download(request, code: str, pk: int):
    policy = _policy_or_404(request, code)
    attachment = get_object_or_404(Attachment, pk=pk, policy=policy)
    return attachment_response(attachment.file, attachment.name)


@login_required
def subscriptions(request):
    """An enterprise user chooses the categories to hear about."""
    if not request.user.is_enterprise_user:
        messages.warning(request, _("政策订阅面向企业用户。"))
        return redirect("policies:list")
    current = selectors.subscribed_categories(user=request.user)
    form = SubscriptionForm(request.POST or None, initial={"categories": list(current)})
    if request.method == "POST" and form.is_valid():
        chosen = services.subscriptions_set(user=request.user, categories=form.cleaned_data["categories"])
        if chosen:
            messages.success(request, _("已订阅：%(names)s。") % {"names": "、".join(c.name for c in chosen)})
        else:
            messages.success(request, _("已取消全部订阅。"))
        return redirect("policies:subscriptions")
    return render(request, "policies/subscriptions.html", {"form": form, "current": current})
