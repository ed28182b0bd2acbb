"""One domain error, mapped to HTTP in one place (STYLE 8).

Order of precedence when several apply (SPEC §1): 404 out of scope → 403 role → 409 state → 409 version → 400 fields.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DomainError(Exception):
    status_code: int = status.HTTP_400_BAD_REQUEST

    def __init__(self, detail: Any = None) -> None:
        self.detail = detail
        super().__init__(str(detail))

    def payload(self) -> dict[str, Any]:
        if isinstance(self.detail, dict):
            return self.detail
        return {"detail": self.detail}


class OutOfScope(DomainError):
    status_code = status.HTTP_404_NOT_FOUND

    def __init__(self, detail: Any = "未找到。") -> None:
        super().__init__(detail)


class NotAllowed(DomainError):
    status_code = status.HTTP_403_FORBIDDEN


class WrongState(DomainError):
    status_code = status.HTTP_409_CONFLICT


class StaleVersion(DomainError):
    status_code = status.HTTP_409_CONFLICT


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT


class Invalid(DomainError):
    """Field errors: detail is {"field": ["message", ...]}."""

    status_code = status.HTTP_400_BAD_REQUEST

    @classmethod
    def field(cls, name: str, message: str) -> Invalid:
        return cls({name: [message]})


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(exc.payload(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = DRFValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})
    if isinstance(exc, Http404):
        return Response({"detail": "未找到。"}, status=status.HTTP_404_NOT_FOUND)
    return exception_handler(exc, context)
