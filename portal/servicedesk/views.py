"""Enterprise pages: raise a problem, follow it, rate the answer; attachment downloads for whoever may see."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.attachments import attachment_response
from portal.paginators import SitePaginator
from portal.servicedesk import selectors, services
from portal.servicedesk.forms import ProblemForm, RateForm, WithdrawForm
from portal.servicedesk.models import TRANSITIONS, Action, Channel, Problem, ProblemAttachment, Status

PAGE_SIZE = 20


def enterprise_required(view):
    """Enterprise members only; staff work the queue in admin."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if request.user.enterprise_id is None:
            if request.user.is_staff:
                return redirect("admin:servicedesk_problem_changelist")
            raise PermissionDenied(_("只有企业用户可以提交和查看企业诉求。"))
        return view(request, *args, **kwargs)

    return wrapper


def _own_problem(request, pk: int) -> Problem:
    try:
        return selectors.problem_with_timeline(
            queryset=selectors.problems_visible_to(user=request.user), problem_id=pk
        )
    except Problem.DoesNotExist as exc:
        raise Http404 from exc


@enterprise_required
def problem_list(request):
    """我的诉求: the enterprise's problems, newest first, filterable by status."""
    problems = selectors.problems_visible_to(user=request.user)
    status = request.GET.get("status", "")
    if status in Status.values:
        problems = problems.filter(status=status)
    else:
        status = ""
    page = SitePaginator(problems, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "servicedesk/problem_list.html",
        {
            "page": page,
            "status": status,
            "statuses": Status.choices,
            "query": urlencode({"status": status}) if status else "",
        },
    )


@enterprise_required
def problem_new(request):
    """提交诉求."""
    form = ProblemForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            problem = services.problem_submit(
                enterprise=request.user.enterprise,
                user=request.user,
                channel=Channel.PORTAL,
                category=form.cleaned_data["category"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                attachments=form.cleaned_data["attachments"],
            )
        except services.ProblemError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("诉求已提交，园区将在 1 个工作日内交办承办部门。"))
            return redirect("servicedesk:problem_detail", pk=problem.pk)
    return render(request, "servicedesk/problem_new.html", {"form": form})


def _detail(request, problem: Problem, rate_form: RateForm | None, status: int = 200):
    answers = [step for step in problem.steps.all() if step.action == Action.ANSWER]
    return render(
        request,
        "servicedesk/problem_detail.html",
        {
            "problem": problem,
            "latest_answer": answers[-1] if answers else None,
            "rate_form": rate_form,
            "can_withdraw": problem.status in TRANSITIONS[Action.WITHDRAW][0],
            "withdraw_form": WithdrawForm(),
        },
        status=status,
    )


@enterprise_required
def problem_detail(request, pk: int):
    """One problem with its timeline, the latest answer, and the rating form once answered."""
    problem = _own_problem(request, pk)
    return _detail(request, problem, RateForm() if problem.status == Status.ANSWERED else None)


@enterprise_required
@require_POST
def problem_rate(request, pk: int):
    problem = _own_problem(request, pk)
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            services.problem_rate(
                problem=problem,
                user=request.user,
                satisfied=form.cleaned_data["satisfied"],
                comment=form.cleaned_data["comment"],
            )
        except services.ProblemError as exc:
            messages.error(request, str(exc))
        else:
            if form.cleaned_data["satisfied"]:
                messages.success(request, _("感谢您的评价，诉求已办结。"))
            else:
                messages.success(request, _("已退回原承办部门重新办理。"))
        return redirect("servicedesk:problem_detail", pk=pk)
    return _detail(request, problem, form, status=400)


@enterprise_required
@require_POST
def problem_withdraw(request, pk: int):
    problem = _own_problem(request, pk)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.problem_withdraw(problem=problem, user=request.user, reason=reason)
    except services.ProblemError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("诉求已撤回。"))
    return redirect("servicedesk:problem_detail", pk=pk)


@login_required
def attachment_download(request, pk: int):
    """A problem's file, for its enterprise's members and the staff who may handle the problem."""
    attachment = get_object_or_404(ProblemAttachment.objects.select_related("problem"), pk=pk)
    if not selectors.may_view(user=request.user, problem=attachment.problem):
        raise Http404
    return attachment_response(attachment.file, attachment.name)
