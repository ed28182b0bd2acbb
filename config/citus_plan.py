"""How Zoufang's tables map onto a distributed PostgreSQL (Citus), as data: docs/scaling.md explains it, and
tests/structure/test_citus_plan.py holds the models to it (every model classified, every distributed table carrying
its key, every key and foreign key compatible, or listed here as a gap with the change that closes it).

The distribution key is the district: the OrgUnit of kind `district` at the root of a unit's path (`unit.district()`).
A district's tickets, visits, households and statistics live on one shard, so a district's requests stay on one node.

- DISTRIBUTED: model label → the key field (`district`, a FK to OrgUnit). Hash-distributed and co-located.
- REFERENCE: small, read by every query, rarely written: a full copy on every node (joins with them stay local).
- LOCAL: on the coordinator only (Citus "local tables"): sessions, logins, jobs and logs no shard query joins.

Today TicketSequence, Ticket (issue 14: the district staff's scope) and Topic carry `district`. The gaps, each with the
change that closes it: KEY_TO_ADD (the distributed tables without the column), UNIQUE_TO_WIDEN (the unique keys that
must then include it), FK_TO_COLOCATE (the foreign keys between distributed tables, which Citus accepts only when they
include the key on both sides: composite FKs Django cannot declare, so they become `db_constraint=False` kept by the
code, as visit photos → visits).
"""

from __future__ import annotations

KEY = "district"

DISTRIBUTED: dict[str, str] = {
    # registries: a household or an enterprise belongs to a grid, so to one district
    "campaign.Household": KEY,
    "campaign.Enterprise": KEY,
    # assignments (包户/包企/挂点): a key project lies in one district; an assignment follows its target's district
    "campaign.KeyProject": KEY,
    "campaign.Assignment": KEY,
    # the daily must-visit reminders' keys (四门必敲): one per (user, day, kind), in the user's district
    "campaign.MustVisitReminder": KEY,
    # household groups (户区): a group lies in one grid, so in one district, as its member households
    "campaign.HouseholdGroup": KEY,
    # visits (partitioned by month as well: the partition key joins the key in every unique key)
    "visits.Visit": KEY,
    "visits.VisitPhoto": KEY,
    "visits.VisitParticipant": KEY,  # a meeting's participants: the meeting's unit and theirs lie in one district
    "visits.VisitKey": KEY,  # a visit's id, once: unique per district once the key joins it (a UUID stays unique)
    "visits.ReportKey": KEY,  # a 户长's report id, once: its ticket's district (a UUID stays unique)
    # tickets: a ticket's unit (where the matter is) names its district; its events, co-unit links, notifications
    # and code counter follow it
    "issues.Ticket": KEY,
    "issues.TicketEvent": KEY,
    "issues.TicketCoUnit": KEY,
    "issues.TicketHelp": KEY,  # 帮扶成效 a resolution recorded: carries its ticket's district
    "issues.Notification": KEY,
    "issues.RequesterNotice": KEY,
    "issues.TicketSequence": KEY,
    # monthly topics: a topic's area (and so its attaching tickets) lies in one district; its milestones follow it
    "issues.Topic": KEY,
    "issues.TopicMilestone": KEY,
    # messages and tasks to cadres: a message goes to a unit's subtree, so to one district; its receipts follow it
    "issues.CadreMessage": KEY,
    "issues.MessageReceipt": KEY,
    # the SMS and WeChat outbox (issues.channels): a row per message, in its ticket's district
    "issues.ChannelDelivery": KEY,
    # statistics: derived per (day, unit) of one district; a city figure is a sum over the districts' shards
    "dashboard.DailyRollup": KEY,
    "dashboard.HelpRollup": KEY,
    "dashboard.VisitTargetDay": KEY,
    "dashboard.OverdueSnapshot": KEY,
    "dashboard.DirtyDay": KEY,
    "dashboard.TargetSpan": KEY,
    "dashboard.SharedTarget": KEY,
    "dashboard.DayReach": KEY,
    "dashboard.PeriodSummary": KEY,
    # partners' webhooks (issue 17): a subscription belongs to its partner's district; the outbox rows follow the
    # ticket they announce (same district), written in the event's transaction on the event's shard
    "interop.WebhookSubscription": KEY,
    "interop.WebhookDelivery": KEY,
}

REFERENCE: frozenset[str] = frozenset(
    {
        "campaign.OrgUnit",  # the org tree: every scope filter joins it (a city: ~10,000 units)
        "campaign.User",  # actors, cadres, handlers: named by every ticket, event and visit (a city: ~30,000)
        "campaign.User_groups",
        "campaign.User_user_permissions",
        "campaign.PasswordHistory",
        "campaign.NotifyPreference",  # a user's channels: one row per user at most, read with the users when notifying
        "campaign.Campaign",
        "campaign.Campaign_units",
        "campaign.Category",  # the categories: a ticket names one, every intake and directory lookup reads them
        "campaign.Campaign_categories",
        "issues.DirectoryRow",  # the dispatch directory: a few thousand rows, read with every dispatch and suggestion
        "issues.DirectoryRow_co_units",
        "campaign.CalendarDay",  # the working-day calendar: every SLA computation reads it
        "campaign.CalendarYear",
        "dashboard.DisplayLink",  # a wall display's token: looked up by hash before any district is known
        "interop.Partner",  # a partner system: looked up by its key's hash before any district is known (a few dozen)
        "auth.Group",
        "auth.Group_permissions",
        "auth.Permission",
        "contenttypes.ContentType",
    }
)

LOCAL: frozenset[str] = frozenset(
    {
        "sessions.Session",
        "knox.AuthToken",  # looked up by digest on every API request, before the district is known
        "axes.AccessAttempt",
        "axes.AccessAttemptExpiration",
        "axes.AccessFailureLog",
        "axes.AccessLog",
        "admin.LogEntry",
        "campaign.Export",  # one row per background export; the worker reads the ledger from the shards
        "campaign.AuditEvent",  # append-only, partitioned by month, read by time range by auditors
        "campaign.AccessLog",  # who read which personal value: append-only, read by auditors
        "issues.RouterModel",  # the router's trained models: a few rows for the whole deployment, read by version
        "sso.SsoIdentity",  # sign-on identities: looked up by (provider, subject) at sign-in, before any district
    }
)

# Distributed tables without the key today → the migration that adds it (nullable, filled in batches from the
# row's unit or parent, then NOT NULL and indexed), one per app, numbered after the migrations in flight.
_FROM_UNIT = "add district FK, fill from unit.district() (the root of unit.path), then NOT NULL"
KEY_TO_ADD: dict[str, str] = {
    "campaign.Household": f"campaign: {_FROM_UNIT}",
    "campaign.Enterprise": f"campaign: {_FROM_UNIT}",
    "visits.Visit": f"visits: {_FROM_UNIT}",
    "visits.VisitPhoto": "visits: add district FK, fill from the photo's visit",
    "visits.VisitParticipant": "visits: add district FK, fill from the participant's visit",
    "visits.VisitKey": "visits: add district_id to the key table, filled by the same trigger from the visit",
    "issues.TicketEvent": "issues: add district FK, fill from the event's ticket",
    "issues.TicketCoUnit": "issues: add district FK, fill from the link's ticket (not the co-unit's own district)",
    "issues.Notification": "issues: add district FK, fill from the notification's ticket",
    "issues.RequesterNotice": "issues: add district FK, fill from the notice's ticket",
    "issues.TopicMilestone": "issues: add district FK, fill from the milestone's topic",
    "dashboard.DailyRollup": f"dashboard: {_FROM_UNIT}",
    "dashboard.HelpRollup": f"dashboard: {_FROM_UNIT}",
    "dashboard.VisitTargetDay": f"dashboard: {_FROM_UNIT}",
    "dashboard.OverdueSnapshot": f"dashboard: {_FROM_UNIT}",
    "dashboard.DirtyDay": "dashboard: add district_id, fill from unit_id's OrgUnit (a plain id, like unit_id)",
    "dashboard.TargetSpan": f"dashboard: {_FROM_UNIT}",
    "dashboard.SharedTarget": "dashboard: add district_id, fill from the target's household or enterprise",
    "dashboard.DayReach": f"dashboard: {_FROM_UNIT}",
    "dashboard.PeriodSummary": f"dashboard: {_FROM_UNIT}",
}

# Unique keys of distributed tables that do not include the key today: "label: pk" is the primary key, otherwise
# the constraint's name or "unique:<field>". Each becomes (district, …). A primary key becomes (district, id) in the
# database (RunSQL: drop the key, add PRIMARY KEY (district, id)) while Django keeps `id` as the model's pk: the ids
# come from one sequence or are UUIDs, so they stay unique on their own, and Django 5.2 cannot point a FK at a
# CompositePrimaryKey. TicketSequence's own (district, day) key is the one that already fits.
UNIQUE_TO_WIDEN: frozenset[str] = frozenset(
    {
        *(f"{label}: pk" for label in DISTRIBUTED),
        "campaign.Enterprise: unique:credit_code",
        # the target of the members' composite FK (group, grid): becomes (district, id, unit) with the FK below
        "campaign.HouseholdGroup: householdgroup_id_unit",  # unique per district; a city-wide check becomes a lookup
        "issues.Ticket: unique:code",  # the code starts with the district's short code: (district, code) is the same
        "visits.VisitPhoto: visit_photo_content_unique",
        "visits.VisitParticipant: participant_household_once",
        "visits.VisitParticipant: participant_enterprise_once",
        "issues.TicketCoUnit: ticket_co_unit_unique",
        "dashboard.DailyRollup: daily_rollup_key",
        "dashboard.HelpRollup: help_rollup_key",
        "issues.TicketHelp: ticket_help_key",  # (ticket, key): the ticket names its district
        "dashboard.OverdueSnapshot: overdue_snapshot_key",
        "dashboard.DirtyDay: dirty_day_key",
        "dashboard.TargetSpan: target_span_key",
        "dashboard.SharedTarget: unique:target",
        "dashboard.DayReach: day_reach_key",
        "dashboard.PeriodSummary: period_summary_key",
        "issues.RequesterNotice: requester_notice_key",
        "issues.TopicMilestone: topic_milestone_position",
    }
)

# Foreign keys between two distributed tables ("label.field"): co-located only as (district, field) → (district,
# id). Django declares no composite FK, so each becomes db_constraint=False, the code writing both rows in one
# district (a visit's household is in the visit's district). A ticket's requester household may live in another
# district: that link is kept as a plain id with no FK, read across shards when shown.
FK_TO_COLOCATE: frozenset[str] = frozenset(
    {
        "campaign.Assignment.household",  # an assignment's district is its target's (campaign.assignments)
        "campaign.Assignment.enterprise",
        "campaign.Assignment.project",
        "campaign.Household.group",  # a household's group is in its grid (campaign.household_groups): same district
        "visits.Visit.household",
        "visits.Visit.enterprise",
        "visits.Visit.project",  # a key project lies in one district, as the visit does
        "visits.Visit.ticket",
        "visits.VisitPhoto.visit",
        "visits.VisitParticipant.visit",  # held by the key table on PostgreSQL (visits 0005), as a photo's
        "visits.VisitParticipant.household",  # a participant lies in the meeting's unit (visits.meetings)
        "visits.VisitParticipant.enterprise",
        "visits.ReportKey.ticket",  # the key's district is its ticket's (visits.reporter.report_record)
        "issues.Ticket.requester_household",
        "issues.Ticket.requester_enterprise",
        "issues.Ticket.merge_into",
        "issues.Ticket.recurs",  # the resolved ticket repeated: same district by construction (issues.recurrence)
        "issues.TicketEvent.ticket",
        "issues.TicketCoUnit.ticket",
        "issues.TicketHelp.ticket",
        "issues.Notification.ticket",
        "issues.RequesterNotice.ticket",
        "issues.Ticket.topic",  # a ticket joins a topic of its own district only (issues.topics)
        "issues.TopicMilestone.topic",
        "interop.WebhookDelivery.subscription",  # a delivery is written for its subscription's district only
        "interop.WebhookDelivery.ticket",  # … and for a ticket of that district (interop.outbox)
        "issues.MessageReceipt.message",  # a receipt is written in its message's district (issues.messages)
        "issues.ChannelDelivery.ticket",  # the row's district is its ticket's (issues.channels.outbox)
    }
)
