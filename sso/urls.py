"""Mounted at /accounts/sso/ by config/urls.py."""

from django.urls import path

from sso import views

urlpatterns = [
    path("callback/", views.sso_callback, name="sso-callback"),
    path("<slug:provider>/start/", views.sso_start, name="sso-start"),
]
