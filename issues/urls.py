"""API paths of the issues app, relative to /api/v1/ (included from config/urls.py)."""

from django.urls import path

from issues import api
from issues.api.messages import MessageAck, MessageDetail, MessageList
from issues.api.topics import TopicClose, TopicDetail, TopicList, TopicMilestoneDone

urlpatterns = [
    path("tickets/", api.TicketList.as_view(), name="api-tickets"),
    path("tickets/suggest/", api.TicketSuggest.as_view(), name="api-ticket-suggest"),
    path("tickets/counters/", api.TicketCounters.as_view(), name="api-ticket-counters"),
    path("tickets/export.xlsx", api.TicketExport.as_view(), name="api-ticket-export"),
    path("tickets/<int:pk>/", api.TicketDetail.as_view(), name="api-ticket"),
    *[
        path(f"tickets/<int:pk>/{name}/", view.as_view(), name=f"api-ticket-{name.replace('_', '-')}")
        for name, view in api.ACTION_VIEWS.items()
    ],
    path("geo/tickets/", api.TicketGeo.as_view(), name="api-geo-tickets"),
    path("topics/", TopicList.as_view(), name="api-topics"),
    path("topics/<int:pk>/", TopicDetail.as_view(), name="api-topic"),
    path("topics/<int:pk>/close/", TopicClose.as_view(), name="api-topic-close"),
    path("topics/<int:pk>/milestones/<int:milestone>/done/", TopicMilestoneDone.as_view(), name="api-topic-milestone"),
    # messages and tasks to cadres (精神早餐, 任务布置; issue 16 item 7)
    path("messages/", MessageList.as_view(), name="api-messages"),
    path("messages/<int:pk>/", MessageDetail.as_view(), name="api-message"),
    path("messages/<int:pk>/ack/", MessageAck.as_view(), name="api-message-ack"),
    path("notifications/", api.NotificationList.as_view(), name="api-notifications"),
    path("notifications/<int:pk>/read/", api.NotificationRead.as_view(), name="api-notification-read"),
]
