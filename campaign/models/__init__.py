from campaign.models.assignments import Assignment, AssignmentTarget, KeyProject
from campaign.models.audit import AuditAction, AuditEvent
from campaign.models.campaigns import MODES, CalendarDay, CalendarYear, Campaign
from campaign.models.categories import Category
from campaign.models.exports import Export
from campaign.models.household_groups import HouseholdGroup
from campaign.models.must_visit import MustVisitReminder
from campaign.models.notify import NotifyPreference
from campaign.models.org import OrgUnit, UnitKind
from campaign.models.people import AccessLog, PasswordHistory, RevealReason, Role, User
from campaign.models.registries import HOUSEHOLD_TAGS, Enterprise, Household

__all__ = [
    "MODES",
    "HOUSEHOLD_TAGS",
    "AccessLog",
    "Assignment",
    "AssignmentTarget",
    "AuditAction",
    "AuditEvent",
    "CalendarDay",
    "CalendarYear",
    "Campaign",
    "Category",
    "Enterprise",
    "Export",
    "Household",
    "HouseholdGroup",
    "KeyProject",
    "MustVisitReminder",
    "NotifyPreference",
    "OrgUnit",
    "PasswordHistory",
    "RevealReason",
    "Role",
    "UnitKind",
    "User",
]
