"""The suggestion at intake (issue 15 item 2, SPEC §7 `POST /api/v1/tickets/suggest/`): the likely categories of the
campaign, the lead units the directory and the model propose, and the likely duplicates, from a resident's words and
where the matter is. Reads only: nothing is stored (what the dispatcher then chooses is recorded by the create and
the dispatch)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from campaign.categories import allowed_names
from campaign.errors import Invalid
from campaign.models import Category, OrgUnit, User
from campaign.models.org import PATH_STEP
from campaign.scope import sees_everything
from campaign.selectors import area_margin_m, campaign_of, grid_for_point, point_in_area
from issues.directory import proposals_for
from issues.duplicates import likely_duplicates
from issues.router import suggest as router

MIN_CATEGORIES = 3
MAX_CATEGORIES = 5
DIRECTORY_CATEGORIES = 3  # the directory is asked for the units of the best three categories
MODEL_UNITS = 3


def _place(user: User, lat: float | None, lng: float | None) -> OrgUnit | None:
    """The grid of the point — which must lie where the caller works, as a ticket's (issues.services._check_place) —
    else the caller's own unit."""
    if lat is None or lng is None:
        return user.unit
    if not sees_everything(user):
        if user.unit is None or not point_in_area(user.unit, lat, lng, area_margin_m(None)):
            message = _("坐标不在您的管辖区域内。")
            raise Invalid({"lat": [message], "lng": [message]})
    return grid_for_point(lat, lng) or user.unit


def ranked_categories(description: str, allowed: list[str]) -> list[tuple[str, float]]:
    """The campaign's categories best first with their scores (the model's probability, or the keyword list's share),
    at least MIN_CATEGORIES when the campaign has them: a category the ranking left out follows at 0."""
    ranked = router.suggest_among(description, allowed)[:MAX_CATEGORIES]
    named = {name for name, _ in ranked}
    ranked += [(name, 0.0) for name in allowed if name not in named][: max(0, MIN_CATEGORIES - len(ranked))]
    return ranked


def _units(description: str, unit: OrgUnit | None, categories: list[tuple[str, float]]) -> list[dict[str, Any]]:
    """The directory's lead unit for each of the best categories at `unit` (scored by its category), then the model's
    (scored by its own probability), one entry per unit — the directory's when both name it — best first. The
    model's units are kept only when they lie in the matter's district."""
    found: dict[int, dict[str, Any]] = {}
    proposals = proposals_for([name for name, _ in categories[:DIRECTORY_CATEGORIES]], unit)
    for name, score in categories[:DIRECTORY_CATEGORIES]:
        proposal = proposals.get(name)
        if proposal is not None and proposal.lead_unit_id not in found:
            found[proposal.lead_unit_id] = {
                "unit": proposal.lead_unit_id,
                "name": proposal.lead_unit_name,
                "score": round(score, 4),
                "source": "directory",
                "category": name,
            }
    model = dict(router.suggest_units(description, MODEL_UNITS))
    if model and unit is not None:
        names = dict(
            OrgUnit.objects.filter(pk__in=list(model), path__startswith=unit.path[:PATH_STEP]).values_list("pk", "name")
        )
        for pk, score in model.items():
            if pk in names and pk not in found:
                found[pk] = {"unit": pk, "name": names[pk], "score": round(score, 4), "source": "model", "category": ""}
    return sorted(found.values(), key=lambda u: (-u["score"], u["source"] != "directory", u["unit"]))


def suggestion(user: User, *, description: str, lat: float | None, lng: float | None) -> dict[str, Any]:
    """{"categories", "lead_units", "duplicates"} for a matter described in `description` at (lat, lng)."""
    unit = _place(user, lat, lng)
    allowed = allowed_names(campaign_of(unit))
    categories = ranked_categories(description, allowed)
    codes = dict(Category.objects.filter(name__in=[name for name, _ in categories]).values_list("name", "code"))
    duplicates = (
        likely_duplicates(
            user,
            district_id=unit.district_id,
            lat=lat,
            lng=lng,
            category=categories[0][0] if categories else "",
            text=description,
        )
        if unit is not None
        else []
    )
    return {
        "categories": [
            {"category": name, "code": codes.get(name, ""), "score": round(score, 4)} for name, score in categories
        ],
        "lead_units": _units(description, unit, categories),
        "duplicates": [d.as_dict() for d in duplicates],
    }


def ticket_page_intake(user: User, ticket: Any, actions: list[str]) -> dict[str, Any]:
    """The ticket page's intake panel: the suggested categories while it waits for its dispatch, and its likely
    duplicates while it may be merged (the cancel action with `merge_into`). Empty for whoever may do neither."""
    found: dict[str, Any] = {}
    if "dispatch" in actions:
        ranked = ranked_categories(ticket.description, allowed_names(ticket.campaign))[:MIN_CATEGORIES]
        found["suggested_categories"] = [{"category": name, "percent": round(score * 100)} for name, score in ranked]
    if "cancel" in actions:
        found["duplicates_checked"] = True
        found["duplicates"] = likely_duplicates(
            user,
            district_id=ticket.district_id,
            lat=ticket.lat,
            lng=ticket.lng,
            category=ticket.category,
            text=ticket.description,
            exclude=ticket.pk,
        )
    return found
