from django.apps import apps
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import ImportRecord
from portal.content import services
from portal.content.forms import ArticleAdminForm, IndicatorImportForm
from portal.content.models import (
    Article,
    ArticleCategory,
    Faq,
    FaqCategory,
    FaqFeedback,
    Indicator,
    LearnedPhrasing,
    SynonymGroup,
)
from portal.importing import import_run
from portal.params import id_param
from portal.tabular import ImportFileError


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleAdminForm
    change_form_template = "content/admin/article_change_form.html"
    list_display = ("title", "category", "status", "publish_at", "is_public_display", "author")
    list_filter = ("category", "status")
    search_fields = ("title", "summary", "slug")
    date_hierarchy = "publish_at"
    filter_horizontal = ("related_policies",)
    readonly_fields = ("created_by", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("category", "title", "slug", "summary", "body", "cover", "author")}),
        (_("发布"), {"fields": ("status", "publish_at")}),
        (_("相关政策"), {"fields": ("related_policies",), "description": _("政策解读请关联所解读的政策。")}),
        (_("记录"), {"fields": ("created_by", "created_at", "updated_at"), "classes": ("collapse",)}),
    )

    @admin.display(description=_("前台可见"), boolean=True)
    def is_public_display(self, obj):
        return obj.is_public

    def save_model(self, request, obj, form, change):
        cover = None
        if "cover" in form.changed_data and form.cleaned_data.get("cover"):
            cover = form.cleaned_data["cover"]
            # The service stores the checked and resized image, not the raw upload the form put here.
            obj.cover = Article.objects.filter(pk=obj.pk).values_list("cover", flat=True).first() or ""
        services.article_save(article=obj, cover=cover, user=request.user)

    def get_urls(self):
        preview = path(
            "preview/", self.admin_site.admin_view(self.preview_view), name="content_article_preview"
        )
        return [preview, *super().get_urls()]

    def preview_view(self, request):
        """The article as the public page would show it, from the form's unsaved fields."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        if request.method != "POST":
            return redirect(reverse("admin:content_article_changelist"))
        data = request.POST
        category = (
            data.get("category") if data.get("category") in ArticleCategory.values else ArticleCategory.NEWS
        )
        article = Article(
            category=category,
            title=data.get("title", ""),
            summary=data.get("summary", ""),
            body=data.get("body", ""),
            author=data.get("author", ""),
            publish_at=timezone.now(),
        )
        policy_ids = [v for v in data.getlist("related_policies") if id_param(v)]
        article.public_policies = list(apps.get_model("policies", "Policy").objects.filter(pk__in=policy_ids))
        return render(request, "content/article_detail.html", {"article": article, "preview": True})


@admin.register(FaqCategory)
class FaqCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "order", "desk_category", "faq_count")
    list_editable = ("order",)
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(faq_total=Count("faqs"))

    @admin.display(description=_("问题数"), ordering="faq_total")
    def faq_count(self, obj):
        return obj.faq_total


@admin.register(Faq)
class FaqAdmin(admin.ModelAdmin):
    list_display = ("question", "category", "is_published", "helpful", "unhelpful", "updated_at")
    list_filter = ("category", "is_published")
    search_fields = ("question", "keywords", "answer")
    list_select_related = ("category",)
    list_per_page = 50

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                helpful_total=Count("feedback", filter=Q(feedback__helpful=True)),
                unhelpful_total=Count("feedback", filter=Q(feedback__helpful=False)),
            )
        )

    def save_model(self, request, obj, form, change):
        services.faq_save(faq=obj)

    def delete_model(self, request, obj):
        services.faq_delete(faq=obj)

    def delete_queryset(self, request, queryset):
        for faq in queryset:
            services.faq_delete(faq=faq)

    @admin.display(description=_("有帮助"), ordering="helpful_total")
    def helpful(self, obj):
        return obj.helpful_total

    @admin.display(description=_("没有帮助"), ordering="unhelpful_total")
    def unhelpful(self, obj):
        return obj.unhelpful_total


@admin.register(FaqFeedback)
class FaqFeedbackAdmin(admin.ModelAdmin):
    list_display = ("faq", "helpful", "query", "created_at")
    list_filter = ("helpful",)
    list_select_related = ("faq",)
    search_fields = ("faq__question", "query")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LearnedPhrasing)
class LearnedPhrasingAdmin(admin.ModelAdmin):
    """The wordings the instant answers learned from visitors' votes: seen, and deleted when wrong."""

    list_display = ("text", "faq", "sessions", "created_at")
    list_filter = ("faq__category",)
    list_select_related = ("faq",)
    search_fields = ("text", "faq__question")
    readonly_fields = ("faq", "text", "sessions", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.learned_phrasing_delete(phrasing=obj)

    def delete_queryset(self, request, queryset):
        for phrasing in queryset:
            services.learned_phrasing_delete(phrasing=phrasing)


@admin.register(SynonymGroup)
class SynonymGroupAdmin(admin.ModelAdmin):
    list_display = ("__str__",)
    search_fields = ("words",)

    def save_model(self, request, obj, form, change):
        services.synonym_group_save(group=obj)

    def delete_model(self, request, obj):
        services.synonym_group_delete(group=obj)

    def delete_queryset(self, request, queryset):
        for group in queryset:
            services.synonym_group_delete(group=group)


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("period", "name", "value", "unit", "yoy_growth", "source", "order")
    list_filter = ("period",)
    search_fields = ("name",)
    change_list_template = "content/admin/indicator_change_list.html"

    def get_urls(self):
        imports = path(
            "import/", self.admin_site.admin_view(self.import_view), name="content_indicator_import"
        )
        return [imports, *super().get_urls()]

    def import_view(self, request):
        """Upload a CSV of indicators and see the report; the same service as the import command."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        report, file_error = None, None
        form = IndicatorImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = import_run(
                    kind=ImportRecord.Kind.INDICATORS,
                    service=services.indicators_import,
                    user=request.user,
                    data=upload.read(),
                    filename=upload.name,
                    dry_run=form.cleaned_data["dry_run"],
                )
            except ImportFileError as exc:
                file_error = str(exc)
            if report is not None and report.ok and not report.dry_run:
                messages.success(request, report.summary())
                return redirect(reverse("admin:content_indicator_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("导入经济指标"),
            "form": form,
            "report": report,
            "file_error": file_error,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "content/admin/indicator_import.html", context)
