"""The tickets ledger export (.xlsx, or a background export past the synchronous limit) and the export status
and download endpoints. Moved here verbatim from issues/api.py (the exports work owns this code)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaign.errors import OutOfScope
from campaign.models import User
from issues import exports, services
from issues.filters import FILTER_PARAMETERS
from issues.models import Export


class ExportSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = [
            "id",
            "kind",
            "state",
            "progress",
            "total",
            "error",
            "created_at",
            "finished_at",
            "url",
            "download_url",
        ]

    def get_url(self, obj: Export) -> str:
        return f"/api/v1/exports/{obj.pk}/"

    def get_download_url(self, obj: Export) -> str | None:
        return f"/api/v1/exports/{obj.pk}/download/" if obj.state == Export.State.DONE else None


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TicketExport(APIView):
    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses={
            (200, XLSX): OpenApiTypes.BINARY,
            202: OpenApiResponse(ExportSerializer, description="too many rows: follow the export"),
        },
    )
    def get(self, request: Request) -> Any:
        user: User = request.user  # type: ignore[assignment]
        params = {k: v for k, v in request.query_params.items() if k != "format"}
        headers, rows, total = exports.ticket_ledger(user, params)
        if total > exports.sync_limit():
            export = services.export_start(owner=user, kind="tickets", params=params)
            return Response(ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)
        handle = exports.xlsx_tempfile(exports.export_title("tickets"), headers, rows)
        filename = f"tickets-{timezone.localdate():%Y%m%d}.xlsx"
        return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)


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
        path = exports.export_dir() / f"{export.pk}.xlsx"
        if not path.exists():
            raise OutOfScope("导出文件已过期。")
        return FileResponse(path.open("rb"), as_attachment=True, filename=f"{export.kind}-{export.pk}.xlsx")
