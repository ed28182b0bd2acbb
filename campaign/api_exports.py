"""GET /api/v1/exports/{id}/ and its download: the owner follows a background export (campaign/exports.py)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaign.errors import OutOfScope
from campaign.exports import XLSX, ExportSerializer, export_path
from campaign.models import Export, User


def _my_export(user: User, pk: Any) -> Export:
    export = Export.objects.filter(owner=user, pk=pk).first()
    if export is None:
        raise OutOfScope()
    return export


class ExportDetail(APIView):
    @extend_schema(responses=ExportSerializer)
    def get(self, request: Request, pk: str) -> Response:
        return Response(ExportSerializer(_my_export(request.user, pk)).data)  # type: ignore[arg-type]


class ExportDownload(APIView):
    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: str) -> Any:
        export = _my_export(request.user, pk)  # type: ignore[arg-type]
        if export.state != Export.State.DONE or not export.file:
            raise OutOfScope("导出尚未完成。")
        path = export_path(export)
        if not path.exists():
            raise OutOfScope("导出文件已过期。")
        return FileResponse(path.open("rb"), as_attachment=True, filename=f"{export.kind}-{export.pk}.xlsx")
