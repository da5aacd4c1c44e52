from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import ImportRecord
from portal.admin_site import money_column
from portal.enterprises import services
from portal.enterprises.forms import ImportForm
from portal.enterprises.models import INDUSTRY_SECTIONS, AnnualReport, Enterprise, Qualification
from portal.importing import import_run
from portal.paginators import KnownValuesFilter, LargeTableAdminMixin
from portal.tabular import ImportFileError


class AnnualReportInline(admin.TabularInline):
    model = AnnualReport
    extra = 0
    fields = ("year", "revenue", "rd_expense", "employees", "tax_paid", "source", "as_of")


class QualificationInline(admin.TabularInline):
    model = Qualification
    extra = 0
    fields = ("code", "year_awarded", "valid_until", "source", "as_of")


class IndustrySectionFilter(KnownValuesFilter):
    """The sections of GB/T 4754, with their names, rather than a scan of the registry for its letters."""

    title = _("行业门类")
    parameter_name = "industry_section"

    def lookups(self, request, model_admin):
        return [(code, f"{code} {name}") for code, name in INDUSTRY_SECTIONS]


@admin.register(Enterprise)
class EnterpriseAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "uscc",
        "park",
        "industry_code",
        "registered_on",
        "is_above_scale",
        "credit_rating",
        "blacklisted",
    )
    list_filter = ("park", "is_above_scale", "credit_rating", "blacklisted", IndustrySectionFilter)
    search_fields = ("uscc", "name")
    readonly_fields = ("industry_section", "industry_division", "updated_at")
    inlines = [QualificationInline, AnnualReportInline]
    list_per_page = 50
    show_full_result_count = False
    change_list_template = "admin/enterprises/enterprise/change_list.html"

    def get_urls(self):
        urls = [path("import/", self.admin_site.admin_view(self.import_view), name="enterprises_import")]
        return urls + super().get_urls()

    def import_view(self, request):
        """Upload a registry file and see the report; the same services as the import commands."""
        if not request.user.has_perm("enterprises.change_enterprise"):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        report, file_error = None, None
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            service, kind = (
                (services.enterprises_import, ImportRecord.Kind.ENTERPRISES)
                if form.cleaned_data["kind"] == "enterprises"
                else (services.annual_reports_import, ImportRecord.Kind.ANNUAL_REPORTS)
            )
            try:
                report = import_run(
                    kind=kind,
                    service=service,
                    user=request.user,
                    data=upload.read(),
                    filename=upload.name,
                    dry_run=form.cleaned_data["dry_run"],
                    source=form.cleaned_data["source"],
                    as_of=form.cleaned_data["as_of"],
                )
            except ImportFileError as exc:
                file_error = str(exc)
        context = {
            **self.admin_site.each_context(request),
            "title": _("导入企业数据"),
            "form": form,
            "report": report,
            "file_error": file_error,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/enterprises/import.html", context)


@admin.register(AnnualReport)
class AnnualReportAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = (
        "enterprise",
        "year",
        money_column(AnnualReport, "revenue", unit="万元"),
        money_column(AnnualReport, "rd_expense", unit="万元"),
        "employees",
        money_column(AnnualReport, "tax_paid", unit="万元"),
        "source",
    )
    list_filter = ("year", "source")
    search_fields = ("enterprise__uscc", "enterprise__name")
    list_select_related = ("enterprise",)
    autocomplete_fields = ("enterprise",)
    show_full_result_count = False


@admin.register(Qualification)
class QualificationAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("enterprise", "code", "year_awarded", "valid_until", "source")
    list_filter = ("code", "year_awarded", "source")
    search_fields = ("enterprise__uscc", "enterprise__name")
    list_select_related = ("enterprise",)
    autocomplete_fields = ("enterprise",)
    show_full_result_count = False
