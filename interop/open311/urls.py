"""/open311/v2/ (included by config/urls.py): the spec's paths, the format as the resource's extension."""

from __future__ import annotations

from django.urls import re_path

from interop.open311 import views

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^services" + FMT, views.services_list, name="open311-services"),
    re_path(r"^services/(?P<code>[a-z0-9][a-z0-9_-]{0,39})" + FMT, views.service_definition, name="open311-service"),
    re_path(r"^requests" + FMT, views.requests_list, name="open311-requests"),
    re_path(r"^requests/(?P<request_id>[A-Za-z0-9-]{1,32})" + FMT, views.request_detail, name="open311-request"),
]
