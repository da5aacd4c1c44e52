"""The staff queue: problems by department, the moves as actions and buttons, visits, deadlines, escalations.

Nothing here writes a problem directly: every move goes through ``services``. A department sees only the
problems it is responsible for; superusers and the coordinating bureau see all.
"""

from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.paginators import LargeTableAdminMixin
from portal.params import id_param
from portal.servicedesk import selectors, services
from portal.servicedesk.forms import AnswerForm, AssignForm, CallbackForm, StaffProblemForm, TransferForm
from portal.servicedesk.models import (
    IN_HANDS,
    Escalation,
    Problem,
    ProblemAttachment,
    ProblemStep,
    ServiceLevel,
    Status,
    Visit,
)


class OverdueFilter(admin.SimpleListFilter):
    title = _("是否超期")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("已超期")), ("no", _("未超期"))]

    def queryset(self, request, queryset):
        overdue = Problem.objects.overdue(timezone.now()).values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=overdue)
        if self.value() == "no":
            return queryset.exclude(pk__in=overdue)
        return queryset


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StepInline(ReadOnlyInline):
    model = ProblemStep
    verbose_name_plural = _("办理过程")
    fields = ("at", "action", "actor", "department", "note", "from_status", "to_status")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "department")


class AttachmentInline(ReadOnlyInline):
    model = ProblemAttachment
    fields = ("download", "kind", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields

    @admin.display(description=_("文件"))
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("servicedesk:attachment", args=[obj.pk]), obj.name)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")


class EscalationInline(ReadOnlyInline):
    model = Escalation
    fields = ("created_at", "kind", "due", "department", "notified")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department", "notified")


MOVES = {
    "assign": (AssignForm, _("交办")),
    "transfer": (TransferForm, _("转办")),
    "answer": (AnswerForm, _("反馈")),
    "callback": (CallbackForm, _("回访评价")),
}


@admin.register(Problem)
class ProblemAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "title",
        "enterprise",
        "category",
        "channel",
        "department",
        "handler",
        "status_badge",
        "created_at",
        "due",
    )
    list_display_links = ("number", "title")
    # By date with Django's fixed ranges (today, past 7 days, this month, this year): a date hierarchy
    # lists the years found, a scan of every problem (0.4 s over 1,000,000) on each page view.
    list_filter = ("department", "status", OverdueFilter, "category", "channel", "created_at")
    search_fields = ("title", "enterprise__name", "enterprise__uscc")
    list_select_related = ("enterprise", "department", "handler")
    list_per_page = 50
    show_full_result_count = False
    actions = ["assign_selected", "transfer_selected", "answer_selected"]
    inlines = [StepInline, AttachmentInline, EscalationInline]
    change_form_template = "admin/servicedesk/problem/change_form.html"
    fieldsets = (
        (
            _("诉求"),
            {
                "fields": (
                    "enterprise",
                    "channel",
                    "visit",
                    "category",
                    "title",
                    "description",
                    "raised_by",
                    "created_at",
                )
            },
        ),
        (
            _("办理"),
            {
                "fields": (
                    "status",
                    "department",
                    "handler",
                    "first_response_due",
                    "responded_at",
                    "answer_started_at",
                    "answer_due",
                    "answered_at",
                    "overdue",
                )
            },
        ),
        (_("评价与办结"), {"fields": ("rating_due", "satisfaction", "rating_comment", "closed_at")}),
    )

    def get_queryset(self, request):
        return selectors.problems_visible_to(user=request.user)

    def get_readonly_fields(self, request, obj=None):
        return [f for fields in (s[1]["fields"] for s in self.fieldsets) for f in fields]

    def has_delete_permission(self, request, obj=None):
        # Problems are records of the zone's work: withdrawn, never deleted.
        return False

    @admin.display(description=_("编号"), ordering="id")
    def number(self, obj):
        return f"#{obj.pk}"

    @admin.display(description=_("状态"), ordering="status")
    def status_badge(self, obj):
        if obj.is_overdue:
            return format_html(
                '{} <strong style="color:#b00020">{}</strong>', obj.get_status_display(), _("超期")
            )
        return obj.get_status_display()

    @admin.display(description=_("当前时限"))
    def due(self, obj):
        due = obj.current_due
        return timezone.localtime(due).strftime("%Y-%m-%d %H:%M") if due else "—"

    @admin.display(description=_("是否超期"), boolean=True)
    def overdue(self, obj):
        return obj.is_overdue

    # ---- the moves ----

    def get_urls(self):
        urls = [
            path(
                "<int:object_id>/move/<str:move>/",
                self.admin_site.admin_view(self.move_view),
                name="servicedesk_problem_move",
            ),
        ]
        return urls + super().get_urls()

    def _moves_for(self, request, problem) -> list[tuple[str, str]]:
        moves = []
        if problem.status == Status.SUBMITTED and selectors.sees_all_problems(request.user):
            moves.append("assign")
        if problem.status in IN_HANDS and selectors.may_handle(user=request.user, problem=problem):
            moves += ["transfer", "answer"]
        if problem.status == Status.ANSWERED and selectors.sees_all_problems(request.user):
            moves.append("callback")
        return [
            (str(MOVES[m][1]), reverse("admin:servicedesk_problem_move", args=[problem.pk, m])) for m in moves
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # None for a problem this user does not see, and for a key that is not a number at all.
        problem = self.get_object(request, object_id)
        if problem is None:
            raise Http404
        extra_context = {
            **(extra_context or {}),
            "moves": self._moves_for(request, problem),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def move_view(self, request, object_id, move):
        """One move on one problem, through its form: 交办, 转办 (with a reason) or 反馈."""
        if move not in MOVES:
            raise PermissionDenied
        problem = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_change_permission(request, problem):
            raise PermissionDenied
        response = self._move(request, [problem], move, form_url=request.path)
        if response is None:
            return HttpResponseRedirect(reverse("admin:servicedesk_problem_change", args=[problem.pk]))
        return response

    def _move(self, request, problems, move, *, form_url="", action_name=""):
        """Show the move's form; on a valid submission call the service. None when done."""
        form_class, label = MOVES[move]
        form = form_class(request.POST, request.FILES) if "apply" in request.POST else form_class()
        if "apply" in request.POST and form.is_valid():
            data = form.cleaned_data
            try:
                if move == "assign":
                    services.problems_assign(
                        problems=problems,
                        user=request.user,
                        department=data["department"],
                        handler=data["handler"],
                        note=data["note"],
                    )
                elif move == "transfer":
                    services.problem_transfer(
                        problem=problems[0],
                        user=request.user,
                        department=data["department"],
                        handler=data["handler"],
                        reason=data["reason"],
                    )
                elif move == "callback":
                    services.problem_rate(
                        problem=problems[0],
                        user=request.user,
                        satisfied=data["satisfied"],
                        comment=data["comment"],
                    )
                else:
                    services.problem_answer(
                        problem=problems[0],
                        user=request.user,
                        answer=data["answer"],
                        attachments=data["attachments"],
                    )
            except services.ProblemError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    _("已%(move)s %(n)d 件诉求。") % {"move": label, "n": len(problems)},
                    messages.SUCCESS,
                )
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("%(move)s诉求") % {"move": label},
            "opts": self.model._meta,
            "form": form,
            "problems": problems,
            "move": move,
            "move_label": label,
            "form_url": form_url,
            "action_name": action_name,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/servicedesk/problem/move.html", context)

    @admin.action(description=_("交办所选诉求"))
    def assign_selected(self, request, queryset):
        return self._move(request, list(queryset), "assign", action_name="assign_selected")

    def _one_selected(self, request, queryset, move):
        if queryset.count() != 1:
            self.message_user(
                request,
                _("%(move)s须逐件办理，请只选择一件诉求。") % {"move": MOVES[move][1]},
                messages.WARNING,
            )
            return None
        return HttpResponseRedirect(reverse("admin:servicedesk_problem_move", args=[queryset.get().pk, move]))

    @admin.action(description=_("转办所选诉求（须说明理由）"))
    def transfer_selected(self, request, queryset):
        return self._one_selected(request, queryset, "transfer")

    @admin.action(description=_("反馈所选诉求"))
    def answer_selected(self, request, queryset):
        return self._one_selected(request, queryset, "answer")

    # ---- staff record a problem heard on a visit or the hotline ----

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {k: request.GET[k] for k in ("visit", "enterprise") if id_param(request.GET.get(k))}
        if "visit" in initial:
            initial["channel"] = "visit"
        form = StaffProblemForm(request.POST or None, request.FILES or None, initial=initial)
        for name in ("enterprise", "visit"):
            # Thousands of enterprises and visits: search as you type instead of one huge select.
            field = form.fields[name]
            field.widget = AutocompleteSelect(Problem._meta.get_field(name), self.admin_site)
            field.widget.is_required = field.required
            field.queryset = field.queryset  # hands the choices to the new widget
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                problem = services.problem_submit(
                    enterprise=data["enterprise"],
                    user=request.user,
                    channel=data["channel"],
                    category=data["category"],
                    title=data["title"],
                    description=data["description"],
                    attachments=data["attachments"],
                    visit=data["visit"],
                )
            except services.ProblemError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, _("诉求 #%(id)d 已登记。") % {"id": problem.pk}, messages.SUCCESS)
                if selectors.sees_all_problems(request.user):
                    return HttpResponseRedirect(
                        reverse("admin:servicedesk_problem_change", args=[problem.pk])
                    )
                return HttpResponseRedirect(reverse("admin:servicedesk_problem_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("登记企业诉求"),
            "opts": self.model._meta,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/servicedesk/problem/record.html", context)


class ProblemOfVisitInline(ReadOnlyInline):
    model = Problem
    fields = ("link", "category", "status", "department")
    readonly_fields = fields
    verbose_name_plural = _("本次走访收集的诉求")

    @admin.display(description=_("诉求"))
    def link(self, obj):
        return format_html(
            '<a href="{}">#{} {}</a>',
            reverse("admin:servicedesk_problem_change", args=[obj.pk]),
            obj.pk,
            obj.title,
        )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department")


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ("date", "enterprise", "staff", "participants", "problem_count")
    list_filter = ("staff__department", "staff")
    search_fields = ("enterprise__name", "enterprise__uscc", "participants", "notes")
    date_hierarchy = "date"
    autocomplete_fields = ("enterprise",)
    list_select_related = ("enterprise", "staff")
    list_per_page = 50
    show_full_result_count = False
    fields = ("date", "enterprise", "staff", "participants", "notes", "record_problem")
    readonly_fields = ("record_problem",)
    inlines = [ProblemOfVisitInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_problems=Count("problems"))

    @admin.display(description=_("收集诉求"), ordering="n_problems")
    def problem_count(self, obj):
        return obj.n_problems

    @admin.display(description=_("登记诉求"))
    def record_problem(self, obj):
        if obj is None or obj.pk is None:
            return _("保存走访记录后可登记本次收集的诉求。")
        url = reverse("admin:servicedesk_problem_add")
        return format_html(
            '<a href="{}?visit={}&enterprise={}">{}</a>',
            url,
            obj.pk,
            obj.enterprise_id,
            _("登记本次走访收集的诉求"),
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        staff = form.base_fields["staff"]
        staff.queryset = staff.queryset.filter(is_staff=True, is_active=True)
        if obj is None:
            staff.initial = request.user.pk
        visit = obj

        class CheckedForm(form):
            def clean(self):
                data = super().clean()
                if not self.errors:
                    try:
                        services.visit_check(
                            staff=data["staff"], enterprise=data["enterprise"], date=data["date"], visit=visit
                        )
                    except services.ProblemError as exc:
                        raise ValidationError(str(exc)) from exc
                return data

        return CheckedForm

    def save_model(self, request, obj, form, change):
        data = {k: form.cleaned_data[k] for k in ("staff", "enterprise", "date", "participants", "notes")}
        if change:
            services.visit_update(visit=Visit.objects.get(pk=obj.pk), **data)
        else:
            obj.pk = services.visit_record(**data).pk


@admin.register(ServiceLevel)
class ServiceLevelAdmin(admin.ModelAdmin):
    list_display = ("category", "answer_workdays")
    list_editable = ("answer_workdays",)


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "problem_link", "kind", "due", "department", "notified")
    list_filter = ("kind", "department")
    list_select_related = ("problem", "department", "notified")
    readonly_fields = ("problem", "kind", "due", "department", "notified", "created_at")
    show_full_result_count = False

    def get_queryset(self, request):
        visible = selectors.problems_visible_to(user=request.user).values("pk")
        return super().get_queryset(request).filter(problem__in=visible)

    @admin.display(description=_("诉求"))
    def problem_link(self, obj):
        url = reverse("admin:servicedesk_problem_change", args=[obj.problem_id])
        return format_html('<a href="{}">{}</a>', url, obj.problem)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
