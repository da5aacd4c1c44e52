"""The projects API: an enterprise reads its own projects, staff read all of them with filters."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated

from portal.api import register_conflict_error
from portal.enterprises.api import EnterpriseRefSerializer
from portal.workdays.selectors import WorkCalendar
from projects import selectors
from projects.models import Stage
from projects.services import ProjectError

register_conflict_error(ProjectError)


class ProjectQuerySerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices, required=False, help_text="阶段")
    coordinator = serializers.IntegerField(required=False, min_value=1, help_text="分包人（用户 id）")
    overdue = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="是否有超时事项"
    )


class _ClockMixin:
    @property
    def calendar(self) -> WorkCalendar:
        return self.context["calendar"]

    @property
    def now(self):
        return self.context["now"]


class PermitSerializer(_ClockMixin, serializers.Serializer):
    type_code = serializers.CharField(source="permit_type.code")
    type_name = serializers.CharField(source="permit_type.name")
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    applied_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    issued_at = serializers.DateTimeField(allow_null=True)
    rejected_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField()
    certificate_number = serializers.CharField()
    is_commitment = serializers.BooleanField()
    target_working_days = serializers.IntegerField(source="permit_type.sla_workdays")
    working_days = serializers.SerializerMethodField()
    paused = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    def get_working_days(self, permit) -> int:
        return selectors.permit_workdays(permit, calendar=self.calendar, now=self.now)

    def get_paused(self, permit) -> bool:
        return permit.open_pause is not None

    def get_overdue(self, permit) -> bool:
        return permit.is_overdue_at(self.now)


class FilingSerializer(_ClockMixin, serializers.Serializer):
    status = serializers.CharField()
    outcome = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField()
    target_working_days = serializers.SerializerMethodField()
    working_days = serializers.SerializerMethodField()

    def get_target_working_days(self, filing) -> int:
        return filing.TARGET_WORKDAYS

    def get_working_days(self, filing) -> int:
        return selectors.filing_workdays(filing, calendar=self.calendar, now=self.now)


class CoordinatorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")


class ProjectSerializer(_ClockMixin, serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    enterprise = EnterpriseRefSerializer()
    site = serializers.CharField()
    parcel_number = serializers.CharField()
    total_investment = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="万元")
    industry = serializers.CharField()
    is_key = serializers.BooleanField()
    is_custom_industrial_land = serializers.BooleanField()
    land_transferred_on = serializers.DateField(allow_null=True)
    stage = serializers.CharField()
    stage_display = serializers.CharField(source="get_stage_display")
    coordinator = CoordinatorSerializer(allow_null=True)
    overdue = serializers.SerializerMethodField()
    filings = FilingSerializer(many=True, source="filings.all")
    permits = PermitSerializer(many=True, source="permits.all")

    def get_overdue(self, project) -> list[str]:
        return selectors.overdue_items(project, calendar=self.calendar, now=self.now)


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    date_only = serializers.SerializerMethodField()
    title = serializers.CharField()
    detail = serializers.CharField()
    working_days = serializers.IntegerField(source="workdays", allow_null=True)
    target_working_days = serializers.IntegerField(source="target", allow_null=True)
    running = serializers.BooleanField()
    late = serializers.BooleanField()

    def get_date_only(self, entry) -> bool:
        return not entry.has_time


class ProjectDetailSerializer(ProjectSerializer):
    timeline = serializers.SerializerMethodField()

    @extend_schema(responses=TimelineEntrySerializer(many=True))
    def get_timeline(self, project) -> list[dict]:
        entries = selectors.project_timeline(project, calendar=self.calendar, now=self.now)
        return TimelineEntrySerializer(entries, many=True).data


class _ProjectViewMixin:
    permission_classes = [IsAuthenticated]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context.update(calendar=WorkCalendar.load(), now=timezone.now())
        return context


@extend_schema(parameters=[ProjectQuerySerializer], tags=["projects"])
class ProjectListView(_ProjectViewMixin, generics.ListAPIView):
    """项目列表：企业只能看到本企业的项目；工作人员可看全部，并按阶段、分包人、是否超时筛选。"""

    serializer_class = ProjectSerializer

    def get_queryset(self):
        query = ProjectQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.project_list(
            user=self.request.user,
            stage=query.validated_data.get("stage"),
            coordinator_id=query.validated_data.get("coordinator"),
            overdue=query.validated_data.get("overdue"),
        )


@extend_schema(tags=["projects"])
class ProjectDetailView(_ProjectViewMixin, generics.RetrieveAPIView):
    """项目详情：各环节时间线，以及每一步用了几个工作日、时限几个工作日。"""

    serializer_class = ProjectDetailSerializer

    def get_queryset(self):
        return selectors.projects_visible(user=self.request.user)
