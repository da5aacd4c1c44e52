"""The public service-performance figures as JSON (GET /api/v1/stats/)."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import stats
from portal.content.figures import PeriodError, stats_span
from portal.content.periods import last_complete_half_year


class StatsView(APIView):
    """The zone's service-performance figures for a period, computed from the portal's records."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="开始日期（含），默认上一个完整半年度"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="结束日期（含）"),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
        description=(
            "各项服务绩效数据；尚未建成部分的指标不出现在结果中。金额单位为元（字符串），比率为 0 至 1。"
        ),
    )
    def get(self, request):
        half = last_complete_half_year(timezone.localdate())
        try:
            start, end = stats_span(
                request.query_params.get("from"),
                request.query_params.get("to"),
                default=(half.start, half.end),
            )
        except PeriodError as exc:
            return Response({"detail": str(exc)}, status=400)
        return Response(stats.figures(start=start, end=end))
