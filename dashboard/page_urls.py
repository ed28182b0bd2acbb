"""Page routes of the dashboard app, mounted at /dashboard/ (the leaders' dashboard, SPEC §8)."""

from django.urls import path

from dashboard import views

urlpatterns = [
    path("", views.dashboard_page, name="dashboard"),
    path("grids.geojson", views.grids_geojson, name="dashboard-grids"),
    path("export.xlsx", views.export_xlsx, name="dashboard-export"),
]
