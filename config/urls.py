import axes.admin  # noqa: F401  lockouts: admins see and lift them at /admin/axes/
import knox.admin  # noqa: F401  API tokens: admins see and revoke them
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

import campaign.admin  # noqa: F401  SimpleAdminConfig: admin modules are registered explicitly
import campaign.admin_notify  # noqa: F401  users' notification channels (issue 17 item 4)
import dashboard.admin  # noqa: F401
import interop.admin  # noqa: F401  partners' webhook subscriptions and deliveries (issue 17)
import interop.admin_partners  # noqa: F401  partner systems and their keys (Open311)
import issues.admin  # noqa: F401
import issues.admin_channels  # noqa: F401  the SMS and WeChat outbox
import sso.admin  # noqa: F401
from campaign import api, api_exports, views
from config import error_pages
from config.health import healthz
from issues.channel_views import notification_settings
from issues.lookup import lookup_page
from visits.page_api import BootstrapView

api_v1: list[URLPattern | URLResolver] = [
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    path("me/", api.MeView.as_view(), name="api-me"),
    path("units/", api.UnitList.as_view(), name="api-units"),
    path("units/<int:pk>/", api.UnitDetail.as_view(), name="api-unit"),
    path("households/", api.HouseholdList.as_view(), name="api-households"),
    path("households/<int:pk>/", api.HouseholdDetail.as_view(), name="api-household"),
    path("enterprises/", api.EnterpriseList.as_view(), name="api-enterprises"),
    path("enterprises/<int:pk>/", api.EnterpriseDetail.as_view(), name="api-enterprise"),
    path("m/bootstrap/", BootstrapView.as_view(), name="api-m-bootstrap"),
    path("exports/<uuid:pk>/", api_exports.ExportDetail.as_view(), name="api-export"),
    path("exports/<uuid:pk>/download/", api_exports.ExportDownload.as_view(), name="api-export-download"),
    path("", include("visits.urls")),
    path("", include("issues.urls")),
    path("", include("dashboard.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", RedirectView.as_view(url=static("m/icon-192.png"))),
    path("healthz", healthz, name="healthz"),
    path("audit/access/", views.access_log, name="access-log"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/sso/", include("sso.urls")),  # single sign-on: start and callback
    path("accounts/notifications/", notification_settings, name="notification-settings"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("m/", include("visits.page_urls")),
    path("tickets/", include("issues.page_urls")),
    path("dashboard/", include("dashboard.page_urls")),
    path("interop/", include("interop.page_urls")),  # the partner pages (webhooks, issue 17)
    path("lookup/", lookup_page, name="lookup"),
    path("api/v1/", include(api_v1)),
    path("open311/v2/", include("interop.open311.urls")),  # Open311 GeoReport v2 for partner systems (issue 17)
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

# Error pages in the app's style, Chinese first; JSON `{"detail": …}` under /api/ (config/error_pages.py).
handler400 = error_pages.bad_request
handler403 = error_pages.permission_denied
handler404 = error_pages.page_not_found
handler500 = error_pages.server_error
