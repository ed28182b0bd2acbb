"""Statistics API paths, included under /api/v1/ by config/urls.py."""

from django.urls import path

from dashboard import api, cadre_api, hotspot_api

urlpatterns = [
    path("stats/summary/", api.SummaryView.as_view(), name="api-stats-summary"),
    path("stats/daily/", api.DailyView.as_view(), name="api-stats-daily"),
    path("stats/ranking/", api.RankingView.as_view(), name="api-stats-ranking"),
    path("stats/hotspots/", hotspot_api.HotspotsView.as_view(), name="api-stats-hotspots"),
    path("stats/cadres/", cadre_api.CadreActivityView.as_view(), name="api-stats-cadres"),
]
