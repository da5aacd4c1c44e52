"""Staff work on awards here: review, release, payment batches, runs with their diffs and undetermined lists.

Every action and every button calls a service; the admin never writes an award or a batch itself.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.admin_site import money_column, money_text
from portal.paginators import KnownValuesFilter, LargeTableAdminMixin
from portal.residents.models import PurchaseBuyer
from subsidies import selectors, services
from subsidies.forms import (
    RULE_ROWS,
    BatchForm,
    HouseholdOfflineConfirmForm,
    MarkPaidForm,
    OfflineConfirmForm,
    PreviewForm,
    ReasonForm,
    SchemeForm,
)
from subsidies.models import (
    Award,
    AwardEvent,
    AwardStatus,
    LostCandidate,
    MatchFailure,
    MatchRun,
    PaymentBatch,
    PaymentBatchExport,
    Scheme,
    Undetermined,
)
from subsidies.templatetags.money import yuan


def _fail(modeladmin, request, exc: Exception) -> None:
    modeladmin.message_user(request, str(exc), level=messages.ERROR)


def _action_form(modeladmin, request, queryset, *, form, title: str, action: str, button: str):
    """The intermediate page of an admin action that needs a reason or a title."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "objects": queryset[:200],
        "count": queryset.count(),
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "action": action,
        "button": button,
        "opts": modeladmin.model._meta,
        "select_across": request.POST.get("select_across", "0"),
    }
    return TemplateResponse(request, "admin/subsidies/action_form.html", context)


def _explanation_html(award: Award) -> str:
    explanation = selectors.explanation_of(award)
    if explanation is None:
        return _("依申请兑现，无比对说明。")
    items = format_html_join(
        "",
        '<li class="trace-{}">{}</li>',
        ((line["status"], line["text"]) for line in selectors.explanation_lines(explanation)),
    )
    return format_html(
        "<p><strong>{}</strong></p><ul>{}</ul>",
        {"eligible": _("符合"), "ineligible": _("不符合"), "undetermined": _("无法判断")}.get(
            explanation.outcome, explanation.outcome
        ),
        items,
    )


class RecordAdmin(admin.ModelAdmin):
    """Records that only services write: staff view them and act through actions and buttons."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_act_permission(self, request) -> bool:
        """Whether the user may run this model's actions (the model's change permission)."""
        opts = self.model._meta
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")


class AwardEventInline(admin.TabularInline):
    model = AwardEvent
    extra = 0
    can_delete = False
    fields = ("at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("办理记录")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AwardPeriodFilter(KnownValuesFilter):
    """The periods of the schemes (an award's period is its scheme's), not of millions of awards."""

    title = gettext_lazy("兑现批次")
    parameter_name = "period"

    def lookups(self, request, model_admin):
        periods = Scheme.objects.order_by("period").values_list("period", flat=True).distinct()
        return [(period, period) for period in periods]


@admin.register(AwardEvent)
class AwardEventAdmin(LargeTableAdminMixin, RecordAdmin):
    """Every award's trail (办理记录) in one list: who moved which award, when, from what to what, and why."""

    list_display = ("at", "award_id", "beneficiary", "scheme", "from_status", "to_status", "actor", "note")
    list_filter = ("to_status",)
    search_fields = ("award__enterprise__uscc", "award__enterprise__name", "award__purchase__contract_no")
    list_select_related = ("award__scheme", "award__enterprise", "award__purchase", "actor")
    show_full_result_count = False
    list_per_page = 50
    ordering = ("-at", "-id")

    @admin.display(description=gettext_lazy("兑现对象"))
    def beneficiary(self, event):
        # A household by its contract number: no buyer's name is needed to follow the trail.
        award = event.award
        return award.enterprise.name if award.purchase_id is None else award.purchase.contract_no

    @admin.display(description=gettext_lazy("方案"))
    def scheme(self, event):
        return event.award.scheme.title

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.has_perm("subsidies.view_award"):
            # Staff who handle awards read the trails of the awards they may read.
            return qs.filter(award__in=selectors.staff_awards(user=request.user))
        # The audit administrator reads every trail, and nothing else of the awards.
        return qs


@admin.register(Award)
class AwardAdmin(LargeTableAdminMixin, RecordAdmin):
    list_display = (
        "beneficiary",
        "scheme",
        "period",
        "status",
        money_column(Award, "computed_amount"),
        money_column(Award, "amount"),
        "waitlisted",
        "publicity_to",
        "payment_batch",
    )
    list_filter = ("status", "scheme__beneficiary", "scheme", AwardPeriodFilter, "waitlisted", "scheme__mode")
    # Households by their contract number only: a buyer's name or ID number is never a search key here.
    search_fields = (
        "enterprise__uscc",
        "enterprise__name",
        "purchase__contract_no",
        "scheme__code",
        "scheme__title",
    )
    list_select_related = ("enterprise", "purchase", "scheme", "payment_batch")
    show_full_result_count = False
    list_per_page = 50
    inlines = [AwardEventInline]
    actions = ["approve", "reject", "release", "create_batch", "revoke"]
    readonly_fields = (
        "scheme",
        "enterprise",
        "household",
        "period",
        "status",
        "computed_amount",
        "amount",
        "waitlisted",
        "explanation_view",
        "facts",
        "run",
        "created_at",
        "approved_at",
        "publicity_from",
        "publicity_to",
        "notified_at",
        "confirmed_at",
        "confirmed_by",
        "bank_name",
        "bank_account_name",
        "masked_account",
        "payment_batch",
        "paid_at",
        "reason",
    )
    fieldsets = (
        (None, {"fields": ("scheme", "enterprise", "household", "period", "status", "run", "created_at")}),
        (gettext_lazy("金额"), {"fields": ("computed_amount", "amount", "waitlisted")}),
        (gettext_lazy("判定说明"), {"fields": ("explanation_view", "facts")}),
        (
            gettext_lazy("审核与公示"),
            {"fields": ("approved_at", "publicity_from", "publicity_to", "notified_at", "reason")},
        ),
        (
            gettext_lazy("确认与拨付"),
            {
                "fields": (
                    "confirmed_at",
                    "confirmed_by",
                    "bank_name",
                    "bank_account_name",
                    "masked_account",
                    "payment_batch",
                    "paid_at",
                )
            },
        ),
    )
    change_form_template = "admin/subsidies/award/change_form.html"

    def get_queryset(self, request):
        # Department staff read their department's schemes' awards; the zone-wide roles and finance all.
        return (
            selectors.staff_awards(user=request.user, qs=super().get_queryset(request))
            .select_related("scheme", "enterprise", "purchase", "run", "payment_batch")
            .prefetch_related(
                Prefetch("purchase__buyer_links", queryset=PurchaseBuyer.objects.select_related("person"))
            )
        )

    @admin.display(description=gettext_lazy("兑现对象"))
    def beneficiary(self, award):
        return award.beneficiary_label

    @admin.display(description=gettext_lazy("购房家庭"))
    def household(self, award):
        """The purchase and its buyers, masked (names and ID numbers are never shown whole here)."""
        if not award.is_household:
            return "—"
        purchase = award.purchase
        buyers = "、".join(
            f"{link.person.masked_name}（{link.person.masked_id_number}）"
            for link in sorted(purchase.buyer_links.all(), key=lambda link: link.position)
        )
        place = purchase.address
        if purchase.personal_data_cleared_at:
            cleared = timezone.localdate(purchase.personal_data_cleared_at)
            place = _("个人信息已于 %(day)s 按保存期限清除") % {"day": cleared.isoformat()}
        return format_html(
            "{}<br>{}<br>{}",
            _("网签合同号 %(no)s，%(area)s 平方米，合同日期 %(day)s")
            % {"no": purchase.contract_no, "area": purchase.floor_area, "day": purchase.contract_date},
            place,
            _("购房人：%(buyers)s") % {"buyers": buyers or "—"},
        )

    @admin.display(description=gettext_lazy("判定说明"))
    def explanation_view(self, award):
        return _explanation_html(award)

    @admin.display(description=gettext_lazy("银行账号"))
    def masked_account(self, award):
        return selectors.mask_account(award.bank_account) or "—"

    def get_urls(self):
        return [
            path(
                "<int:pk>/offline-confirm/",
                self.admin_site.admin_view(self.offline_confirm_view),
                name="subsidies_award_offline_confirm",
            ),
            *super().get_urls(),
        ]

    def offline_confirm_view(self, request, pk: int):
        """Record a confirmation the enterprise, or a household's buyer, handed in on paper (线下确认)."""
        if not self.has_act_permission(request):
            raise PermissionDenied
        # Another department's award is not found here, as in the list.
        award = get_object_or_404(
            self.get_queryset(request).select_related("enterprise", "scheme", "purchase"), pk=pk
        )
        if selectors.awards_outside_department(user=request.user, award_ids=[pk]):
            raise PermissionDenied  # finance reads every award, but records confirmations of its own only
        if award.is_household:
            return self._household_offline_confirm(request, award)
        form = OfflineConfirmForm(request.POST or None, enterprise=award.enterprise)
        if request.method == "POST" and form.is_valid():
            try:
                services.award_confirm(
                    award=award,
                    user=request.user,
                    bank_name=form.cleaned_data["bank_name"],
                    bank_account_name=form.cleaned_data["bank_account_name"],
                    bank_account=form.cleaned_data["bank_account"],
                    offline=True,
                )
            except services.AwardError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, _("已录入线下确认。"))
                return redirect("admin:subsidies_award_change", award.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("录入线下确认：%(award)s")
            % {"award": f"{award.enterprise.name} · {award.scheme.title}"},
            "form": form,
            "award": award,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/subsidies/award/offline_confirm.html", context)

    def _household_offline_confirm(self, request, award: Award):
        """A buyer's paper confirmation: staff choose the buyer who signed it and enter their card."""
        buyers = list(award.purchase.buyer_links.select_related("person").order_by("position"))
        form = HouseholdOfflineConfirmForm(request.POST or None, buyers=buyers)
        if request.method == "POST" and form.is_valid():
            try:
                services.household_award_confirm(
                    award=award,
                    person=form.cleaned_data["buyer"],
                    bank_name=form.cleaned_data["bank_name"],
                    bank_account=form.cleaned_data["bank_account"],
                    user=request.user,
                )
            except services.AwardError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, _("已录入购房人的线下确认。"))
                return redirect("admin:subsidies_award_change", award.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("录入线下确认：%(award)s")
            % {"award": f"{award.purchase.contract_no} · {award.scheme.title}"},
            "form": form,
            "award": award,
            "household": True,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/subsidies/award/offline_confirm.html", context)

    @admin.action(description=gettext_lazy("审核通过所选记录"), permissions=["act"])
    def approve(self, request, queryset):
        try:
            count = services.awards_review_bulk(awards=list(queryset), user=request.user, approve=True)
        except services.AwardError as exc:
            return _fail(self, request, exc)
        self.message_user(request, _("已审核通过 %(n)d 条。") % {"n": count}, level=messages.SUCCESS)

    @admin.action(description=gettext_lazy("审核不通过所选记录…"), permissions=["act"])
    def reject(self, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                count = services.awards_review_bulk(
                    awards=list(queryset),
                    user=request.user,
                    approve=False,
                    reason=form.cleaned_data["reason"],
                )
            except services.AwardError as exc:
                return _fail(self, request, exc)
            self.message_user(request, _("已审核不通过 %(n)d 条。") % {"n": count}, level=messages.SUCCESS)
            return None
        return _action_form(
            self,
            request,
            queryset,
            form=form,
            title=_("审核不通过"),
            action="reject",
            button=_("确定不通过"),
        )

    @admin.action(description=gettext_lazy("发布所选已审核记录（公示并通知企业）"), permissions=["act"])
    def release(self, request, queryset):
        try:
            count = services.awards_release(awards=list(queryset), user=request.user)
        except services.AwardError as exc:
            return _fail(self, request, exc)
        self.message_user(
            request,
            _("已发布 %(n)d 条，进入公示并已通知企业；未审核的记录未发布。") % {"n": count},
            level=messages.SUCCESS,
        )

    @admin.action(description=gettext_lazy("将所选已确认记录生成拨付批次…"), permissions=["act"])
    def create_batch(self, request, queryset):
        form = BatchForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                batch = services.payment_batch_create(
                    awards=list(queryset), user=request.user, title=form.cleaned_data["title"]
                )
            except services.AwardError as exc:
                return _fail(self, request, exc)
            self.message_user(
                request, _("已生成拨付批次“%(t)s”。") % {"t": batch.title}, level=messages.SUCCESS
            )
            return HttpResponseRedirect(reverse("admin:subsidies_paymentbatch_change", args=[batch.pk]))
        return _action_form(
            self,
            request,
            queryset,
            form=form,
            title=_("生成拨付批次"),
            action="create_batch",
            button=_("生成批次"),
        )

    @admin.action(description=gettext_lazy("撤销所选记录…"), permissions=["act"])
    def revoke(self, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done, failed = 0, []
            for award in queryset.select_related("enterprise"):
                try:
                    services.award_revoke(award=award, reason=form.cleaned_data["reason"], user=request.user)
                    done += 1
                except services.AwardError as exc:
                    failed.append(f"{award.enterprise.name}：{exc}")
            self.message_user(request, _("已撤销 %(n)d 条。") % {"n": done}, level=messages.SUCCESS)
            for line in failed[:20]:
                self.message_user(request, line, level=messages.WARNING)
            return None
        return _action_form(
            self, request, queryset, form=form, title=_("撤销兑现"), action="revoke", button=_("确定撤销")
        )


@admin.register(MatchRun)
class MatchRunAdmin(RecordAdmin):
    list_display = ("__str__", "trigger", "status", "dry_run", "award_count", "finished_at", "released_at")
    list_filter = ("status", "trigger", "dry_run")
    actions = ["release"]
    readonly_fields = (
        "trigger",
        "status",
        "scheme_codes",
        "enterprise_ids",
        "dry_run",
        "chunk_count",
        "started_at",
        "finished_at",
        "released_at",
        "released_by",
        "error",
        "diff",
        "review",
    )
    fields = readonly_fields

    def get_queryset(self, request):
        return selectors.runs_recent()

    @admin.display(description=gettext_lazy("兑现记录"))
    def award_count(self, run):
        return run.award_count

    @admin.display(description=gettext_lazy("比对结果与变化"))
    def diff(self, run):
        if not run.totals:
            return "—"
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("方案"),
            _("符合"),
            _("待补充数据"),
            _("新增"),
            _("不再符合"),
            _("金额（元）"),
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td><a href='{}'>{}</a></td><td>{}</td><td><a href='{}'>{}</a></td>"
            "<td>{}</td></tr>",
            (
                (
                    code,
                    t.get("eligible", 0),
                    reverse("admin:subsidies_undetermined_changelist") + f"?run__id__exact={run.pk}",
                    t.get("undetermined", 0),
                    t.get("new", 0),
                    reverse("admin:subsidies_lostcandidate_changelist") + f"?run__id__exact={run.pk}",
                    t.get("lost", 0),
                    yuan(t.get("amount")),
                )
                for code, t in sorted(run.totals.items())
                if isinstance(t, dict)
            ),
        )
        return format_html("<table>{}{}</table>", header, rows)

    @admin.display(description=gettext_lazy("审核进度"))
    def review(self, run):
        counts = selectors.run_awards_by_status(run=run)
        base = reverse("admin:subsidies_award_changelist") + f"?run__id__exact={run.pk}"
        return format_html_join(
            " · ",
            "<a href='{}&status__exact={}'>{} {}（{} 元）</a>",
            (
                (base, status, AwardStatus(status).label, c["count"], yuan(c["amount"]))
                for status, c in counts.items()
            ),
        ) or _("无兑现记录")

    @admin.action(description=gettext_lazy("发布所选批次的已审核记录（公示并通知企业）"), permissions=["act"])
    def release(self, request, queryset):
        for run in queryset:
            try:
                count = services.run_release(run=run, user=request.user)
            except services.AwardError as exc:
                _fail(self, request, exc)
                continue
            self.message_user(
                request,
                _("比对批次 %(run)s：已发布 %(n)d 条。") % {"run": run, "n": count},
                level=messages.SUCCESS,
            )


@admin.register(Undetermined)
class UndeterminedAdmin(RecordAdmin):
    list_display = ("enterprise", "purchase", "scheme", "run", "missing")
    list_filter = ("run", "scheme__beneficiary", "scheme")
    search_fields = ("enterprise__uscc", "enterprise__name", "purchase__contract_no")
    list_select_related = ("enterprise", "purchase", "scheme", "run")
    readonly_fields = ("run", "scheme", "enterprise", "purchase", "missing")
    show_full_result_count = False


@admin.register(MatchFailure)
class MatchFailureAdmin(RecordAdmin):
    list_display = ("scheme", "enterprise", "purchase", "message", "run", "id_from", "id_to", "created_at")
    list_filter = ("run", "scheme__beneficiary", "scheme")
    search_fields = (
        "enterprise__uscc",
        "enterprise__name",
        "purchase__contract_no",
        "scheme__code",
        "message",
    )
    list_select_related = ("enterprise", "purchase", "scheme", "run")
    readonly_fields = ("run", "scheme", "enterprise", "purchase", "id_from", "id_to", "message", "created_at")
    show_full_result_count = False


class BatchAwardInline(admin.TabularInline):
    model = Award
    fk_name = "payment_batch"
    extra = 0
    can_delete = False
    fields = ("enterprise", "scheme", "amount_money", "status", "bank_name", "masked_account", "paid_at")
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("批次中的兑现记录")

    @admin.display(description=gettext_lazy("兑现金额"))
    def amount_money(self, award):
        return money_text(award.amount)

    @admin.display(description=gettext_lazy("银行账号"))
    def masked_account(self, award):
        return selectors.mask_account(award.bank_account)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class BatchExportInline(admin.TabularInline):
    model = PaymentBatchExport
    extra = 0
    can_delete = False
    fields = ("exported_at", "exported_by", "fmt")
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("导出记录")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PaymentBatch)
class PaymentBatchAdmin(RecordAdmin):
    list_display = (
        "title",
        "status",
        money_column(PaymentBatch, "total"),
        "created_by",
        "created_at",
        "exported_at",
        "paid_at",
    )
    list_filter = ("status",)
    search_fields = ("title", "paid_reference")
    readonly_fields = (
        "title",
        "status",
        "total",
        "created_by",
        "created_at",
        "exported_at",
        "paid_at",
        "paid_reference",
    )
    fields = readonly_fields
    inlines = [BatchAwardInline, BatchExportInline]
    change_form_template = "admin/subsidies/paymentbatch/change_form.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/export/<str:fmt>/", view(self.export_view), name="subsidies_paymentbatch_export"),
            path("<int:pk>/paid/", view(self.mark_paid_view), name="subsidies_paymentbatch_paid"),
            *super().get_urls(),
        ]

    def export_view(self, request, pk: int, fmt: str):
        """The batch's file for the bank, as CSV or XLSX: a POST, as it records the export and may move the
        batch to exported (a link or a prefetching browser must not)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_act_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(PaymentBatch, pk=pk)
        try:
            download = services.payment_batch_export(batch=batch, fmt=fmt, user=request.user)
        except services.AwardError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
            return redirect("admin:subsidies_paymentbatch_change", pk)
        return download.response()

    def mark_paid_view(self, request, pk: int):
        """Record that the bank paid the batch, with its reference."""
        if not self.has_act_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(PaymentBatch, pk=pk)
        form = MarkPaidForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.payment_batch_mark_paid(
                    batch=batch, user=request.user, reference=form.cleaned_data["reference"]
                )
            except services.AwardError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, _("已标记拨付。"), level=messages.SUCCESS)
                return redirect("admin:subsidies_paymentbatch_change", pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("标记拨付：%(title)s") % {"title": batch.title},
            "form": form,
            "batch": batch,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/subsidies/paymentbatch/mark_paid.html", context)


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    """兑现方案: rules built in a form and validated before saving; saved through the scheme service."""

    form = SchemeForm
    list_display = (
        "code",
        "title",
        "policy",
        "mode",
        "beneficiary",
        "status",
        "period",
        money_column(Scheme, "budget"),
        money_column(Scheme, "committed"),
        "allocation",
    )
    list_filter = ("mode", "beneficiary", "status", "allocation", "period")
    search_fields = ("code", "title", "policy__title", "policy__code")
    list_select_related = ("policy",)
    autocomplete_fields = ()
    actions = ["allocate"]
    change_form_template = "admin/subsidies/scheme/change_form.html"
    fieldsets = (
        (None, {"fields": ("policy", "code", "title", "mode", "beneficiary", "status")}),
        (gettext_lazy("数据与批次"), {"fields": ("facts_year", "reference_date", "period")}),
        (
            gettext_lazy("资格规则"),
            {
                "fields": (
                    "eligibility_mode",
                    "combinator",
                    *[
                        (f"cond_{i}_variable", f"cond_{i}_op", f"cond_{i}_value", f"cond_{i}_other")
                        for i in range(RULE_ROWS)
                    ],
                    "eligibility_formula",
                    "eligibility_json",
                ),
                "description": gettext_lazy(
                    "每行一个条件：选择数据项和比较方式，填写比较值，或选择与另一数据项比较"
                    "（如 研发费用 ＞ 上年研发费用）。保存前会校验规则，并确认数据库与逐条说明的判定一致。"
                ),
            },
        ),
        (
            gettext_lazy("金额规则（元）"),
            {
                "fields": (
                    "amount_kind",
                    "amount_fixed",
                    ("amount_variable", "amount_minus", "amount_factor"),
                    "amount_formula",
                    "amount_json",
                    "cap_per_enterprise",
                )
            },
        ),
        (
            gettext_lazy("预算与兑现"),
            {"fields": ("budget", "committed", "allocation", "exclusive_group", "top_up", "publicity_days")},
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        # The code names the scheme in imports and runs; a new code is a new scheme.
        return ("committed", "code") if obj is not None else ("committed",)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from subsidies.schemes import scheme_upsert

        scheme = scheme_upsert(data=form.scheme_data)
        obj.pk = scheme.pk
        obj.refresh_from_db()

    def get_urls(self):
        return [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="subsidies_scheme_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, pk: int):
        """试算: how the scheme's rule reads one enterprise of the registry, clause by clause."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        scheme = get_object_or_404(Scheme.objects.select_related("policy"), pk=pk)
        form = PreviewForm(request.GET or None)
        result = None
        if form.is_bound and form.is_valid():
            result = selectors.scheme_preview(scheme=scheme, query=form.cleaned_data["uscc"])
            if result is None:
                form.add_error("uscc", _("企业档案中没有找到该企业。"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("试算：%(scheme)s") % {"scheme": scheme.title},
            "scheme": scheme,
            "form": form,
            "result": result,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/subsidies/scheme/preview.html", context)

    @admin.action(description=gettext_lazy("按预算比例核减所选方案的已审核记录"), permissions=["change"])
    def allocate(self, request, queryset):
        for scheme in queryset:
            try:
                result = services.scheme_allocate(scheme=scheme, user=request.user)
            except services.AwardError as exc:
                _fail(self, request, exc)
                continue
            message = (
                _(
                    "%(scheme)s：核定合计 %(total)s 元超出可分配 %(available)s 元，"
                    "已按比例核减为 %(allocated)s 元。"
                )
                if result["scaled"]
                else _("%(scheme)s：核定合计 %(total)s 元未超出可分配 %(available)s 元，按核定金额兑现。")
            )
            self.message_user(
                request,
                message
                % {
                    "scheme": scheme.title,
                    "total": yuan(result["total"]),
                    "available": yuan(result["available"]),
                    "allocated": yuan(result["allocated"]),
                },
                level=messages.SUCCESS,
            )


@admin.register(LostCandidate)
class LostCandidateAdmin(RecordAdmin):
    list_display = ("award", "award_status", "run")
    list_filter = ("run",)
    search_fields = ("award__enterprise__uscc", "award__enterprise__name")
    list_select_related = ("award", "award__enterprise", "award__scheme", "run")
    readonly_fields = ("run", "award")

    @admin.display(description=gettext_lazy("当前状态"))
    def award_status(self, lost):
        return lost.award.get_status_display()
