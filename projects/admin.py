"""Admin of project tracking: staff record what happens; every transition goes through a service."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.utils import flatten_fieldsets
from django.http import FileResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.exports import XLSX_CONTENT_TYPE
from portal.workdays.checks import warn_in_admin
from portal.workdays.selectors import WorkCalendar
from projects import exports, selectors, services
from projects.models import (
    Acceptance,
    Blocker,
    Dispatch,
    DispatchItem,
    Filing,
    FilingOutcome,
    FilingReport,
    Permit,
    PermitCommitment,
    PermitPause,
    PermitStep,
    PermitType,
    Project,
    StepKind,
)
from projects.services import ProjectError

FILING_HELP = gettext_lazy(
    "办理请在“企业投资备案”列表勾选后使用操作：受理、予以备案、退回补正（原因填在操作栏的输入框）。"
)
PERMIT_HELP = gettext_lazy(
    "办理请在“证照”列表勾选后使用操作：受理、办结当前审查环节、发证（填证书编号）、暂停计时、恢复计时、"
    "不予许可。审查环节全部办结后才能发证；暂停计时期间不计入办理时限。"
)


class TextActionForm(ActionForm):
    """The action bar's extra box: certificate number, reason or opinion, as the action needs."""

    text = forms.CharField(
        label=gettext_lazy("证书编号 / 原因 / 意见"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"size": 40}),
    )


def _text(request) -> str:
    return (request.POST.get("text") or "").strip()


def _run(modeladmin, request, queryset, call, done: str) -> None:
    """Call a service for each selected row; report what was done and each refusal with its reason."""
    ok, refused = 0, []
    for obj in queryset:
        try:
            call(obj)
        except ProjectError as exc:
            refused.append(f"{obj}：{exc}")
        else:
            ok += 1
    if ok:
        modeladmin.message_user(request, done % {"n": ok}, messages.SUCCESS)
    for line in refused:
        modeladmin.message_user(request, line, messages.ERROR)


def _record(formset, *, new=(), changed=()) -> None:
    """What the admin's history message reads from a formset that a service saved."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = list(new), list(changed), []


class ServiceSaveMixin:
    """Adding or changing through the admin form calls a service; a refusal comes back as an error message."""

    def save_model(self, request, obj, form, change):
        try:
            saved = self.save_with_service(request, obj, form, change)
        except ProjectError as exc:
            request._project_error = str(exc)
            return
        obj.pk = saved.pk

    def save_with_service(self, request, obj, form, change):
        raise NotImplementedError

    def save_related(self, request, form, formsets, change):
        if getattr(request, "_project_error", None):
            return
        # Many-to-many fields were set by the service; only the inlines are saved here.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def _refused(self, request):
        self.message_user(request, request._project_error, messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "_project_error", None):
            return self._refused(request)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "_project_error", None):
            return self._refused(request)
        return super().response_change(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Records of what happened are corrected by a new record, never deleted from the admin.
        return False


class OverdueFilter(admin.SimpleListFilter):
    title = gettext_lazy("是否超时")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("yes", _("已超时")), ("no", _("未超时")))

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        late = queryset.model.objects.overdue(timezone.now()).values("pk")
        return queryset.filter(pk__in=late) if self.value() == "yes" else queryset.exclude(pk__in=late)


class CalendarWarningMixin:
    def changelist_view(self, request, extra_context=None):
        warn_in_admin(request)
        return super().changelist_view(request, extra_context)


# ---------------------------------------------------------------- project


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class FilingInline(_ReadOnlyInline):
    model = Filing
    fields = ("status", "outcome", "submitted_at", "accepted_at", "completed_at", "due_at", "reviewer")


class PermitInline(_ReadOnlyInline):
    model = Permit
    fields = (
        "permit_type",
        "status",
        "is_commitment",
        "applied_at",
        "accepted_at",
        "issued_at",
        "due_at",
        "certificate_number",
    )


class AcceptanceInline(_ReadOnlyInline):
    model = Acceptance
    fields = ("held_on", "mode", "result", "issues_found")


class BlockerInline(_ReadOnlyInline):
    model = Blocker
    fields = ("raised_on", "description", "department", "resolved_on", "resolution")


@admin.register(Project)
class ProjectAdmin(CalendarWarningMixin, ServiceSaveMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "enterprise",
        "stage",
        "is_key",
        "coordinator",
        "land_transferred_on",
        "is_custom_industrial_land",
    )
    list_filter = (
        "stage",
        OverdueFilter,
        ("coordinator", admin.RelatedOnlyFieldListFilter),
        "is_key",
        "is_custom_industrial_land",
    )
    search_fields = ("code", "name", "enterprise__name", "enterprise__uscc", "parcel_number")
    list_select_related = ("enterprise", "coordinator")
    autocomplete_fields = ("enterprise", "coordinator")
    readonly_fields = ("stage", "created_at", "updated_at")
    inlines = [FilingInline, PermitInline, AcceptanceInline, BlockerInline]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "code", "enterprise") if obj else self.readonly_fields

    def save_with_service(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in services.PROJECT_FIELDS if f in form.cleaned_data}
        if change:
            project = Project.objects.get(pk=obj.pk)
            return services.project_update(project=project, data=data)
        return services.project_create(
            code=form.cleaned_data["code"], enterprise=form.cleaned_data["enterprise"], **data
        )


# ---------------------------------------------------------------- filing


@admin.register(Filing)
class FilingAdmin(CalendarWarningMixin, ServiceSaveMixin, admin.ModelAdmin):
    list_display = (
        "project",
        "status",
        "outcome",
        "submitted_at",
        "accepted_at",
        "completed_at",
        "due_at",
        "reviewer",
    )
    list_filter = ("status", "outcome", OverdueFilter, ("department", admin.RelatedOnlyFieldListFilter))
    search_fields = ("project__code", "project__name", "project__enterprise__name")
    list_select_related = ("project", "reviewer")
    autocomplete_fields = ("project",)
    date_hierarchy = "submitted_at"
    action_form = TextActionForm
    actions = ["accept", "complete_filed", "complete_returned"]
    show_full_result_count = False

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ("project", "department", "submitted_at")})]
        fields = (
            "project",
            "department",
            "status",
            "outcome",
            "submitted_at",
            "accepted_at",
            "completed_at",
            "due_at",
            "clock",
            "reviewer",
            "note",
            "overdue_flagged_at",
        )
        return [(None, {"fields": fields, "description": FILING_HELP})]

    def get_readonly_fields(self, request, obj=None):
        return flatten_fieldsets(self.get_fieldsets(request, obj)) if obj else ()

    @admin.display(description=gettext_lazy("已用工作日"))
    def clock(self, obj):
        days = selectors.filing_workdays(obj, calendar=WorkCalendar.load(), now=timezone.now())
        return _("%(n)d 个工作日（时限 %(t)d 个）") % {"n": days, "t": obj.TARGET_WORKDAYS}

    def get_changeform_initial_data(self, request):
        return {"submitted_at": timezone.now(), **super().get_changeform_initial_data(request)}

    def save_with_service(self, request, obj, form, change):
        return services.filing_submit(
            project=form.cleaned_data["project"],
            submitted_at=form.cleaned_data["submitted_at"],
            department=form.cleaned_data["department"],
        )

    @admin.action(description=gettext_lazy("受理所选备案"), permissions=["change"])
    def accept(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda f: services.filing_accept(filing=f, reviewer=request.user),
            _("已受理 %(n)d 件备案。"),
        )

    @admin.action(description=gettext_lazy("予以备案（办结）"), permissions=["change"])
    def complete_filed(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda f: services.filing_complete(
                filing=f, reviewer=request.user, outcome=FilingOutcome.FILED, note=_text(request)
            ),
            _("已办结 %(n)d 件备案。"),
        )

    @admin.action(description=gettext_lazy("退回补正（在上方填写原因）"), permissions=["change"])
    def complete_returned(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda f: services.filing_complete(
                filing=f, reviewer=request.user, outcome=FilingOutcome.RETURNED, note=_text(request)
            ),
            _("已退回 %(n)d 件备案。"),
        )


@admin.register(FilingReport)
class FilingReportAdmin(ServiceSaveMixin, admin.ModelAdmin):
    list_display = ("project", "kind", "reported_on", "reported_by", "created_at")
    list_filter = ("kind",)
    search_fields = ("project__code", "project__name")
    list_select_related = ("project", "reported_by")
    autocomplete_fields = ("project",)
    fields = ("project", "kind", "reported_on", "content")

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj else ()

    def save_with_service(self, request, obj, form, change):
        return services.filing_report_submit(
            project=form.cleaned_data["project"],
            kind=form.cleaned_data["kind"],
            reported_on=form.cleaned_data["reported_on"],
            content=form.cleaned_data["content"],
            user=request.user,
        )


# ---------------------------------------------------------------- permits


@admin.register(PermitType)
class PermitTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "department", "sla_workdays", "order")
    list_editable = ("sla_workdays", "order")
    readonly_fields = ("code",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PermitStepInline(_ReadOnlyInline):
    model = PermitStep
    fields = ("kind", "opened_at", "closed_at", "handler", "note")


class PermitPauseInline(_ReadOnlyInline):
    model = PermitPause
    fields = ("started_at", "ended_at", "workdays", "reason")
    show_change_link = False


class PermitCommitmentInline(admin.TabularInline):
    """Commitments under 告知承诺制: new ones are added here (through the service), kept ones read."""

    model = PermitCommitment
    extra = 0
    can_delete = False
    fields = ("content", "due_on", "fulfilled_on", "overdue_flagged_at")

    def get_readonly_fields(self, request, obj=None):
        return ("fulfilled_on", "overdue_flagged_at")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return obj is not None and obj.is_commitment and obj.is_open


@admin.register(Permit)
class PermitAdmin(CalendarWarningMixin, ServiceSaveMixin, admin.ModelAdmin):
    list_display = (
        "project",
        "permit_type",
        "status",
        "is_commitment",
        "applied_at",
        "issued_at",
        "due_at",
        "certificate_number",
    )
    list_filter = (
        "status",
        OverdueFilter,
        "permit_type",
        ("project__coordinator", admin.RelatedOnlyFieldListFilter),
        "is_commitment",
    )
    search_fields = ("project__code", "project__name", "certificate_number")
    list_select_related = ("project", "permit_type")
    autocomplete_fields = ("project",)
    date_hierarchy = "applied_at"
    inlines = [PermitStepInline, PermitPauseInline, PermitCommitmentInline]
    action_form = TextActionForm
    actions = ["accept", "close_step", "issue", "pause", "resume", "reject"]
    show_full_result_count = False

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ("project", "permit_type", "applied_at", "is_commitment")})]
        fields = (
            "project",
            "permit_type",
            "status",
            "is_commitment",
            "applied_at",
            "accepted_at",
            "issued_at",
            "rejected_at",
            "due_at",
            "clock",
            "certificate_number",
            "reason",
            "overdue_flagged_at",
        )
        return [(None, {"fields": fields, "description": PERMIT_HELP})]

    def get_readonly_fields(self, request, obj=None):
        return flatten_fieldsets(self.get_fieldsets(request, obj)) if obj else ()

    @admin.display(description=gettext_lazy("已用工作日"))
    def clock(self, obj):
        permit = Permit.objects.prefetch_related("pauses").get(pk=obj.pk)
        days = selectors.permit_workdays(permit, calendar=WorkCalendar.load(), now=timezone.now())
        text = _("%(n)d 个工作日（时限 %(t)d 个）") % {"n": days, "t": obj.permit_type.sla_workdays}
        return text + (_("，暂停计时中") if permit.open_pause else "")

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def get_changeform_initial_data(self, request):
        return {"applied_at": timezone.now(), **super().get_changeform_initial_data(request)}

    def save_with_service(self, request, obj, form, change):
        if change:
            return obj
        return services.permit_apply(
            project=form.cleaned_data["project"],
            permit_type=form.cleaned_data["permit_type"],
            applied_at=form.cleaned_data["applied_at"],
            is_commitment=form.cleaned_data["is_commitment"],
        )

    def save_formset(self, request, form, formset, change):
        if formset.model is not PermitCommitment:
            return super().save_formset(request, form, formset, change)
        added = []
        for inline_form in formset.extra_forms:
            if not inline_form.has_changed():
                continue
            try:
                added.append(
                    services.permit_commitment_add(
                        permit=form.instance,
                        content=inline_form.cleaned_data["content"],
                        due_on=inline_form.cleaned_data["due_on"],
                    )
                )
            except ProjectError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        _record(formset, new=added)

    @admin.action(description=gettext_lazy("受理"), permissions=["change"])
    def accept(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda p: services.permit_accept(permit=p, user=request.user),
            _("已受理 %(n)d 项。"),
        )

    @admin.action(description=gettext_lazy("办结当前审查环节（审查 / 审批）"), permissions=["change"])
    def close_step(self, request, queryset):
        def close(permit):
            steps = permit.steps.filter(closed_at__isnull=True).exclude(kind=StepKind.ACCEPTANCE)
            if not steps:
                raise ProjectError(_("没有可办结的审查环节（受理环节请用“受理”）。"))
            for step in steps:
                services.permit_step_close(step=step, user=request.user, note=_text(request))

        _run(self, request, queryset, close, _("已办结 %(n)d 项的当前环节。"))

    @admin.action(description=gettext_lazy("发证（在上方填写证书编号，每次一项）"), permissions=["change"])
    def issue(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("发证须逐项办理：请只选择一项并填写证书编号。"), messages.ERROR)
            return
        _run(
            self,
            request,
            queryset,
            lambda p: services.permit_issue(permit=p, user=request.user, certificate_number=_text(request)),
            _("已发证 %(n)d 项。"),
        )

    @admin.action(
        description=gettext_lazy("暂停计时（等待申请人补正，在上方填写原因）"), permissions=["change"]
    )
    def pause(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda p: services.permit_pause(permit=p, user=request.user, reason=_text(request)),
            _("已暂停计时 %(n)d 项。"),
        )

    @admin.action(description=gettext_lazy("恢复计时"), permissions=["change"])
    def resume(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda p: services.permit_resume(permit=p, user=request.user),
            _("已恢复计时 %(n)d 项。"),
        )

    @admin.action(description=gettext_lazy("不予许可（在上方填写理由）"), permissions=["change"])
    def reject(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda p: services.permit_reject(permit=p, user=request.user, reason=_text(request)),
            _("已作出不予许可 %(n)d 项。"),
        )


@admin.register(PermitStep)
class PermitStepAdmin(admin.ModelAdmin):
    list_display = ("permit", "kind", "opened_at", "closed_at", "handler")
    list_filter = ("kind", ("closed_at", admin.EmptyFieldListFilter))
    search_fields = ("permit__project__code", "permit__project__name")
    list_select_related = ("permit__project", "permit__permit_type", "handler")
    readonly_fields = ("permit", "kind", "opened_at", "closed_at", "handler", "note")
    action_form = TextActionForm
    actions = ["close"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("办结所选环节（意见填在上方）"), permissions=["change"])
    def close(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda s: services.permit_step_close(step=s, user=request.user, note=_text(request)),
            _("已办结 %(n)d 个环节。"),
        )


@admin.register(PermitPause)
class PermitPauseAdmin(admin.ModelAdmin):
    list_display = ("permit", "started_at", "ended_at", "workdays", "reason")
    list_filter = (("ended_at", admin.EmptyFieldListFilter),)
    search_fields = ("permit__project__code", "permit__project__name", "reason")
    list_select_related = ("permit__project", "permit__permit_type")
    readonly_fields = ("permit", "started_at", "ended_at", "workdays", "reason")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PermitCommitment)
class PermitCommitmentAdmin(admin.ModelAdmin):
    list_display = ("content", "permit", "due_on", "fulfilled_on", "overdue_flagged_at")
    list_filter = (OverdueFilter, ("fulfilled_on", admin.EmptyFieldListFilter))
    search_fields = ("content", "permit__project__code", "permit__project__name")
    list_select_related = ("permit__project", "permit__permit_type")
    readonly_fields = ("permit", "content", "due_on", "fulfilled_on", "overdue_flagged_at")
    actions = ["fulfil"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("已履行（今天）"), permissions=["change"])
    def fulfil(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda c: services.permit_commitment_fulfil(commitment=c),
            _("已登记履行 %(n)d 项承诺。"),
        )


# ---------------------------------------------------------------- acceptance, blockers


@admin.register(Acceptance)
class AcceptanceAdmin(ServiceSaveMixin, admin.ModelAdmin):
    list_display = ("project", "held_on", "mode", "result", "recorded_by")
    list_filter = ("mode", "result", "held_on")
    search_fields = ("project__code", "project__name", "issues_found")
    list_select_related = ("project", "recorded_by")
    autocomplete_fields = ("project",)
    filter_horizontal = ("departments",)
    date_hierarchy = "held_on"
    fields = ("project", "mode", "held_on", "result", "departments", "issues_found")

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj else ()

    def save_with_service(self, request, obj, form, change):
        return services.acceptance_record(
            project=form.cleaned_data["project"],
            mode=form.cleaned_data["mode"],
            held_on=form.cleaned_data["held_on"],
            result=form.cleaned_data["result"],
            departments=form.cleaned_data["departments"],
            issues_found=form.cleaned_data["issues_found"],
            user=request.user,
        )


@admin.register(Blocker)
class BlockerAdmin(ServiceSaveMixin, admin.ModelAdmin):
    list_display = ("description_short", "project", "department", "raised_on", "resolved_on")
    list_filter = (
        ("resolved_on", admin.EmptyFieldListFilter),
        ("department", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("description", "project__code", "project__name")
    list_select_related = ("project", "department")
    autocomplete_fields = ("project",)
    fields = ("project", "description", "department", "raised_on", "resolved_on", "resolution")
    action_form = TextActionForm
    actions = ["resolve"]

    @admin.display(description=gettext_lazy("问题"))
    def description_short(self, obj):
        return str(obj)

    def get_fields(self, request, obj=None):
        return self.fields if obj else ("project", "description", "department", "raised_on")

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj else ()

    def get_changeform_initial_data(self, request):
        return {"raised_on": timezone.localdate(), **super().get_changeform_initial_data(request)}

    def save_with_service(self, request, obj, form, change):
        return services.blocker_raise(
            project=form.cleaned_data["project"],
            description=form.cleaned_data["description"],
            department=form.cleaned_data["department"],
            raised_on=form.cleaned_data["raised_on"],
        )

    @admin.action(description=gettext_lazy("已解决（在上方填写解决情况）"), permissions=["change"])
    def resolve(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda b: services.blocker_resolve(blocker=b, resolution=_text(request)),
            _("已解决 %(n)d 个堵点。"),
        )


# ---------------------------------------------------------------- weekly dispatch


class DispatchItemInline(admin.TabularInline):
    model = DispatchItem
    extra = 0
    can_delete = False
    fields = ("project", "stage", "moved", "overdue", "blockers", "note", "resolution")
    readonly_fields = ("project", "stage", "moved", "overdue", "blockers")

    def has_add_permission(self, request, obj=None):
        return False

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in ("note", "resolution"):
            kwargs["widget"] = forms.Textarea(attrs={"rows": 3, "cols": 28})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Dispatch)
class DispatchAdmin(admin.ModelAdmin):
    list_display = ("week_start", "coordinator", "item_count", "generated_at")
    list_filter = ("week_start", ("coordinator", admin.RelatedOnlyFieldListFilter))
    search_fields = ("coordinator__username", "coordinator__display_name")
    list_select_related = ("coordinator",)
    readonly_fields = ("coordinator", "week_start", "generated_at")
    fields = ("coordinator", "week_start", "generated_at", "note")
    inlines = [DispatchItemInline]
    actions = ["download_xlsx"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("项目数"))
    def item_count(self, obj):
        return obj.items.count()

    def save_model(self, request, obj, form, change):
        if "note" in form.changed_data:
            services.dispatch_note(dispatch=obj, note=form.cleaned_data["note"])

    def save_formset(self, request, form, formset, change):
        changed = []
        for inline_form in formset.forms:
            if inline_form.has_changed():
                item = services.dispatch_item_annotate(
                    item=inline_form.instance,
                    note=inline_form.cleaned_data["note"],
                    resolution=inline_form.cleaned_data["resolution"],
                )
                changed.append((item, inline_form.changed_data))
        _record(formset, changed=changed)

    @admin.action(description=gettext_lazy("下载所选调度清单（XLSX）"), permissions=["view"])
    def download_xlsx(self, request, queryset):
        dispatches = queryset.select_related("coordinator").prefetch_related("items__project__enterprise")
        response = FileResponse(
            exports.dispatch_workbook(dispatches),
            as_attachment=True,
            filename="dispatch.xlsx",
            content_type=XLSX_CONTENT_TYPE,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


@admin.register(DispatchItem)
class DispatchItemAdmin(admin.ModelAdmin):
    list_display = ("project", "dispatch", "stage")
    list_filter = ("dispatch__week_start", "stage")
    search_fields = ("project__code", "project__name")
    list_select_related = ("project", "dispatch__coordinator")
    fields = ("dispatch", "project", "stage", "moved", "overdue", "blockers", "note", "resolution")
    readonly_fields = ("dispatch", "project", "stage", "moved", "overdue", "blockers")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.dispatch_item_annotate(
            item=obj, note=form.cleaned_data["note"], resolution=form.cleaned_data["resolution"]
        )
