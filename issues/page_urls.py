"""Page routes of the issues app, mounted at /tickets/ (the officials' inbox, SPEC §8)."""

from django.urls import path

from issues import directory_views, views

urlpatterns = [
    path("", views.inbox, name="tickets-inbox"),
    path("<int:pk>/", views.ticket_page, name="tickets-detail"),
    path("<int:pk>/reveal-phone/", views.ticket_reveal_phone, name="tickets-reveal-phone"),
    path("<int:pk>/act/<slug:action>/", views.ticket_act, name="tickets-act"),
    path("directory/", directory_views.directory_page, name="tickets-directory"),
    path("notifications/", views.notifications_page, name="tickets-notifications"),
    path("notifications/read-all/", views.notifications_read_all, name="tickets-notifications-read-all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="tickets-notification-read"),
]
