"""Page routes of the visits app, mounted at /m/ (the cadre's phone page)."""

from django.urls import path

from visits import views

urlpatterns = [
    path("", views.phone_page, name="m-home"),
    path("sw.js", views.service_worker, name="m-sw"),
]
