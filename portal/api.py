"""What every API of the portal shares: the error shape and the domain-error mapping."""

import math

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy
from rest_framework import status
from rest_framework.exceptions import APIException, Throttled
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.throttling import throttled_message


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("该操作与当前状态冲突。")
    default_code = "conflict"


# Domain error types that mean "not allowed in the current state": the API answers 409 for them.
# Apps add their own error type here from their api module (see ``register_conflict_error``).
CONFLICT_ERRORS: list[type[Exception]] = []


def register_conflict_error(error_type: type[Exception]) -> type[Exception]:
    """Let the API answer 409 with the error's message when a service raises this type."""
    if error_type not in CONFLICT_ERRORS:
        CONFLICT_ERRORS.append(error_type)
    return error_type


def exception_handler(exc, context):
    if isinstance(exc, tuple(CONFLICT_ERRORS)):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, Throttled):
        exc.detail = throttled_message(math.ceil(exc.wait or 1))
    if isinstance(exc, DjangoValidationError):
        return Response({"detail": "；".join(exc.messages)}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


class StaffOrDebug(BasePermission):
    """The API schema and its docs: anyone on a development set-up, staff only in production."""

    message = gettext_lazy("接口文档仅对工作人员开放，请使用工作人员账号登录后查看。")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(settings.DEBUG or (user and user.is_authenticated and user.is_staff))
