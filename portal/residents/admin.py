"""Residents' records in admin: read-only, masked, and opened or exported only with a stated purpose."""

import datetime as dt

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import ImportRecord
from portal.fields import lookup_hash
from portal.importing import import_run
from portal.residents import services
from portal.residents.forms import DeedTaxImportForm, PurposeForm
from portal.residents.models import (
    HousePurchase,
    Person,
    PersonAccess,
    PurchaseBuyer,
    normalize_id_number,
    normalize_mobile,
)
from portal.tabular import ImportFileError

# How long a stated purpose opens a person's record in this session.
ACCESS_GRANT = dt.timedelta(minutes=15)
SESSION_KEY = "resident_access"


def _granted(request, key: str) -> bool:
    until = request.session.get(SESSION_KEY, {}).get(key)
    return bool(until) and dt.datetime.fromisoformat(until) > timezone.now()


def _grant(request, key: str) -> None:
    grants = {
        k: v
        for k, v in request.session.get(SESSION_KEY, {}).items()
        if dt.datetime.fromisoformat(v) > timezone.now()
    }
    grants[key] = (timezone.now() + ACCESS_GRANT).isoformat()
    request.session[SESSION_KEY] = grants


class ReadOnlyAdmin(admin.ModelAdmin):
    """The records come from the tax bureau's file and leave by the purge: admin reads them, never edits."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PurposeGateAdmin(ReadOnlyAdmin):
    """A record of personal data opens only after staff state a purpose.

    Subclasses define ``record_open(obj, *, user, purpose)``, calling the service that logs the access.
    """

    purpose_title = _("查看居民信息：说明用途")

    def _gate_key(self, pk) -> str:
        return f"{self.model._meta.model_name}:{pk}"

    def _url_name(self, view: str) -> str:
        return f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_{view}"

    def get_urls(self):
        opts = self.model._meta
        urls = [
            path(
                "<int:pk>/purpose/",
                self.admin_site.admin_view(self.purpose_view),
                name=f"{opts.app_label}_{opts.model_name}_purpose",
            )
        ]
        return urls + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not str(object_id).isdigit():
            raise Http404  # no record has such a key
        if not _granted(request, self._gate_key(object_id)):
            return HttpResponseRedirect(reverse(self._url_name("purpose"), args=[object_id]))
        return super().change_view(request, object_id, form_url, extra_context)

    def purpose_view(self, request, pk):
        """Staff say why they open the record; the service logs it, then the record opens."""
        obj = self.get_object(request, str(pk))
        if obj is None or not self.has_view_permission(request, obj):
            raise PermissionDenied
        form = PurposeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                self.record_open(obj, user=request.user, purpose=form.cleaned_data["purpose"])
            except services.ResidentError as exc:
                form.add_error("purpose", str(exc))
            else:
                _grant(request, self._gate_key(pk))
                return HttpResponseRedirect(reverse(self._url_name("change"), args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": self.purpose_title,
            "subject": obj,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/residents/purpose.html", context)


class PurchaseOfPersonInline(admin.TabularInline):
    model = PurchaseBuyer
    fk_name = "person"
    extra = 0
    can_delete = False
    fields = ("purchase", "position", "address", "contract_date", "deed_tax")
    readonly_fields = fields
    verbose_name = _("购房记录")
    verbose_name_plural = _("购房记录")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("purchase")

    @admin.display(description=_("房屋坐落"))
    def address(self, link):
        return link.purchase.address

    @admin.display(description=_("合同签订日期"))
    def contract_date(self, link):
        return link.purchase.contract_date

    @admin.display(description=_("契税税额（元）"))
    def deed_tax(self, link):
        return link.purchase.deed_tax

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(PurposeGateAdmin):
    list_display = ("masked_name", "masked_id_number", "masked_mobile", "purchase_count", "created_at")
    search_fields = ("name",)
    search_help_text = _("输入完整身份证号或手机号精确查找，或输入姓名")
    fields = (
        "masked_name",
        "masked_id_number",
        "masked_mobile",
        "privacy_accepted_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = [PurchaseOfPersonInline]
    actions = ["export_masked"]
    list_per_page = 50
    show_full_result_count = False
    change_list_template = "admin/residents/person/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(purchase_total=Count("purchase_links"))

    @admin.display(description=_("姓名"))
    def masked_name(self, person):
        return person.masked_name

    @admin.display(description=_("居民身份证号"))
    def masked_id_number(self, person):
        return person.masked_id_number

    @admin.display(description=_("手机号"))
    def masked_mobile(self, person):
        return person.masked_mobile

    @admin.display(description=_("购房记录数"))
    def purchase_count(self, person):
        return person.purchase_total

    def get_search_results(self, request, queryset, search_term):
        # Numbers are encrypted: a whole ID or mobile number is found by its keyed hash, never by a fragment.
        term = search_term.strip()
        for normalize, field in ((normalize_id_number, "id_number_hash"), (normalize_mobile, "mobile_hash")):
            try:
                value = normalize(term)
            except ValidationError:
                continue
            return queryset.filter(**{field: lookup_hash(value)}), False
        return super().get_search_results(request, queryset, search_term)

    def get_urls(self):
        urls = [
            path("import/", self.admin_site.admin_view(self.import_view), name="residents_deed_tax_import")
        ]
        return urls + super().get_urls()

    def record_open(self, obj, *, user, purpose: str) -> None:
        services.person_record_open(person=obj, user=user, purpose=purpose)

    @admin.action(description=_("导出所选居民（脱敏 CSV，须说明用途）"), permissions=["view"])
    def export_masked(self, request, queryset):
        form = PurposeForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                download = services.persons_export(
                    persons=list(queryset), user=request.user, purpose=form.cleaned_data["purpose"]
                )
            except services.ResidentError as exc:
                form.add_error("purpose", str(exc))
            else:
                return download.response()
        context = {
            **self.admin_site.each_context(request),
            "title": _("导出居民信息：说明用途"),
            "persons": queryset,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/residents/export.html", context)

    def import_view(self, request):
        """Upload the deed-tax file and see the report; the same service as ``import_deed_tax``."""
        if not request.user.has_perm("residents.add_housepurchase"):
            raise PermissionDenied
        report, file_error = None, None
        form = DeedTaxImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = import_run(
                    kind=ImportRecord.Kind.DEED_TAX,
                    service=services.deed_tax_import,
                    user=request.user,
                    data=upload.read(),
                    filename=upload.name,
                    dry_run=form.cleaned_data["dry_run"],
                )
            except ImportFileError as exc:
                file_error = str(exc)
            else:
                if report.ok:
                    messages.success(request, report.summary())
        context = {
            **self.admin_site.each_context(request),
            "title": _("导入契税数据"),
            "form": form,
            "report": report,
            "file_error": file_error,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/residents/import.html", context)


class BuyerInline(admin.TabularInline):
    model = PurchaseBuyer
    fk_name = "purchase"
    extra = 0
    can_delete = False
    fields = ("position", "person")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(HousePurchase)
class HousePurchaseAdmin(PurposeGateAdmin):
    list_display = (
        "contract_no",
        "address",
        "contract_date",
        "floor_area",
        "price",
        "is_new_build",
        "deed_tax",
        "deed_tax_paid_on",
        "paid_at",
    )
    list_filter = ("is_new_build", "contract_date")
    search_fields = ("contract_no",)
    date_hierarchy = "contract_date"
    readonly_fields = (
        "contract_no",
        "address",
        "floor_area",
        "price",
        "is_new_build",
        "contract_date",
        "deed_tax",
        "deed_tax_paid_on",
        "paid_at",
    )
    inlines = [BuyerInline]
    list_per_page = 50
    show_full_result_count = False
    purpose_title = _("查看购房记录：说明用途")

    def record_open(self, obj, *, user, purpose: str) -> None:
        services.purchase_record_open(purchase=obj, user=user, purpose=purpose)


@admin.register(PersonAccess)
class PersonAccessAdmin(ReadOnlyAdmin):
    list_display = ("at", "username", "action", "person_label", "purpose")
    list_filter = ("action",)
    search_fields = ("username", "purpose")
    date_hierarchy = "at"
    readonly_fields = ("at", "username", "action", "person_label", "purpose")
    exclude = ("person", "user")
    show_full_result_count = False
