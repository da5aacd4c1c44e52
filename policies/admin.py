from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from policies import services
from policies.forms import RepealForm
from policies.models import Attachment, Category, Policy, Subscription
from portal.attachments import validate_attachment
from portal.params import year_param


class PolicyAdminForm(forms.ModelForm):
    """The admin's form (fields from the admin's fieldsets), checked against the catalogue's rules."""

    def _post_clean(self):
        super()._post_clean()
        try:
            services.policy_validate(policy=self.instance)
        except services.PolicyError as exc:
            self.add_error(None, str(exc))


class AttachmentInlineForm(forms.ModelForm):
    class Meta:
        model = Attachment
        fields = ("file", "name")

    name = forms.CharField(
        label=_("文件名"), max_length=200, required=False, help_text=_("留空则用上传的文件名")
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is not None and not self.instance.pk:
            try:
                validate_attachment(upload)
            except ValidationError as exc:
                raise forms.ValidationError(exc.messages) from exc
        return upload


class AttachmentInline(admin.TabularInline):
    model = Attachment
    form = AttachmentInlineForm
    extra = 1
    fields = ("file", "name", "kind", "size", "uploaded_at")
    readonly_fields = ("kind", "size", "uploaded_at")

    def has_change_permission(self, request, obj=None):
        # Existing attachments are replaced (delete and upload), not edited in place.
        return False


class PublishedYearFilter(admin.SimpleListFilter):
    title = _("发布年份")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = Policy.objects.exclude(published_on=None).dates("published_on", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request, queryset):
        year = year_param(self.value())
        if year is not None:
            return queryset.filter(published_on__year=year)
        return queryset


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    form = PolicyAdminForm
    list_display = ("title", "code", "doc_number", "department", "published_on", "status_now", "guide_how")
    list_filter = ("status", "department", "categories", "guide_how", PublishedYearFilter)
    search_fields = ("title", "code", "doc_number", "summary")
    list_select_related = ("department",)
    filter_horizontal = ("categories",)
    autocomplete_fields = ("superseded_by",)
    readonly_fields = (
        "status",
        "preview_links",
        "published_at",
        "published_by",
        "repeal_reason",
        "repealed_at",
        "repealed_by",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "code",
                    "title",
                    "doc_number",
                    "department",
                    "categories",
                    "tags",
                    ("published_on", "effective_from", "effective_to"),
                    "superseded_by",
                )
            },
        ),
        (_("内容"), {"fields": ("summary", "body")}),
        (
            _("申兑指南"),
            {
                "fields": (
                    "guide_beneficiaries",
                    "guide_conditions",
                    "guide_how",
                    "guide_deadline",
                    "guide_office",
                    "guide_phone",
                )
            },
        ),
        (
            _("状态"),
            {
                "fields": (
                    "status",
                    "preview_links",
                    ("published_at", "published_by"),
                    "repeal_reason",
                    ("repealed_at", "repealed_by"),
                    ("created_at", "updated_at"),
                )
            },
        ),
    )
    inlines = [AttachmentInline]
    actions = ["publish_selected", "repeal_selected"]
    list_per_page = 50

    @admin.display(description=_("状态"), ordering="status")
    def status_now(self, obj):
        return obj.get_current_status_display()

    @admin.display(description=_("预览"))
    def preview_links(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}" target="_blank">{}</a> · <a href="{}" target="_blank">{}</a>',
            reverse("policies:detail", kwargs={"code": obj.code}),
            _("预览政策页面"),
            reverse("policies:print", kwargs={"code": obj.code}),
            _("打印版"),
        )

    def save_model(self, request, obj, form, change):
        # Categories are saved with the form's many-to-many data (save_related), after this.
        services.policy_save(policy=obj, user=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Attachment:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)
        for attachment in formset.deleted_objects:
            services.policy_attachment_remove(attachment=attachment)
        for inline in formset.forms:
            upload = inline.cleaned_data.get("file") if hasattr(inline, "cleaned_data") else None
            if inline.instance.pk is None and upload and not inline.cleaned_data.get("DELETE"):
                services.policy_attachment_add(
                    policy=form.instance, file=upload, name=inline.cleaned_data.get("name") or upload.name
                )
        return None

    @admin.action(description=_("发布所选政策"), permissions=["change"])
    def publish_selected(self, request, queryset):
        done = 0
        for policy in queryset.order_by("pk"):
            try:
                services.policy_publish(policy=policy, user=request.user)
                done += 1
            except services.PolicyError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        if done:
            self.message_user(
                request, ngettext("已发布 %d 项政策。", "已发布 %d 项政策。", done) % done, messages.SUCCESS
            )

    @admin.action(description=_("废止所选政策…"), permissions=["change"])
    def repeal_selected(self, request, queryset):
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = RepealForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done = 0
            for policy in queryset.order_by("pk"):
                try:
                    services.policy_repeal(
                        policy=policy, reason=form.cleaned_data["reason"], user=request.user
                    )
                    done += 1
                except services.PolicyError as exc:
                    self.message_user(request, str(exc), messages.ERROR)
            if done:
                self.message_user(
                    request,
                    ngettext("已废止 %d 项政策。", "已废止 %d 项政策。", done) % done,
                    messages.SUCCESS,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("废止政策"),
            "form": form,
            "policies": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/policies/policy/repeal.html", context)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "order")
    list_editable = ("order",)
    search_fields = ("name", "slug")


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("user", "category", "created_at")
    list_filter = ("category",)
    search_fields = ("user__username", "user__display_name", "user__enterprise__name")
    list_select_related = ("user", "category")
    readonly_fields = ("user", "category", "created_at")

    def has_add_permission(self, request):
        # Enterprises choose their subscriptions themselves.
        return False

    def has_change_permission(self, request, obj=None):
        return False
