"""Page routes of the issues app, mounted at /tickets/ (the officials' inbox, SPEC §8)."""

from django.urls import path

from issues import directory_views, message_views, topic_views, views

urlpatterns = [
    path("", views.inbox, name="tickets-inbox"),
    path("<int:pk>/", views.ticket_page, name="tickets-detail"),
    path("<int:pk>/reveal-phone/", views.ticket_reveal_phone, name="tickets-reveal-phone"),
    path("<int:pk>/act/<slug:action>/", views.ticket_act, name="tickets-act"),
    path("directory/", directory_views.directory_page, name="tickets-directory"),
    # monthly topics (每月一题 / 专题, issue 15 item 5)
    path("topics/", topic_views.topics_page, name="tickets-topics"),
    path("topics/new/", topic_views.topic_new, name="tickets-topic-new"),
    path("topics/report.xlsx", topic_views.topic_report, name="tickets-topic-report"),
    path("topics/<int:pk>/", topic_views.topic_page, name="tickets-topic"),
    path("topics/<int:pk>/close/", topic_views.topic_close_page, name="tickets-topic-close"),
    path(
        "topics/<int:pk>/milestones/<int:milestone>/done/",
        topic_views.topic_milestone_done,
        name="tickets-topic-milestone-done",
    ),
    # messages and tasks to cadres (精神早餐, 任务布置; issue 16 item 7)
    path("messages/", message_views.messages_page, name="tickets-messages"),
    path("notifications/", views.notifications_page, name="tickets-notifications"),
    path("notifications/read-all/", views.notifications_read_all, name="tickets-notifications-read-all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="tickets-notification-read"),
]
