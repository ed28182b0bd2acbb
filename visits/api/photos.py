"""Photos of a visit: upload (multipart, idempotent by content) and the file itself (SPEC §4)."""

from __future__ import annotations

import os
from typing import Any, cast

from django.conf import settings
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaign.errors import Invalid
from campaign.models import User
from visits import selectors, services
from visits.api.serializers import PhotoSerializer
from visits.models import VisitPhoto
from visits.photos import MAX_UPLOAD_BYTES


class PhotoUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class VisitPhotoUpload(APIView):
    """POST multipart `file`: a photo of the visit. The same content again answers 200 with the stored photo."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=PhotoUploadSerializer, responses={201: PhotoSerializer, 200: PhotoSerializer})
    def post(self, request: Request, pk: Any) -> Response:
        actor = cast(User, request.user)
        visit = get_object_or_404(selectors.visits_visible_to(actor), pk=pk)
        upload = request.FILES.get("file")
        if upload is None:
            raise Invalid.field("file", _("请上传图片文件（字段名 file）。"))
        if upload.size is None or upload.size > MAX_UPLOAD_BYTES:
            raise Invalid.field("file", _("图片不能超过 10 MB。"))
        photo, created = services.visit_photo_add(actor=actor, visit=visit, content=upload.read())
        return Response(PhotoSerializer(photo).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class VisitPhotoFile(APIView):
    """The photo itself (EXIF stripped), for whoever sees the visit; `?size=thumb` for the thumbnail."""

    @extend_schema(
        parameters=[OpenApiParameter("size", OpenApiTypes.STR, enum=["thumb"])],
        responses={(200, "image/jpeg"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, pk: Any, photo_id: int) -> FileResponse:
        visits = selectors.visits_visible_to(cast(User, request.user))
        photo = get_object_or_404(VisitPhoto.objects.filter(visit__in=visits), pk=photo_id, visit_id=pk)
        size = request.query_params.get("size")
        if size not in (None, "", "thumb"):
            raise Invalid.field("size", _("取值应为：%(v)s") % {"v": "thumb"})
        relative = photo.thumbnail if size == "thumb" else photo.file
        path = os.path.join(settings.MEDIA_ROOT, relative)
        if not os.path.exists(path):
            raise Invalid.field("file", _("照片文件缺失。"))
        response = FileResponse(open(path, "rb"), content_type="image/jpeg")  # noqa: SIM115 (FileResponse closes it)
        response["Cache-Control"] = "private, max-age=86400"
        return response
