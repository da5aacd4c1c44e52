"""/api/v1/problems/: an enterprise sees its own problems, staff their department's; one action per move."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from portal.accounts.models import Department, User
from portal.api import register_conflict_error
from portal.enterprises.api import EnterpriseRefSerializer
from portal.enterprises.models import Enterprise
from portal.limits import DESCRIPTION_MAX, NOTE_MAX
from portal.servicedesk import selectors, services
from portal.servicedesk.forms import MultipleFileField
from portal.servicedesk.models import Category, Channel, Problem, Status, Visit

register_conflict_error(services.ProblemError)


class IsStaff(permissions.BasePermission):
    message = _("只有园区工作人员可以办理诉求。")

    def has_permission(self, request, view):
        return bool(request.user.is_authenticated and request.user.is_staff)


class IsEnterpriseMember(permissions.BasePermission):
    message = _("只有企业用户可以撤回诉求。")

    def has_permission(self, request, view):
        return bool(request.user.is_authenticated and request.user.enterprise_id)


class DepartmentRef(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name"]


class ProblemSerializer(serializers.ModelSerializer):
    enterprise = EnterpriseRefSerializer(read_only=True)
    department = DepartmentRef(read_only=True)
    handler = serializers.StringRelatedField()
    channel_display = serializers.CharField(source="get_channel_display")
    category_display = serializers.CharField(source="get_category_display")
    status_display = serializers.CharField(source="get_status_display")
    is_overdue = serializers.BooleanField()

    class Meta:
        model = Problem
        fields = [
            "id",
            "enterprise",
            "channel",
            "channel_display",
            "visit",
            "category",
            "category_display",
            "title",
            "description",
            "status",
            "status_display",
            "department",
            "handler",
            "created_at",
            "first_response_due",
            "responded_at",
            "answer_due",
            "answered_at",
            "rating_due",
            "satisfaction",
            "rating_comment",
            "closed_at",
            "is_overdue",
        ]
        read_only_fields = fields


class StepSerializer(serializers.Serializer):
    action = serializers.CharField()
    action_display = serializers.CharField(source="get_action_display")
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    actor = serializers.StringRelatedField()
    department = serializers.StringRelatedField()
    at = serializers.DateTimeField()
    note = serializers.CharField()


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    def get_url(self, attachment) -> str:
        return reverse("servicedesk:attachment", args=[attachment.pk])


class EscalationSerializer(serializers.Serializer):
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    due = serializers.DateTimeField()
    department = serializers.StringRelatedField()
    notified = serializers.StringRelatedField()
    created_at = serializers.DateTimeField()


class ProblemDetailSerializer(ProblemSerializer):
    steps = StepSerializer(many=True)
    attachments = AttachmentSerializer(many=True)
    escalations = EscalationSerializer(many=True)

    class Meta(ProblemSerializer.Meta):
        fields = [*ProblemSerializer.Meta.fields, "steps", "attachments", "escalations"]
        read_only_fields = fields


class SubmitSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=DESCRIPTION_MAX)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list)
    # Staff only: whose problem, heard where.
    enterprise = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.all(), required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    visit = serializers.PrimaryKeyRelatedField(queryset=Visit.objects.all(), required=False, allow_null=True)

    def validate_attachments(self, files):
        try:
            return MultipleFileField().clean(files)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def validate(self, data):
        user = self.context["request"].user
        if user.enterprise_id is None and (
            "enterprise" not in data or data.get("channel") not in (Channel.VISIT, Channel.HOTLINE)
        ):
            raise serializers.ValidationError(_("工作人员登记诉求须指明企业和来源渠道（走访或热线）。"))
        return data


class AssignSerializer(serializers.Serializer):
    department = serializers.SlugRelatedField(slug_field="code", queryset=Department.objects.all())
    handler = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_staff=True), required=False, allow_null=True
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)


class TransferSerializer(serializers.Serializer):
    department = serializers.SlugRelatedField(slug_field="code", queryset=Department.objects.all())
    handler = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_staff=True), required=False, allow_null=True
    )
    reason = serializers.CharField(max_length=NOTE_MAX)


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=DESCRIPTION_MAX)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list)

    validate_attachments = SubmitSerializer.validate_attachments


class RateSerializer(serializers.Serializer):
    satisfied = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ProblemFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    category = django_filters.ChoiceFilter(choices=Category.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    department = django_filters.CharFilter(field_name="department__code")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("已超期"))

    class Meta:
        model = Problem
        fields = ["status", "category", "channel", "department", "overdue"]

    def filter_overdue(self, queryset, name, value):
        overdue = Problem.objects.overdue(timezone.now()).values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)


class ProblemViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """企业诉求. Enterprise users see their own; staff their department's (the coordinating bureau all)."""

    permission_classes = [permissions.IsAuthenticated]
    filterset_class = ProblemFilter
    lookup_value_regex = r"[0-9]+"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.problems_visible_to(user=self.request.user)

    def get_serializer_class(self):
        return ProblemDetailSerializer if self.action != "list" else ProblemSerializer

    def get_object(self):
        problem = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, problem)
        return problem

    def retrieve(self, request, *args, **kwargs):
        return self._render(self.get_object())

    def _render(self, problem: Problem, code: int = status.HTTP_200_OK) -> Response:
        # The caller just acted on it; after a transfer it may be no longer among their department's.
        problem = selectors.problem_with_timeline(problem_id=problem.pk)
        return Response(
            ProblemDetailSerializer(problem, context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(request=SubmitSerializer, responses=ProblemDetailSerializer)
    def create(self, request, *args, **kwargs):
        data = SubmitSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        user = request.user
        if user.enterprise_id is not None:
            enterprise, channel, visit = user.enterprise, Channel.PORTAL, None
        else:
            enterprise, channel, visit = values["enterprise"], values["channel"], values.get("visit")
        problem = services.problem_submit(
            enterprise=enterprise,
            user=user,
            channel=channel,
            category=values["category"],
            title=values["title"],
            description=values["description"],
            attachments=values["attachments"],
            visit=visit,
        )
        return self._render(problem, status.HTTP_201_CREATED)

    @extend_schema(request=AssignSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def assign(self, request, pk=None):
        """交办."""
        data = AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        problem = services.problem_assign(problem=self.get_object(), user=request.user, **data.validated_data)
        return self._render(problem)

    @extend_schema(request=TransferSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def transfer(self, request, pk=None):
        """转办 (a reason is required)."""
        data = TransferSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        problem = services.problem_transfer(
            problem=self.get_object(), user=request.user, **data.validated_data
        )
        return self._render(problem)

    @extend_schema(request=AnswerSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def answer(self, request, pk=None):
        """反馈."""
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        problem = services.problem_answer(problem=self.get_object(), user=request.user, **data.validated_data)
        return self._render(problem)

    @extend_schema(request=RateSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        """评价 by the enterprise, or a call-back (回访) the coordinating bureau records."""
        data = RateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        problem = services.problem_rate(problem=self.get_object(), user=request.user, **data.validated_data)
        return self._render(problem)

    @extend_schema(request=WithdrawSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsEnterpriseMember])
    def withdraw(self, request, pk=None):
        """撤回."""
        data = WithdrawSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        problem = services.problem_withdraw(
            problem=self.get_object(), user=request.user, **data.validated_data
        )
        return self._render(problem)
