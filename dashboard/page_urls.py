"""Page routes of the dashboard app, mounted at /dashboard/ (the leaders' dashboard, SPEC §8, and its display links)."""

from django.urls import path

from dashboard import displays, views

urlpatterns = [
    path("", views.dashboard_page, name="dashboard"),
    path("grids.geojson", views.grids_geojson, name="dashboard-grids"),
    path("export.xlsx", views.export_xlsx, name="dashboard-export"),
    path("displays/", displays.displays_page, name="dashboard-displays"),
    path("displays/<int:pk>/revoke/", displays.revoke_display, name="dashboard-display-revoke"),
    path("wall/<str:token>/", displays.wall_page, name="dashboard-wall"),
    path("wall/<str:token>/daily.json", displays.wall_daily, name="dashboard-wall-daily"),
    path("wall/<str:token>/grids.geojson", displays.wall_grids, name="dashboard-wall-grids"),
    path("wall/<str:token>/tickets.geojson", displays.wall_tickets, name="dashboard-wall-tickets"),
    path("wall/<str:token>/hotspots.json", displays.wall_hotspots, name="dashboard-wall-hotspots"),
]
