"""The awards API: an enterprise reads and answers its own awards, staff read all; schemes are public."""

import django_filters
from django.http import Http404
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import register_conflict_error
from portal.enterprises.models import CreditRating, Park, QualificationCode
from subsidies import selectors, services
from subsidies.models import Award, AwardStatus, Scheme, SchemeMode

register_conflict_error(services.AwardError)

NOT_OWNER = gettext_lazy("只有企业法定代表人账号可以确认或放弃兑现，经办人账号只能查看。")


class ClauseSerializer(serializers.Serializer):
    text = serializers.CharField(
        help_text="条件的白话说明，例如“2022 年研发费用 350 万元，不低于 100 万元”"
        "“贵企业已获得高新技术企业资质”；是否满足以 status 为准"
    )
    status = serializers.CharField(help_text="pass（满足）、fail（不满足）或 unknown（数据缺失，无法判断）")
    variable = serializers.CharField(allow_null=True, help_text="条件所依据的变量名，如 rd_expense")


class ExplanationSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    trace = ClauseSerializer(many=True)


class SchemeBriefSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    policy = serializers.CharField(source="policy.code")


class EnterpriseBriefSerializer(serializers.Serializer):
    uscc = serializers.CharField()
    name = serializers.CharField()


class AwardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    scheme = SchemeBriefSerializer()
    enterprise = EnterpriseBriefSerializer(allow_null=True)
    # A household award's 主购房人, masked (张*明（4101**********1234）); null for an enterprise's.
    household = serializers.SerializerMethodField()
    period = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    computed_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    waitlisted = serializers.BooleanField()
    explanation = serializers.SerializerMethodField()
    publicity_from = serializers.DateField(allow_null=True)
    publicity_to = serializers.DateField(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    bank_account = serializers.SerializerMethodField(help_text="只显示后 4 位")
    paid_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()

    def get_household(self, award) -> str | None:
        return award.beneficiary_label if award.is_household else None

    @extend_schema(responses=ExplanationSerializer(allow_null=True))
    def get_explanation(self, award) -> dict | None:
        explanation = selectors.explanation_of(award)
        if explanation is None:
            return None
        return {
            "outcome": explanation.outcome,
            "trace": [
                {"text": selectors.readable(c.text), "status": c.status, "variable": c.variable}
                for c in explanation.trace
            ],
        }

    def get_bank_account(self, award) -> str:
        return selectors.mask_account(award.bank_account)


class AwardFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=AwardStatus.choices)
    scheme = django_filters.CharFilter(field_name="scheme__code", help_text="方案代码")
    policy = django_filters.CharFilter(field_name="scheme__policy__code", help_text="政策代码")
    period = django_filters.CharFilter()
    uscc = django_filters.CharFilter(field_name="enterprise__uscc", help_text="统一社会信用代码（工作人员）")
    waitlisted = django_filters.BooleanFilter()

    class Meta:
        model = Award
        fields = ["status", "scheme", "policy", "period", "uscc", "waitlisted"]


class AwardListApi(generics.ListAPIView):
    """Awards: an enterprise's members see its released awards, staff see all; with filters."""

    serializer_class = AwardSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = AwardFilter

    def get_queryset(self):
        return selectors.awards_visible_to(user=self.request.user).order_by("-id")


class AwardDetailApi(APIView):
    """One award the user may see (404 for another enterprise's)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=AwardSerializer)
    def get(self, request, pk: int):
        return Response(AwardSerializer(_award(request, pk)).data)


def _award(request, pk: int) -> Award:
    try:
        return selectors.award_detail(user=request.user, pk=pk)
    except Award.DoesNotExist:
        raise Http404 from None


def _answerable(request, pk: int) -> Award:
    award = _award(request, pk)
    if not selectors.can_answer(user=request.user, award=award):
        raise PermissionDenied(NOT_OWNER)
    return award


class ConfirmSerializer(serializers.Serializer):
    bank_name = serializers.CharField(max_length=100)
    bank_account_name = serializers.CharField(max_length=200, help_text="须与企业名称一致")
    bank_account = serializers.CharField(max_length=40, help_text="8 至 30 位数字")

    def validate_bank_account(self, value: str) -> str:
        try:
            return services.clean_bank_account(value)
        except services.AwardError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_bank_account_name(self, value: str) -> str:
        name = self.context["award"].enterprise.name
        if value.strip() != name:
            raise serializers.ValidationError(
                gettext("账户名称须与企业名称“%(name)s”一致。") % {"name": name}
            )
        return value.strip()


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500,
        error_messages={
            "required": gettext_lazy("请填写放弃兑现的原因。"),
            "blank": gettext_lazy("请填写放弃兑现的原因。"),
        },
    )


class AwardConfirmApi(APIView):
    """意愿确认 by the enterprise's owner: 403 for an agent, 409 when the award's state forbids it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=ConfirmSerializer, responses=AwardSerializer)
    def post(self, request, pk: int):
        award = _answerable(request, pk)
        data = ConfirmSerializer(data=request.data, context={"award": award})
        data.is_valid(raise_exception=True)
        award = services.award_confirm(award=award, user=request.user, **data.validated_data)
        return Response(AwardSerializer(_award(request, award.pk)).data)


class AwardDeclineApi(APIView):
    """放弃 by the enterprise's owner: 403 for an agent, 409 when the award's state forbids it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=DeclineSerializer, responses=AwardSerializer)
    def post(self, request, pk: int):
        award = _answerable(request, pk)
        data = DeclineSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        award = services.award_decline(award=award, user=request.user, reason=data.validated_data["reason"])
        return Response(AwardSerializer(_award(request, award.pk)).data)


class SchemeSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    policy = serializers.CharField(source="policy.code")
    policy_title = serializers.CharField(source="policy.title")
    department = serializers.CharField(source="policy.department.name")
    mode = serializers.CharField()
    mode_display = serializers.CharField(source="get_mode_display")
    facts_year = serializers.IntegerField()
    reference_date = serializers.DateField()
    period = serializers.CharField()
    eligibility = serializers.JSONField(help_text="资格规则（JsonLogic）")
    amount_rule = serializers.JSONField(help_text="金额规则（JsonLogic 或数字，单位元）")
    cap_per_enterprise = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    budget = serializers.DecimalField(max_digits=16, decimal_places=2)
    allocation = serializers.CharField()
    exclusive_group = serializers.CharField()
    top_up = serializers.BooleanField()
    publicity_days = serializers.IntegerField()


class SchemeFilter(django_filters.FilterSet):
    mode = django_filters.ChoiceFilter(choices=SchemeMode.choices)
    policy = django_filters.CharFilter(field_name="policy__code")

    class Meta:
        model = Scheme
        fields = ["mode", "policy"]


class SchemeListApi(generics.ListAPIView):
    """Schemes in force, with their rules: the rules are public, so anyone can check them."""

    serializer_class = SchemeSerializer
    permission_classes = [AllowAny]
    filterset_class = SchemeFilter

    def get_queryset(self):
        return selectors.schemes_active()


class ProfileYearSerializer(serializers.Serializer):
    revenue = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    rd_expense = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    employees = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    tax_paid = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )


class CalculatorInSerializer(ProfileYearSerializer):
    """An enterprise profile: money in 万元; qualifications as {code: year awarded}."""

    park = serializers.ChoiceField(choices=Park.choices, required=False, allow_null=True)
    industry_code = serializers.RegexField(
        r"^[A-Ta-t](\d{2,4})?$", max_length=5, required=False, allow_blank=True
    )
    age_years = serializers.IntegerField(min_value=0, max_value=200, required=False, allow_null=True)
    registered_capital = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    is_above_scale = serializers.BooleanField(required=False, allow_null=True, default=None)
    credit_rating = serializers.ChoiceField(choices=CreditRating.choices, required=False, allow_null=True)
    blacklisted = serializers.BooleanField(required=False, default=False)
    qualifications = serializers.DictField(
        child=serializers.IntegerField(min_value=1990, max_value=2100),
        required=False,
        default=dict,
        help_text='资质代码 → 认定年度，如 {"high_tech": 2022}',
    )
    prev = ProfileYearSerializer(required=False, default=dict, help_text="前一年度数据")

    def validate_qualifications(self, value: dict) -> dict:
        unknown = sorted(set(value) - set(QualificationCode.values))
        if unknown:
            raise serializers.ValidationError(
                gettext("未知的资质代码：%(codes)s") % {"codes": "、".join(unknown)}
            )
        return value


class CalculatorResultSerializer(serializers.Serializer):
    scheme = serializers.CharField(source="scheme.code")
    title = serializers.CharField(source="scheme.title")
    policy = serializers.CharField(source="scheme.policy.code")
    mode = serializers.CharField(source="scheme.mode")
    outcome = serializers.CharField(
        help_text="eligible / ineligible / undetermined / uncomputable（规则无法根据这些数据计算）"
    )
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text="元；依申请方案为空"
    )
    trace = serializers.ListField(child=serializers.DictField(), source="lines")


class CalculatorOutSerializer(serializers.Serializer):
    """What the calculator answers: the schemes in force, each with its outcome and explanation."""

    results = CalculatorResultSerializer(many=True)


class CalculatorApi(APIView):
    """政策计算器: which schemes in force a profile would match, with the explanation; nothing is stored."""

    permission_classes = [AllowAny]
    throttle_scope = "calculator"

    @extend_schema(request=CalculatorInSerializer, responses=CalculatorOutSerializer)
    def post(self, request):
        data = CalculatorInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        prev = values.pop("prev", {}) or {}
        profile = {**values, "qualification_years": values.pop("qualifications", {})}
        for name in selectors.PROFILE_NUMBERS:
            profile[f"prev.{name}"] = prev.get(name)
        results = selectors.calculator_results(profile=profile)
        return Response({"results": CalculatorResultSerializer(results, many=True).data})
