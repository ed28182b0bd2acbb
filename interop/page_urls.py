"""Page routes of the interop app, mounted at /interop/ (the partner pages of a district's admins)."""

from django.urls import path

from interop import views

urlpatterns = [
    path("partners/", views.partners_page, name="interop-partners"),
    path("partners/<int:pk>/", views.partner_page, name="interop-partner"),
    path(
        "partners/<int:pk>/deliveries/<int:delivery_id>/replay/",
        views.delivery_replay_view,
        name="interop-delivery-replay",
    ),
]
