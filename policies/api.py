"""The policy catalogue API: public read with filters and search; staff write through the services."""

import hashlib

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from policies import selectors, services
from policies.models import Category, HowToGet, Policy, PolicyStatus
from policies.rendering import render_markdown
from portal import public_cache
from portal.accounts.models import Department
from portal.api import register_conflict_error
from portal.limits import DESCRIPTION_MAX, POLICY_BODY_MAX, POLICY_SUMMARY_MAX
from portal.paginators import PublicCountPaginator
from portal.params import year_param

register_conflict_error(services.PolicyError)


class StaffWriteOrReadOnly(BasePermission):
    """Anyone reads; staff with the model permission write."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        perm = (
            "policies.add_policy" if request.method == "POST" and view.creates else "policies.change_policy"
        )
        return bool(user and user.is_authenticated and user.is_staff and user.has_perm(perm))


class GuideSerializer(serializers.Serializer):
    beneficiaries = serializers.CharField(
        source="guide_beneficiaries", allow_blank=True, required=False, max_length=DESCRIPTION_MAX
    )
    conditions = serializers.CharField(
        source="guide_conditions", allow_blank=True, required=False, max_length=DESCRIPTION_MAX
    )
    how = serializers.ChoiceField(
        source="guide_how", choices=HowToGet.choices, allow_blank=True, required=False
    )
    deadline = serializers.CharField(
        source="guide_deadline", allow_blank=True, required=False, max_length=200
    )
    office = serializers.CharField(source="guide_office", allow_blank=True, required=False, max_length=200)
    phone = serializers.CharField(source="guide_phone", allow_blank=True, required=False, max_length=64)


class AttachmentOutSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.CharField(source="get_absolute_url")


class PolicyOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    doc_number = serializers.CharField()
    department = serializers.CharField(source="department.name")
    department_code = serializers.CharField(source="department.code")
    published_on = serializers.DateField(allow_null=True)
    effective_from = serializers.DateField(allow_null=True)
    effective_to = serializers.DateField(allow_null=True)
    categories = serializers.SerializerMethodField()
    tags = serializers.ListField(child=serializers.CharField())
    summary = serializers.CharField()
    status = serializers.CharField(source="current_status")
    guide = GuideSerializer(source="*")
    url = serializers.CharField(source="get_absolute_url")

    def get_categories(self, policy) -> list[str]:
        return [c.name for c in policy.categories.all()]


class PolicyDetailOutSerializer(PolicyOutSerializer):
    body = serializers.CharField()
    body_html = serializers.SerializerMethodField()
    repeal_reason = serializers.CharField()
    superseded_by = serializers.SerializerMethodField()
    attachments = AttachmentOutSerializer(many=True)

    def get_body_html(self, policy) -> str:
        return str(render_markdown(policy.body))

    def get_superseded_by(self, policy) -> str | None:
        newer = policy.superseded_by
        return newer.code if newer is not None and newer.is_public else None


class PolicyInSerializer(serializers.Serializer):
    """What staff send to create or change a policy: the keys of the import file, less the status."""

    code = serializers.SlugField(max_length=64)
    title = serializers.CharField(max_length=200)
    doc_number = serializers.CharField(max_length=64, allow_blank=True, required=False, default="")
    department = serializers.SlugRelatedField(slug_field="name", queryset=Department.objects.all())
    published_on = serializers.DateField(required=False, allow_null=True, default=None)
    effective_from = serializers.DateField(required=False, allow_null=True, default=None)
    effective_to = serializers.DateField(required=False, allow_null=True, default=None)
    categories = serializers.SlugRelatedField(
        slug_field="name", queryset=Category.objects.all(), many=True, required=False, default=list
    )
    tags = serializers.ListField(child=serializers.CharField(max_length=32), required=False, default=list)
    summary = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=POLICY_SUMMARY_MAX
    )
    body = serializers.CharField(allow_blank=True, required=False, default="", max_length=POLICY_BODY_MAX)
    guide = GuideSerializer(required=False)


POLICY_PARAMETERS = [
    OpenApiParameter("q", str, description="检索词（中文分词检索标题与正文）"),
    OpenApiParameter("category", str, description="类别代码，如 tech"),
    OpenApiParameter("department", str, description="发文部门代码，如 cxfz"),
    OpenApiParameter("status", str, enum=list(selectors.PUBLIC_STATUSES), description="当前状态"),
    OpenApiParameter("year", int, description="发布年份"),
]


def _include_drafts(request) -> bool:
    return bool(request.user.is_authenticated and request.user.is_staff)


class PublicListPagination(PageNumberPagination):
    """Pages of a public list, its count kept until a public change (``PublicCountPaginator``)."""

    django_paginator_class = PublicCountPaginator


class PolicyListApi(generics.ListAPIView):
    """The catalogue: GET lists (filters, search); POST creates a draft (staff)."""

    serializer_class = PolicyOutSerializer
    pagination_class = PublicListPagination
    permission_classes = [StaffWriteOrReadOnly]
    filter_backends = []
    creates = True

    @property
    def throttle_scope(self) -> str | None:
        """A search (``q``) counts against the search limit; plain listing only against anon / user."""
        return "search" if self.request.query_params.get("q", "").strip() else None

    def get_queryset(self):
        params = self.request.query_params
        year = params.get("year", "")
        status_filter = params.get("status")
        allowed = selectors.PUBLIC_STATUSES + ((PolicyStatus.DRAFT,) if _include_drafts(self.request) else ())
        filters = selectors.PolicyFilters(
            q=params.get("q"),
            category=params.get("category") or None,
            department=params.get("department") or None,
            status=status_filter if status_filter in allowed else None,
            year=year_param(year),
        )
        return selectors.policy_list(filters=filters, include_drafts=_include_drafts(self.request))

    @extend_schema(parameters=POLICY_PARAMETERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        """A page everyone but staff is shown alike is kept under the public generation (the throttles,
        which ran before, still count the request): the same address gives the same page until a public
        change. Staff, who see drafts, always get a fresh one."""
        if _include_drafts(request):
            return super().list(request, *args, **kwargs)
        # The full address, host and scheme included: the page's next / previous links are built from it.
        address = f"{get_language()} {request.build_absolute_uri()}"
        key = hashlib.sha256(address.encode()).hexdigest()
        data = public_cache.remember(
            f"api:policies:{key}", lambda: super(PolicyListApi, self).list(request, *args, **kwargs).data
        )
        return Response(data)

    @extend_schema(request=PolicyInSerializer, responses={201: PolicyDetailOutSerializer})
    def post(self, request):
        data = PolicyInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        categories = values.pop("categories")
        guide = values.pop("guide", {})
        policy = services.policy_save(
            policy=Policy(**values, **guide), categories=categories, user=request.user
        )
        policy = selectors.policy_detail(code=policy.code, include_drafts=True)
        return Response(PolicyDetailOutSerializer(policy).data, status=status.HTTP_201_CREATED)


class PolicyDetailApi(APIView):
    """One policy: GET reads; PATCH changes its text or guide (staff)."""

    permission_classes = [StaffWriteOrReadOnly]
    creates = False

    def _get(self, request, code):
        policy = selectors.policy_detail(code=code, include_drafts=_include_drafts(request))
        if policy is None:
            raise Http404
        return policy

    @extend_schema(responses=PolicyDetailOutSerializer)
    def get(self, request, code):
        return Response(PolicyDetailOutSerializer(self._get(request, code)).data)

    @extend_schema(request=PolicyInSerializer, responses=PolicyDetailOutSerializer)
    def patch(self, request, code):
        policy = self._get(request, code)
        data = PolicyInSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        categories = values.pop("categories", None)
        values.update(values.pop("guide", {}))
        if values.get("code", code) != code:
            raise serializers.ValidationError({"code": "政策代码不能修改。"})
        for name, value in values.items():
            setattr(policy, name, value)
        services.policy_save(policy=policy, categories=categories, user=request.user)
        return Response(PolicyDetailOutSerializer(self._get(request, code)).data)


class RepealSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class PolicyPublishApi(APIView):
    """Publish a draft (staff); refused with the missing guide fields named when the guide is incomplete."""

    permission_classes = [StaffWriteOrReadOnly]
    creates = False

    @extend_schema(request=None, responses=PolicyDetailOutSerializer)
    def post(self, request, code):
        policy = get_object_or_404(Policy, code=code)
        services.policy_publish(policy=policy, user=request.user)
        return Response(PolicyDetailOutSerializer(selectors.policy_detail(code=code)).data)


class PolicyRepealApi(APIView):
    """Repeal a policy with a reason (staff)."""

    permission_classes = [StaffWriteOrReadOnly]
    creates = False

    @extend_schema(request=RepealSerializer, responses=PolicyDetailOutSerializer)
    def post(self, request, code):
        policy = get_object_or_404(Policy, code=code)
        data = RepealSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.policy_repeal(policy=policy, reason=data.validated_data["reason"], user=request.user)
        return Response(PolicyDetailOutSerializer(selectors.policy_detail(code=code)).data)
